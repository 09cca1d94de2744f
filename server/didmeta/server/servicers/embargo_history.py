"""DidService's embargo and audit-history RPCs (a mixin of DidServicer, kept apart from the catalogue RPCs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from didmeta.errors import InvalidArgument
from didmeta.identifiers import validate_key
from didmeta.server.access.embargo import Embargo
from didmeta.server.history import Event
from didmeta.server.servicers.common import ServicerBase, caller, did_key
from didmeta.server.status import guarded
from didmeta.server.store.catalog import utcnow
from didmeta.v1 import did_service_pb2
from didmeta.wire import did_key_to_wire, timestamp_from_wire, timestamp_to_wire, value_to_wire

Context = grpc.aio.ServicerContext[Any, Any]


def naive_utc(message: timestamp_pb2.Timestamp, field: str) -> datetime:
    """A wire Timestamp as naive UTC (as stored); out of range, INVALID_ARGUMENT naming `field`, worded as
    for a timestamp metadata value (`wire.timestamp_from_wire`)."""
    return timestamp_from_wire(message, field).replace(tzinfo=None)


def embargo_to_wire(record: Embargo, out: did_service_pb2.Embargo) -> None:
    out.did.CopyFrom(did_key_to_wire(record.key))
    timestamp_to_wire(record.until, out.until)
    out.recursive = record.recursive
    out.account = record.account
    timestamp_to_wire(record.created_at, out.created_at)
    out.expired = record.until <= utcnow()


def event_to_wire(event: Event, out: did_service_pb2.HistoryEvent) -> None:
    out.id = event.id
    timestamp_to_wire(event.at, out.at)
    out.account = event.account
    out.request_id = event.request_id
    out.did.CopyFrom(did_key_to_wire(event.did))
    out.action = event.action
    out.key = event.key or ""
    if event.old is not None:
        value_to_wire(event.old, out.old_value)
    if event.new is not None:
        value_to_wire(event.new, out.new_value)


class EmbargoHistoryMethods(ServicerBase):
    """SetEmbargo, ClearEmbargo, GetEmbargo and ListHistory."""

    @guarded
    async def SetEmbargo(self, request: did_service_pb2.SetEmbargoRequest, context: Context) -> Any:
        key = did_key(request.did, "did")
        if not request.HasField("until"):
            raise InvalidArgument.for_field("until", "give the time the embargo ends")
        until = naive_utc(request.until, "until")
        record = await self.run(self.dispatcher.set_embargo, key, until, request.recursive, caller.get().account)
        response = did_service_pb2.SetEmbargoResponse()
        embargo_to_wire(record, response.embargo)
        return response

    @guarded
    async def ClearEmbargo(self, request: did_service_pb2.ClearEmbargoRequest, context: Context) -> Any:
        previous = await self.run(self.dispatcher.clear_embargo, did_key(request.did, "did"))
        return did_service_pb2.ClearEmbargoResponse(cleared=previous is not None)

    @guarded
    async def GetEmbargo(self, request: did_service_pb2.GetEmbargoRequest, context: Context) -> Any:
        record = await self.run(self.dispatcher.get_embargo, did_key(request.did, "did"))
        response = did_service_pb2.GetEmbargoResponse()
        if record is not None:
            embargo_to_wire(record, response.embargo)
        return response

    @guarded
    async def ListHistory(
        self, request: did_service_pb2.ListHistoryRequest, context: Context
    ) -> AsyncIterator[did_service_pb2.ListHistoryResponse]:
        key = did_key(request.did, "did")
        name = validate_key(request.key, "key") if request.key else None
        since = naive_utc(request.since, "since") if request.HasField("since") else None
        pages = self.dispatcher.list_history(key, name, since, self.settings.batch_size)
        sentinel: Any = object()
        while True:
            page = await self.run(next, pages, sentinel)
            if page is sentinel:
                return
            response = did_service_pb2.ListHistoryResponse()
            for event in page:
                event_to_wire(event, response.events.add())
            yield response
