"""DidService: scopes, DIDs, attachments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from didmeta.errors import InvalidArgument
from didmeta.identifiers import DidKey, validate_scope, validate_scope_pattern
from didmeta.server.dispatcher import NewDid
from didmeta.server.servicers.common import ServicerBase, caller, did_key, did_to_wire
from didmeta.server.servicers.embargo_history import EmbargoHistoryMethods
from didmeta.server.status import guarded
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.schema import dids
from didmeta.v1 import did_pb2, did_service_pb2, did_service_pb2_grpc
from didmeta.values import check_text
from didmeta.wire import DID_TYPE_FROM_WIRE, did_type_from_wire, metadata_from_wire, timestamp_to_wire

Context = grpc.aio.ServicerContext[Any, Any]


#: VARCHAR lengths of the text columns a NewDid sets.
_LENGTHS = {column: getattr(dids.c[column].type, "length", None) for column in ("account", "adler32", "md5", "guid")}


def column_text(value: str, field: str, column: str) -> str:
    """Text for a VARCHAR column of the DID table: no NUL, at most the column's length, on every database."""
    length = _LENGTHS.get(column) or getattr(dids.c[column].type, "length", None)
    return check_text(value, field, length)


def new_did_from_wire(message: did_pb2.NewDid, field: str) -> NewDid:
    key = did_key(message, field)
    # Empty text is "not given": checked (and its field path built) only when set.
    account, adler32, md5, guid = message.account, message.adler32, message.md5, message.guid
    spec = NewDidSpec(
        key=key,
        did_type=DID_TYPE_FROM_WIRE.get(message.type) or did_type_from_wire(message.type, f"{field}.type"),
        account=(account and column_text(account, f"{field}.account", "account")) or caller.get().account,
        bytes=message.bytes if message.HasField("bytes") else None,
        adler32=(adler32 and column_text(adler32, f"{field}.adler32", "adler32")) or None,
        md5=(md5 and column_text(md5, f"{field}.md5", "md5")) or None,
        guid=(guid and column_text(guid, f"{field}.guid", "guid")) or None,
        events=message.events if message.HasField("events") else None,
    )
    return NewDid(spec, metadata_from_wire(message.metadata, f"{field}.metadata"))


def attachments_from_wire(messages: Any, field: str) -> list[tuple[DidKey, DidKey]]:
    return [
        (did_key(a.parent, f"{field}[{i}].parent"), did_key(a.child, f"{field}[{i}].child"))
        for i, a in enumerate(messages)
    ]


class DidServicer(EmbargoHistoryMethods, ServicerBase, did_service_pb2_grpc.DidServiceServicer):
    @guarded
    async def AddScope(self, request: did_service_pb2.AddScopeRequest, context: Context) -> Any:
        scope = validate_scope(request.scope)
        account = column_text(request.account, "account", "account") or caller.get().account
        record = await self.run(self.dispatcher.add_scope, scope, account)
        response = did_service_pb2.AddScopeResponse()
        response.scope.name, response.scope.account = record.scope, record.account
        timestamp_to_wire(record.created_at, response.scope.created_at)
        return response

    @guarded
    async def ListScopes(self, request: did_service_pb2.ListScopesRequest, context: Context) -> Any:
        if request.pattern:
            validate_scope_pattern(request.pattern, "pattern")
        records = await self.run(self.dispatcher.list_scopes, request.pattern or None)
        records = [r for r in records if self.access.may_read(caller.get(), r.scope, r.account)]
        response = did_service_pb2.ListScopesResponse()
        for record in records:
            scope = response.scopes.add(name=record.scope, account=record.account)
            timestamp_to_wire(record.created_at, scope.created_at)
        return response

    @guarded
    async def AddDids(self, request: did_service_pb2.AddDidsRequest, context: Context) -> Any:
        self.check_size(request.dids, "dids")
        if not request.dids:
            raise InvalidArgument.for_field("dids", "give at least one DID")
        new = [new_did_from_wire(d, f"dids[{i}]") for i, d in enumerate(request.dids)]
        created = await self.run(self.dispatcher.add_dids, new)
        return did_service_pb2.AddDidsResponse(created=created)

    @guarded
    async def GetDid(self, request: did_service_pb2.GetDidRequest, context: Context) -> Any:
        record = await self.run(self.dispatcher.get_did, did_key(request.did, "did"))
        return did_service_pb2.GetDidResponse(did=did_to_wire(record))

    @guarded
    async def AttachDids(self, request: did_service_pb2.AttachDidsRequest, context: Context) -> Any:
        self.check_size(request.attachments, "attachments")
        pairs = attachments_from_wire(request.attachments, "attachments")
        if not pairs:
            raise InvalidArgument.for_field("attachments", "give at least one attachment")
        return did_service_pb2.AttachDidsResponse(attached=await self.run(self.dispatcher.attach, pairs))

    @guarded
    async def DetachDids(self, request: did_service_pb2.DetachDidsRequest, context: Context) -> Any:
        self.check_size(request.attachments, "attachments")
        pairs = attachments_from_wire(request.attachments, "attachments")
        if not pairs:
            raise InvalidArgument.for_field("attachments", "give at least one attachment")
        return did_service_pb2.DetachDidsResponse(detached=await self.run(self.dispatcher.detach, pairs))

    @guarded
    async def ListContent(
        self, request: did_service_pb2.ListContentRequest, context: Context
    ) -> AsyncIterator[did_service_pb2.ListContentResponse]:
        records = await self.run(self.dispatcher.list_content, did_key(request.did, "did"))
        hidden = await self.run(self.access.hidden_scopes, caller.get())
        records = [r for r in records if r.key.scope not in hidden]
        batch = self.settings.batch_size
        for start in range(0, len(records), batch):
            response = did_service_pb2.ListContentResponse()
            for record in records[start : start + batch]:
                did_to_wire(record, response.dids.add())
            yield response

    @guarded
    async def SetDidStatus(self, request: did_service_pb2.SetDidStatusRequest, context: Context) -> Any:
        record = await self.run(self.dispatcher.set_status, did_key(request.did, "did"), request.open)
        return did_service_pb2.SetDidStatusResponse(did=did_to_wire(record))

    @guarded
    async def DeleteDids(self, request: did_service_pb2.DeleteDidsRequest, context: Context) -> Any:
        self.check_size(request.dids, "dids")
        keys = [did_key(d, f"dids[{i}]") for i, d in enumerate(request.dids)]
        if not keys:
            raise InvalidArgument.for_field("dids", "give at least one DID")
        if len(set(keys)) != len(keys):
            raise InvalidArgument.for_field("dids", "a DID is given twice")
        return did_service_pb2.DeleteDidsResponse(deleted=await self.run(self.dispatcher.delete_dids, keys))
