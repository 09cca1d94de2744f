"""MetadataService: metadata reads and writes, bulk load, and the streaming ListDids."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from didmeta.errors import DidmetaError, InvalidArgument
from didmeta.identifiers import DidKey, parse_type_selector, validate_key, validate_scope_pattern
from didmeta.server import freeze, saved_queries
from didmeta.server.dispatcher import LoadPlan, LoadResult
from didmeta.server.keys import service as key_service
from didmeta.server.point import caller_sees_everything
from didmeta.server.query import arrow, meta_sql, tokens
from didmeta.server.query.explain import Explainer
from didmeta.server.query.facets import FacetSpec, Summaries, check_specs
from didmeta.server.query.limits import NO_DEADLINE, Deadline, FilterLimits, parse_limited
from didmeta.server.query.plan import LONG_COLUMNS, ListQuery
from didmeta.server.query.stream import RowStream
from didmeta.server.servicers.bulk_messages import bulk_messages
from didmeta.server.servicers.common import ServicerBase, caller, did_key
from didmeta.server.servicers.did_servicer import attachments_from_wire, new_did_from_wire
from didmeta.server.servicers.listing_messages import capped_message
from didmeta.server.servicers.stream_slots import StreamSlots
from didmeta.server.status import guarded
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.v1 import metadata_service_pb2_grpc
from didmeta.values import Metadata
from didmeta.wire import (
    SELECTOR_FROM_WIRE,
    did_key_to_wire,
    metadata_from_wire,
    metadata_to_wire,
    value_to_wire,
)

Context = grpc.aio.ServicerContext[Any, Any]
#: Filters up to this size (serialised) may take ListDids' quick path, parsed on the event loop.
QUICK_FILTER_BYTES = 512


def list_query(
    request: pb.ListDidsRequest
    | pb.CountDidsRequest
    | pb.FacetDidsRequest
    | pb.ExplainDidsRequest
    | pb.FreezeDidsRequest
    | pb.SavedQuery,
    limits: FilterLimits,
    deadline: Deadline = NO_DEADLINE,
) -> ListQuery:
    """The validated query of a listing or count (CPU work: called in a worker thread, off the loop)."""
    if not request.scope:
        raise InvalidArgument.for_field("scope", "a scope or scope pattern is required (`*` for all)")
    selector = SELECTOR_FROM_WIRE.get(request.type)
    if selector is None:
        raise InvalidArgument.for_field("type", f"unknown type selector {request.type}")
    return ListQuery(
        scope_pattern=validate_scope_pattern(request.scope),
        filter=parse_limited(request.filter, limits, deadline=deadline),
        types=parse_type_selector(selector),
        recursive=request.recursive,
        ignore_case=request.ignore_case,
    )


@dataclass
class Listing:
    """The validated arguments of one ListDids call."""

    query: ListQuery
    fingerprint: bytes
    delivered: int
    after: DidKey | None
    remaining: int | None
    long: bool
    metadata_keys: list[str]
    batch_size: int
    pending: list[Any] = field(default_factory=list)  # rows fetched but left for the next message (bytes cap)
    arrow: bool = False
    exhausted: bool = False  # the stream gave fewer rows than asked: nothing is left after `pending`
    # Long output with metadata keys: the keys read as extra columns of the listing's statement (decoded by
    # `in_rows`), and the rest, read per batch with Dispatcher.metadata_for (query/meta_sql.py).
    in_rows: meta_sql.RowMetadata | None = None
    per_batch: list[str] = field(default_factory=list)


def _close_opened(slots: StreamSlots, opening: asyncio.Task[Any]) -> None:
    """After a ListDids call was cancelled while its stream was being opened: close what was opened (in a
    worker thread) and give the slot back once it is closed."""
    if opening.cancelled() or opening.exception() is not None:
        slots.release()
        return
    stream = opening.result()[1]
    if stream is None:  # nothing was opened, or the listing was closed with its first batch
        slots.release()
        return
    stream.cancel()
    _close_in_thread(stream, slots)


def _close_in_thread(stream: RowStream | arrow.ArrowSource, slots: StreamSlots) -> None:
    """Close a listing's stream in a worker thread and give its slot back once it is closed."""
    closing = asyncio.get_running_loop().run_in_executor(None, stream.close)
    closing.add_done_callback(lambda _: slots.release())


