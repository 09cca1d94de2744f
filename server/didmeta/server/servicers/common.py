"""What every servicer shares: identity, request limits, thread hand-off, DID conversions."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Sized
from typing import Any, TypeVar

import grpc
from sqlalchemy import exc as sa_exc

from didmeta.errors import ResourceExhausted
from didmeta.identifiers import DidKey, validate_did
from didmeta.server.access.identity import Identity, current_identity
from didmeta.server.access.rights import Access
from didmeta.server.auth import Authenticator
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.history import REQUEST_ID_HEADER, accept_request_id
from didmeta.server.query.plan import ListQuery
from didmeta.server.servicers.stream_slots import StreamSlots
from didmeta.server.store.catalog import DidRecord
from didmeta.server.store.failures import connection_lost
from didmeta.server.store.replicas import REPLICA_READ_RPCS, allow_replica_reads, replica_reads_allowed
from didmeta.v1 import did_pb2
from didmeta.wire import DID_TYPE_TO_WIRE, READ_FROM_HEADER, timestamp_to_wire

T = TypeVar("T")
#: Requests up to this size (serialised) have their rights settled on the event loop when no catalogue
#: read is needed (`Access.allowed_by_rules`); larger ones (bulk requests) are checked in a worker thread.
RULES_ON_LOOP_BYTES = 4096
caller = current_identity  # the caller of the running request (didmeta.server.access.identity)


class ServicerBase:
    def __init__(self, dispatcher: Dispatcher, settings: Settings, authenticator: Authenticator) -> None:
        self.dispatcher = dispatcher
        self.settings = settings
        self.authenticator = authenticator
        self.access = Access(settings.auth, dispatcher.store)
        self.stream_slots = StreamSlots(dispatcher.store.max_connections)

    async def authenticate(self, context: grpc.aio.ServicerContext[Any, Any]) -> Identity:
        identity = await self.authenticator.identify(context)
        caller.set(identity)
        headers = dict(context.invocation_metadata() or ())
        accept_request_id(headers.get(REQUEST_ID_HEADER))
        # Read RPCs may read from a replica (store/replicas.py) unless the client asks for the primary;
        # `authorize` withdraws it for every other RPC.
        allow_replica_reads(headers.get(READ_FROM_HEADER) != "primary")
        return identity

    async def authorize(self, rpc: str, request: Any) -> Any:
        """Check the caller's rights for `rpc` (access.rights.RULES); a client stream is checked per message."""
        if rpc not in REPLICA_READ_RPCS:
            allow_replica_reads(False)
        identity = caller.get()
        if isinstance(request, AsyncIterator):
            return self.access.checked_stream(rpc, request, identity, self.run)
        if identity.is_admin:
            return request
        # A small request that the rules settle (no scope owner, no DID to read) is allowed on the loop; the
        # rest is checked in a worker thread, which may read the catalogue.
        if request.ByteSize() > RULES_ON_LOOP_BYTES or not self.access.allowed_by_rules(rpc, request, identity):
            await self.run(self.access.check, rpc, request, identity)
        return request

    async def readable(self, query: ListQuery) -> ListQuery:
        """The listing narrowed to the scopes the caller may read."""
        if not self.may_hide_scopes():
            return query
        return await self.run(self.narrowed, query)

    def may_hide_scopes(self) -> bool:
        """False when no scope can be hidden from the caller (admin, or no `read_restricted_scopes`)."""
        return not caller.get().is_admin and bool(self.settings.auth.read_restricted_scopes)

    def narrowed(self, query: ListQuery) -> ListQuery:
        """`readable`, synchronous (it may read the scopes table: call it in a worker thread)."""
        hidden = self.access.hidden_scopes(caller.get())
        return dataclasses.replace(query, hidden_scopes=hidden) if hidden else query

    @staticmethod
    async def run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (database, backends) in a worker thread.

        Reads that may use a replica and lose their connection run once more on the primary: a replica
        going away degrades reads to the primary instead of failing them (store/replicas.py)."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except sa_exc.DBAPIError as error:
            if not (replica_reads_allowed() and connection_lost(error)):
                raise
            allow_replica_reads(False)
            return await asyncio.to_thread(function, *args, **kwargs)

    def check_size(self, items: Sized, field: str) -> None:
        if len(items) > self.settings.max_request_items:
            raise ResourceExhausted(
                f"{field}: {len(items)} items, at most {self.settings.max_request_items} per request; "
                "use the streaming LoadDids for more",
                metadata={"field": field, "limit": str(self.settings.max_request_items)},
            )


def did_key(message: did_pb2.DidKey | did_pb2.NewDid, field: str) -> DidKey:
    return validate_did(message.scope, message.name, field)


def did_to_wire(record: DidRecord, out: did_pb2.Did | None = None) -> did_pb2.Did:
    message = out if out is not None else did_pb2.Did()
    message.scope, message.name = record.key
    message.type = DID_TYPE_TO_WIRE[record.did_type]
    message.account = record.account
    message.bytes = record.bytes
    message.length = record.length
    message.events = record.events or 0
    message.md5 = record.md5 or ""
    message.adler32 = record.adler32 or ""
    message.guid = record.guid or ""
    message.is_open = record.is_open
    message.suppressed = record.suppressed
    message.hidden = record.hidden
    for name in ("created_at", "updated_at", "closed_at", "accessed_at", "expired_at", "eol_at"):
        if (value := getattr(record, name)) is not None:
            timestamp_to_wire(value, getattr(message, name))
    return message