def request_fingerprint(request: pb.ListDidsRequest) -> bytes:
    """What a resume token is bound to: the request without its token and batch size."""
    canonical = pb.ListDidsRequest()
    canonical.CopyFrom(request)
    canonical.page_token = ""
    canonical.batch_size = 0
    return tokens.fingerprint(canonical.SerializeToString(deterministic=True))


class MetadataServicer(ServicerBase, metadata_service_pb2_grpc.MetadataServiceServicer):
    @property
    def filter_limits(self) -> FilterLimits:
        return FilterLimits.from_settings(self.settings)

    @guarded
    async def SetMetadata(self, request: pb.SetMetadataRequest, context: Context) -> Any:
        key = did_key(request.did, "did")
        if not request.metadata:
            raise InvalidArgument.for_field("metadata", "give at least one key")
        metadata = metadata_from_wire(request.metadata)
        # One DID's row, written by the event loop where it can be (server/point.py; SQLite file or PostgreSQL).
        if request.recursive or await self.dispatcher.set_metadata_async(key, metadata, "metadata") is None:
            await self.run(self.dispatcher.set_metadata, [(key, metadata)], request.recursive, ["metadata"])
        return pb.SetMetadataResponse()

    @guarded
    async def SetMetadataBulk(self, request: pb.SetMetadataBulkRequest, context: Context) -> Any:
        self.check_size(request.items, "items")
        items = [
            (did_key(item.did, f"items[{i}].did"), metadata_from_wire(item.metadata, f"items[{i}].metadata"))
            for i, item in enumerate(request.items)
        ]
        if not items:
            raise InvalidArgument.for_field("items", "give at least one item")
        updated = await self.run(self.dispatcher.set_metadata, items, request.recursive)
        return pb.SetMetadataBulkResponse(updated=updated)

    @guarded
    async def LoadDids(self, request_iterator: AsyncIterator[pb.LoadDidsRequest], context: Context) -> Any:
        """Chunks in order, each one unit of work. Chunk N+1 is received, decoded and validated in one worker
        thread while chunk N is written in another, so the Python work of one overlaps the database work of
        the other; whatever chunk N+1 has to report waits for chunk N's outcome, which comes first."""
        total, received, applied = LoadResult(), 0, 0
        writing: asyncio.Future[LoadResult] | None = None

        async def finish_writing() -> None:
            nonlocal writing, applied
            if writing is not None:
                task, writing = writing, None
                total.add(await task)
                applied += 1

        try:
            async for chunk in request_iterator:
                self.check_size(chunk.dids, f"chunk {received}.dids")
                plan = await self.run(self._plan_chunk, chunk, received)
                received += 1
                await finish_writing()
                writing = asyncio.ensure_future(self.run(self.dispatcher.apply_load, plan))
            await finish_writing()
        except Exception as error:
            reported = error
            try:
                await finish_writing()  # the chunk being written when the next one failed: its outcome first
            except Exception as earlier:
                reported = earlier
            if isinstance(reported, DidmetaError):
                reported.metadata["chunks_applied"] = str(applied)
                reported.message = f"chunk {applied} refused, {applied} earlier chunks applied: {reported.message}"
            raise reported from None
        finally:
            if writing is not None:  # cancelled: the thread finishes its chunk (one transaction) unobserved
                writing.cancel()
        return pb.LoadDidsResponse(
            chunks=applied, created=total.created, updated=total.updated, attached=total.attached
        )

    def _plan_chunk(self, chunk: pb.LoadDidsRequest, number: int) -> LoadPlan:
        """Decode and validate a chunk (CPU work, no database): INVALID_ARGUMENT naming `chunk[n]....`."""
        new = [new_did_from_wire(d, f"chunk[{number}].dids[{i}]") for i, d in enumerate(chunk.dids)]
        metadata = [
            (
                did_key(m.did, f"chunk[{number}].metadata[{i}].did"),
                metadata_from_wire(m.metadata, f"chunk[{number}].metadata[{i}].metadata"),
            )
            for i, m in enumerate(chunk.metadata)
        ]
        pairs = attachments_from_wire(chunk.attachments, f"chunk[{number}].attachments")
        return self.dispatcher.plan_load(new, metadata, pairs)

    @guarded
    async def GetMetadata(self, request: pb.GetMetadataRequest, context: Context) -> Any:
        key = did_key(request.did, "did")
        # A point read is answered on the loop: no thread hand-off (server/point.py; SQLite file or PostgreSQL).
        metadata = await self.dispatcher.get_metadata_async(key, request.plugin)
        if metadata is None:
            metadata = await self.run(self.dispatcher.get_metadata, key, request.plugin)
        response = pb.GetMetadataResponse()
        metadata_to_wire(metadata, response.metadata)
        return response

    @guarded
    async def GetMetadataBulk(
        self, request: pb.GetMetadataBulkRequest, context: Context
    ) -> AsyncIterator[pb.GetMetadataBulkResponse]:
        self.check_size(request.dids, "dids")
        keys = [did_key(d, f"dids[{i}]") for i, d in enumerate(request.dids)]
        batches = self.dispatcher.get_metadata_bulk(keys, request.plugin, request.inherit)
        sentinel = object()
        while True:
            batch = await self.run(next, batches, sentinel)
            if batch is sentinel:
                return
            found, missing = batch
            for response in bulk_messages(found, missing, self.settings.max_batch_bytes):
                yield response

    @guarded
    async def DeleteMetadata(self, request: pb.DeleteMetadataRequest, context: Context) -> Any:
        await self.run(self.dispatcher.delete_metadata, did_key(request.did, "did"), list(request.keys))
        return pb.DeleteMetadataResponse()

    @guarded
    async def CountDids(self, request: pb.CountDidsRequest, context: Context) -> Any:
        deadline = Deadline.after(context.time_remaining())
        query = await self.readable(await self.run(self.checked_query, request, deadline))
        if request.totals:
            totals = await self.run(Summaries(self.dispatcher).totals, query)
            return pb.CountDidsResponse(count=totals.count, bytes=totals.bytes, events=totals.events)
        return pb.CountDidsResponse(count=await self.run(self.dispatcher.count_dids, query))

    @guarded
    async def FacetDids(self, request: pb.FacetDidsRequest, context: Context) -> Any:
        deadline = Deadline.after(context.time_remaining())
        specs = check_specs([FacetSpec(f.key, f.top, f.bucket_width or None) for f in request.facets])
        query = await self.readable(await self.run(self.checked_query, request, deadline))
        matched, facets = await self.run(Summaries(self.dispatcher).facets, query, specs)
        response = pb.FacetDidsResponse(count=matched)
        for facet in facets:
            out = response.facets.add(key=facet.key, missing=facet.missing, other=facet.other, distinct=facet.distinct)
            for value, count in facet.values:
                value_to_wire(value, out.values.add(count=count).value)
            for lower, count in facet.buckets:
                value_to_wire(lower, out.buckets.add(count=count).lower)
        return response

    @guarded
    async def ExplainDids(self, request: pb.ExplainDidsRequest, context: Context) -> Any:
        deadline = Deadline.after(context.time_remaining())
        query = await self.readable(await self.run(self.checked_query, request, deadline))
        explanation = await self.run(Explainer(self.dispatcher).explain, query)
        response = pb.ExplainDidsResponse(merged=explanation.merged)
        for route in explanation.groups:
            group = response.groups.add(types=route.types)
            for clause in route.clauses:
                group.clauses.add(clause=clause.clause, plugin=clause.plugin, complement=clause.complement)
        for step in explanation.steps:
            response.queries.add(
                backend=step.backend,
                group=step.group,
                language=step.text.language,
                query=step.text.query,
                parameters=step.text.parameters,
                plan=step.text.plan,
            )
        return response

    def checked_query(
        self,
        request: pb.ListDidsRequest
        | pb.CountDidsRequest
        | pb.FacetDidsRequest
        | pb.ExplainDidsRequest
        | pb.FreezeDidsRequest
        | pb.SavedQuery,
        deadline: Deadline,
    ) -> ListQuery:
        """The validated query, its filter checked against the declared keys (no backend asked yet)."""
        query = list_query(request, self.filter_limits, deadline)
        return dataclasses.replace(query, filter=self.dispatcher.keys.check_filter(query.filter))

    # --- saved queries and frozen selections -----------------------------------------------------
    @guarded
    async def SaveQuery(self, request: pb.SaveQueryRequest, context: Context) -> Any:
        deadline = Deadline.after(context.time_remaining())
        saved_queries.check_name(request.query.name, "query.name")
        await self.run(self.checked_query, request.query, deadline)  # valid as a listing, else refused now
        stored = await self.run(
            saved_queries.save, self.dispatcher.store, request.query, caller.get().account, request.replace
        )
        return pb.SaveQueryResponse(query=stored)

    @guarded
    async def ListSavedQueries(self, request: pb.ListSavedQueriesRequest, context: Context) -> Any:
        account = request.account or caller.get().account
        return pb.ListSavedQueriesResponse(
            queries=await self.run(saved_queries.list_for, self.dispatcher.store, account)
        )

    @guarded
    async def GetSavedQuery(self, request: pb.GetSavedQueryRequest, context: Context) -> Any:
        account = request.account or caller.get().account
        query = await self.run(saved_queries.get, self.dispatcher.store, account, request.name)
        return pb.GetSavedQueryResponse(query=query)

    @guarded
    async def DeleteSavedQuery(self, request: pb.DeleteSavedQueryRequest, context: Context) -> Any:
        await self.run(saved_queries.remove, self.dispatcher.store, caller.get().account, request.name)
        return pb.DeleteSavedQueryResponse()

    @guarded
    async def FreezeDids(self, request: pb.FreezeDidsRequest, context: Context) -> Any:
        deadline = Deadline.after(context.time_remaining())
        new = new_did_from_wire(request.did, "did")
        query = await self.readable(await self.run(self.checked_query, request, deadline))
        return pb.FreezeDidsResponse(count=await self.run(freeze.freeze, self.dispatcher, new, query))

    # --- declared keys ----------------------------------------------------------------------------
    @guarded
    async def DeclareKey(self, request: pb.DeclareKeyRequest, context: Context) -> Any:
        declaration = key_service.declaration_from_wire(request.declaration)
        stored, count, first = await self.run(key_service.declare, self.dispatcher, declaration, caller.get().account)
        response = pb.DeclareKeyResponse(violation_count=count, violations=[did_key_to_wire(k) for k in first])
        key_service.declaration_to_wire(stored, response.declaration)
        return response

    @guarded
    async def ListKeys(self, request: pb.ListKeysRequest, context: Context) -> Any:
        response = pb.ListKeysResponse()
        for declaration in (await self.run(self.dispatcher.keys.all)).values():
            key_service.declaration_to_wire(declaration, response.declarations.add())
        return response

    @guarded
    async def GetKey(self, request: pb.GetKeyRequest, context: Context) -> Any:
        response = pb.GetKeyResponse()
        key_service.declaration_to_wire(await self.run(self.dispatcher.keys.get, request.key), response.declaration)
        return response

    @guarded
    async def DeleteKey(self, request: pb.DeleteKeyRequest, context: Context) -> Any:
        await self.run(self.dispatcher.keys.remove, request.key)
        return pb.DeleteKeyResponse()

    @guarded
    async def ListPlugins(self, request: pb.ListPluginsRequest, context: Context) -> Any:
        response = pb.ListPluginsResponse()
        for declaration in (await self.run(self.dispatcher.keys.all)).values():
            key_service.declaration_to_wire(declaration, response.declarations.add())
        for order, plugin in enumerate(self.dispatcher.plugins):
            healthy = await self.run(plugin.check_health)
            response.plugins.add(
                name=plugin.name,
                order=order,
                description=plugin.description,
                features=sorted(plugin.features),
                healthy=healthy,
                managed_keys=plugin.managed_keys(),
            )
        return response

    # --- ListDids ---------------------------------------------------------------------------------
    def _listing(self, request: pb.ListDidsRequest, deadline: Deadline) -> Listing:
        if request.limit < 0:
            raise InvalidArgument.for_field("limit", "must not be negative (0 means no limit)")
        if request.batch_size < 0:
            raise InvalidArgument.for_field("batch_size", "must not be negative")
        if len(request.metadata_keys) > meta_sql.MAX_METADATA_KEYS:
            raise InvalidArgument.for_field(
                "metadata_keys",
                f"at most {meta_sql.MAX_METADATA_KEYS:,} keys per listing ({len(request.metadata_keys):,} given)",
            )
        # A key asked for twice is one column (Arrow tables with two columns of one name trouble polars).
        keys = list(dict.fromkeys(validate_key(k, f"metadata_keys[{i}]") for i, k in enumerate(request.metadata_keys)))
        as_arrow = request.format == pb.LIST_FORMAT_ARROW  # implies long output (query/arrow.py)
        if as_arrow:
            arrow.require_pyarrow()
        if keys and not (request.long or as_arrow):
            raise InvalidArgument.for_field("metadata_keys", "metadata keys are returned with long output only")
        query = self.checked_query(request, deadline)
        fingerprint = request_fingerprint(request)
        delivered, after = 0, None
        if request.page_token:
            delivered, after = tokens.decode(request.page_token, fingerprint)
        remaining = request.limit - delivered if request.limit else None
        batch_size = self._batch_size(request)
        long = request.long or as_arrow
        return Listing(query, fingerprint, delivered, after, remaining, long, keys, batch_size, arrow=as_arrow)

    def _batch_size(self, request: pb.ListDidsRequest) -> int:
        return min(request.batch_size or self.settings.batch_size, self.settings.max_batch_size)

    async def _quick(self, request: pb.ListDidsRequest) -> tuple[bool, pb.ListDidsResponse | None]:
        """A small listing answered on the event loop in fixed SQL (query/quick_listing.py): (True, its one
        message or None when it is empty), or (False, None) when the general path must answer.

        It gives what the general path gives: the same first message (rows, token) when the whole listing
        fits in it. The request is validated by the same functions, here on the loop (a short filter)."""
        quick = self.dispatcher.quick_listing
        if (
            quick is None
            or request.page_token
            or request.metadata_keys
            or request.format == pb.LIST_FORMAT_ARROW
            or request.recursive
            or request.ignore_case
            or request.limit < 0
            or request.batch_size < 0
            or request.filter.ByteSize() > QUICK_FILTER_BYTES
            or self.may_hide_scopes()
            or not self.dispatcher.keys.fresh()  # checked_query reads declared keys: from the cache only
        ):
            return False, None
        query = self.checked_query(request, NO_DEADLINE)
        size = min(self.settings.first_batch_size, self._batch_size(request))
        capped = 0 < request.limit <= size  # the limit ends the listing within the first message
        most = request.limit if capped else size
        viewer = not caller_sees_everything()  # embargoes apply: the statement checks each row for them
        statement = quick.statement(query, long=request.long, fetch=most if capped else most + 1, viewer=viewer)
        if statement is None:
            return False, None
        rows = await quick.rows(statement, most)
        if rows is None:
            return False, None
        if not rows:
            return True, None
        response, count = capped_message(rows, request.long, [], self.settings.max_batch_bytes)
        if count < len(rows):
            return False, None  # the general path splits it by bytes
        last = DidKey(rows[-1][0], rows[-1][1])
        response.next_page_token = tokens.encode(request_fingerprint(request), len(rows), last)
        return True, response

    def _build(self, stream: RowStream, listing: Listing, size: int) -> pb.ListDidsResponse | None:
        """Fetch one batch and build its message (runs in a worker thread).

        A batch holds at most `size` DIDs and, unless one DID alone is larger, `max_batch_bytes`: rows
        that do not fit are kept for the next message (transport.md: chunk by count and bytes).
        """
        if listing.pending:
            rows: Sequence[Any] = listing.pending
        else:
            rows = stream.fetch(size)
            listing.exhausted = len(rows) < size  # a cursor gives fewer rows than asked only at its end
        listing.pending = []
        if not rows:
            return None
        values = self._metadata(rows, listing) if listing.long and listing.metadata_keys else []
        response, count = capped_message(rows, listing.long, values, self.settings.max_batch_bytes)
        if count < len(rows):
            listing.pending = list(rows[count:])
            rows = rows[:count]
        listing.delivered += len(rows)
        last = DidKey(rows[-1][0], rows[-1][1])
        response.next_page_token = tokens.encode(listing.fingerprint, listing.delivered, last)
        return response

    def _metadata(self, rows: Sequence[Any], listing: Listing) -> list[Metadata]:
        """The requested keys of each row's DID: from the row's extra columns, then from the plugins."""
        values = listing.in_rows.decode(rows) if listing.in_rows else [{} for _ in rows]
        if listing.per_batch:
            found = self.dispatcher.metadata_for([DidKey(r[0], r[1]) for r in rows], listing.per_batch)
            if found:
                for row, metadata in zip(rows, values, strict=True):
                    extra = found.get(DidKey(row[0], row[1]))
                    if extra:
                        metadata.update(extra)
        return values

    def _open(
        self, request: pb.ListDidsRequest, deadline: Deadline
    ) -> tuple[Listing, RowStream | arrow.ArrowSource | None, pb.ListDidsResponse | None]:
        """Validate, narrow, open the stream and build the first batch: one worker-thread call per listing."""
        listing = self._listing(request, deadline)
        if self.may_hide_scopes():
            listing.query = self.narrowed(listing.query)
        if listing.remaining is not None and listing.remaining <= 0:
            return listing, None, None
        stream: RowStream | arrow.ArrowSource
        if listing.arrow:  # columns straight from the database where it can (query/arrow.py)
            stream = arrow.open_source(self.dispatcher, listing.query, listing)
        else:
            in_sql: list[meta_sql.MetaColumn] = []
            if listing.long and listing.metadata_keys:
                if self.dispatcher.planner.is_pure_sql(listing.query):  # keys of the catalogue: in the statement
                    columns = meta_sql.meta_columns(self.dispatcher, listing.metadata_keys)
                    in_sql = [c for c in columns if c.source != "other"]
                    dialect = self.dispatcher.store.dialect
                    listing.in_rows = meta_sql.RowMetadata(in_sql, dialect, start=len(LONG_COLUMNS))
                listing.per_batch = [k for k in listing.metadata_keys if k not in {c.key for c in in_sql}]
            stream = self.dispatcher.open_listing(
                listing.query, long=listing.long, after=listing.after, limit=listing.remaining, metadata=in_sql
            )
        try:
            first = self._next(stream, listing, min(self.settings.first_batch_size, listing.batch_size))
        except BaseException:
            stream.close()
            raise
        if listing.exhausted and not listing.pending and not listing.arrow:
            stream.close()  # the whole listing was its first batch: the connection goes back in this call
            return listing, None, first
        return listing, stream, first

    def _next(self, stream: RowStream | arrow.ArrowSource, listing: Listing, size: int) -> pb.ListDidsResponse | None:
        if isinstance(stream, arrow.ArrowSource):
            return arrow.build_response(stream, listing, size, self.settings.max_batch_bytes)
        return self._build(stream, listing, size)

    @guarded
    async def ListDids(self, request: pb.ListDidsRequest, context: Context) -> AsyncIterator[pb.ListDidsResponse]:
        answered, response = await self._quick(request)
        if answered:
            if response is not None:
                yield response
            return
        slots = self.stream_slots
        await slots.acquire()  # the stream's connection, held across thread hand-offs (servicers/stream_slots.py)
        opening = asyncio.ensure_future(self.run(self._open, request, Deadline.after(context.time_remaining())))
        try:
            # Shielded: a call cancelled meanwhile (client gone, deadline) leaves the thread to finish opening;
            # the stream it opens is then closed and the slot given back (`_close_opened`), not left to GC.
            listing, stream, response = await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(functools.partial(_close_opened, slots))
            raise
        except BaseException:
            slots.release()
            raise
        if stream is None:  # nothing to send, or a listing that was all in its first batch (closed already)
            slots.release()
            if response is not None:
                yield response
            return
        finished = False
        try:
            while response is not None:
                yield response
                if listing.exhausted and not listing.pending and not listing.arrow:
                    break  # a short batch was the last one: no further fetch (and thread hand-off) needed
                response = await self.run(self._next, stream, listing, listing.batch_size)
            finished = True
        finally:
            if not finished:  # cancelled, failed or expired: interrupt a running statement first
                stream.cancel()
            _close_in_thread(stream, slots)
