"""The synchronous Python client: typed values in and out, iterators over streams, clear errors.

`ListDids` streams are resumed automatically: if the connection drops (UNAVAILABLE) after the stream
has started, the client reconnects and continues from the last resume token it received, so no DID
is lost or repeated. A server that cannot be reached at all fails at once, naming its address. The
client's `timeout` is the deadline of a whole call: every resume of a stream and the pauses between
them fit in it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

import grpc

from didmeta.client.credentials import TokenSource
from didmeta.client.errors import from_rpc_error, sent_by_server
from didmeta.client.models import (
    CountTotals,
    DeclareResult,
    DidInfo,
    DidRow,
    EmbargoInfo,
    ExplainedClause,
    ExplainedQuery,
    Explanation,
    Facet,
    FacetResult,
    HistoryEvent,
    KeyInfo,
    LoadChunk,
    LoadResult,
    NewDid,
    PluginInfo,
    SavedQueryInfo,
    Scope,
)
from didmeta.client.retries import with_read_retries
from didmeta.errors import DeadlineExceeded, DidmetaError, Unavailable
from didmeta.filters.model import Op
from didmeta.filters.printer import format_tree
from didmeta.filters.tree import groups_node
from didmeta.identifiers import DidKey, parse_did
from didmeta.v1 import (
    did_pb2,
    did_service_pb2,
    did_service_pb2_grpc,
    filter_pb2,
    metadata_service_pb2,
    metadata_service_pb2_grpc,
)
from didmeta.values import Metadata, MetaValue
from didmeta.wire import (
    DID_TYPE_FROM_WIRE,
    READ_FROM_HEADER,
    SELECTOR_TO_WIRE,
    did_key_to_wire,
    filter_from_wire,
    filter_to_wire,
    metadata_from_wire,
    metadata_to_wire,
    timestamp_from_wire,
    timestamp_to_wire,
    value_from_wire,
    value_to_wire,
)

T = TypeVar("T")
DEFAULT_PORT = 50051
DEFAULT_SERVER = f"127.0.0.1:{DEFAULT_PORT}"
_TYPE_TO_WIRE = {"file": 1, "dataset": 2, "container": 3}
_TYPE_NAMES = {1: "FILE", 2: "DATASET", 3: "CONTAINER"}
DidLike = str | DidKey
#: A listing filter: the string grammar, or OR groups of (key, operator, typed value) AND clauses.
FilterArg = str | filter_pb2.Filter | Sequence[Sequence[tuple[str, Op, MetaValue]]]


def as_key(did: DidLike, field: str = "did") -> DidKey:
    """A DID given as text or DidKey; INVALID_ARGUMENT naming `field` if the text is not a valid DID."""
    return did if isinstance(did, DidKey) else parse_did(did, field)


def with_default_port(target: str) -> str:
    """`HOST` as `HOST:50051` (gRPC would take 443); `HOST:PORT`, `[v6]:PORT` and `scheme:...` unchanged."""
    if "://" in target or target.startswith(("unix:", "dns:", "ipv4:", "ipv6:")):
        return target
    if target.startswith("["):
        return target if "]:" in target else f"{target}:{DEFAULT_PORT}"
    colons = target.count(":")
    if colons == 0:
        return f"{target}:{DEFAULT_PORT}"
    return f"[{target}]:{DEFAULT_PORT}" if colons > 1 else target


class _UseClientTimeout:
    """The default of a per-call `timeout`: the Client's own."""


_CLIENT_TIMEOUT = _UseClientTimeout()


def _type_to_wire(name: str) -> int:
    try:
        return _TYPE_TO_WIRE[name.lower()]
    except KeyError:
        raise ValueError(f"unknown DID type {name!r}: file, dataset or container") from None


def _did_info(message: did_pb2.Did) -> DidInfo:
    def ts(field: str) -> Any:
        return timestamp_from_wire(getattr(message, field), field) if message.HasField(field) else None  # type: ignore[arg-type]

    return DidInfo(
        scope=message.scope,
        name=message.name,
        type=_TYPE_NAMES.get(message.type, "UNSPECIFIED"),
        account=message.account,
        bytes=message.bytes,
        length=message.length,
        events=message.events,
        md5=message.md5,
        adler32=message.adler32,
        guid=message.guid,
        is_open=message.is_open,
        created_at=ts("created_at"),
        updated_at=ts("updated_at"),
        closed_at=ts("closed_at"),
        expired_at=ts("expired_at"),
        suppressed=message.suppressed,
        hidden=message.hidden,
        accessed_at=ts("accessed_at"),
        eol_at=ts("eol_at"),
    )


def _embargo_info(message: did_service_pb2.Embargo) -> EmbargoInfo:
    return EmbargoInfo(
        did=f"{message.did.scope}:{message.did.name}",
        until=timestamp_from_wire(message.until, "until"),
        recursive=message.recursive,
        account=message.account,
        created_at=timestamp_from_wire(message.created_at, "created_at"),
        expired=message.expired,
    )


def _history_event(message: did_service_pb2.HistoryEvent) -> HistoryEvent:
    return HistoryEvent(
        id=message.id,
        at=timestamp_from_wire(message.at, "at"),
        account=message.account,
        request_id=message.request_id,
        did=f"{message.did.scope}:{message.did.name}",
        action=message.action,
        key=message.key or None,
        old=value_from_wire(message.old_value) if message.HasField("old_value") else None,
        new=value_from_wire(message.new_value) if message.HasField("new_value") else None,
    )


def _new_did(new: NewDid, out: did_pb2.NewDid, field: str = "did") -> None:
    key = as_key(new.did, field)
    out.scope, out.name, out.type = key.scope, key.name, _type_to_wire(new.type)  # type: ignore[assignment]
    if new.bytes is not None:
        out.bytes = new.bytes
    if new.events is not None:
        out.events = new.events
    out.adler32, out.md5, out.guid = new.adler32 or "", new.md5 or "", new.guid or ""
    out.account = new.account or ""
    metadata_to_wire(new.metadata, out.metadata)


def load_request(chunk: LoadChunk) -> metadata_service_pb2.LoadDidsRequest:
    """One LoadDids message of a chunk (what `Client.load` sends for it)."""
    request = metadata_service_pb2.LoadDidsRequest()
    for index, new in enumerate(chunk.dids):
        _new_did(new, request.dids.add(), f"dids[{index}]")
    for index, (did, metadata) in enumerate(chunk.metadata):
        item = request.metadata.add(did=did_key_to_wire(as_key(did, f"metadata[{index}].did")))
        metadata_to_wire(metadata, item.metadata)
    request.attachments.extend(
        did_pb2.Attachment(parent=did_key_to_wire(as_key(p, "parent")), child=did_key_to_wire(as_key(c, "child")))
        for p, c in chunk.attachments
    )
    return request


class Client:
    """A connection to one didmeta server. Use as a context manager or call close()."""

    def __init__(
        self,
        target: str = DEFAULT_SERVER,
        *,
        timeout: float | None = 60.0,
        credentials: grpc.ChannelCredentials | None = None,
        token: str | None = None,
        token_file: str | os.PathLike[str] | None = None,
        resume_attempts: int = 5,
        options: Sequence[tuple[str, Any]] = (),
        primary_reads: bool = False,
        retry_reads: bool = True,
    ) -> None:
        """`token` or `token_file` (re-read when it changes) is sent as a bearer token on every call;
        `credentials` (see `credentials.tls_credentials`) makes the channel TLS or mTLS. A `target`
        without a port means port 50051. `primary_reads` asks a server with read replicas to answer
        reads from the primary database (read-after-write; docs/operations.md, "Read replicas").
        `retry_reads` retries read-only calls that failed with UNAVAILABLE (`retries.py`); writes are
        never retried."""
        target = with_default_port(target)
        self.target = target
        self.timeout = timeout
        self.resume_attempts = resume_attempts
        self.tokens = TokenSource(token, token_file)
        self._headers: tuple[tuple[str, str], ...] = ((READ_FROM_HEADER, "primary"),) if primary_reads else ()
        channel_options = [("grpc.max_receive_message_length", 64 * 1024 * 1024), *options]
        if retry_reads:
            channel_options = with_read_retries(channel_options)
        self._channel = (
            grpc.secure_channel(target, credentials, options=channel_options)
            if credentials is not None
            else grpc.insecure_channel(target, options=channel_options)
        )
        self._dids = did_service_pb2_grpc.DidServiceStub(self._channel)
        self._meta = metadata_service_pb2_grpc.MetadataServiceStub(self._channel)

    @property
    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return self.tokens.metadata() + self._headers

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _error(self, error: grpc.RpcError) -> DidmetaError:
        """The didmeta error of a failed call; a transport failure (no reason from a server) names the address."""
        result = from_rpc_error(error)
        if result.code == grpc.StatusCode.UNAVAILABLE and not sent_by_server(error):
            return Unavailable(
                f"the didmeta server at {self.target} is unreachable ({result.message})",
                reason="SERVER_UNREACHABLE",
                metadata={"server": self.target},
            )
        return result

    def _timeout(self, timeout: float | _UseClientTimeout | None) -> float | None:
        return self.timeout if isinstance(timeout, _UseClientTimeout) else timeout

    def _call(self, method: Callable[..., T], request: Any, **kwargs: Any) -> T:
        try:
            return method(request, timeout=self.timeout, metadata=self._metadata, **kwargs)
        except grpc.RpcError as error:
            raise self._error(error) from None

    def _stream(self, method: Callable[..., Iterable[T]], request: Any, timeout: float | None = None) -> Iterator[T]:
        try:
            yield from method(request, timeout=timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise self._error(error) from None

    # --- scopes and DIDs ------------------------------------------------------------------------
    def add_scope(self, scope: str, account: str = "") -> Scope:
        response = self._call(self._dids.AddScope, did_service_pb2.AddScopeRequest(scope=scope, account=account))
        return Scope(
            response.scope.name, response.scope.account, timestamp_from_wire(response.scope.created_at, "created_at")
        )

    def list_scopes(self, pattern: str = "") -> list[Scope]:
        response = self._call(self._dids.ListScopes, did_service_pb2.ListScopesRequest(pattern=pattern))
        return [Scope(s.name, s.account, timestamp_from_wire(s.created_at, "created_at")) for s in response.scopes]

    def add_dids(self, dids: Iterable[NewDid]) -> int:
        request = did_service_pb2.AddDidsRequest()
        for index, new in enumerate(dids):
            _new_did(new, request.dids.add(), f"dids[{index}]")
        return self._call(self._dids.AddDids, request).created

    def add_did(self, did: DidLike, type: str, **attributes: Any) -> int:
        return self.add_dids([NewDid(did, type, **attributes)])

    def get_did(self, did: DidLike) -> DidInfo:
        response = self._call(self._dids.GetDid, did_service_pb2.GetDidRequest(did=did_key_to_wire(as_key(did))))
        return _did_info(response.did)

    def _attachments(self, parent: DidLike, children: Iterable[DidLike]) -> list[did_pb2.Attachment]:
        parent_key = did_key_to_wire(as_key(parent, "parent"))
        return [
            did_pb2.Attachment(parent=parent_key, child=did_key_to_wire(as_key(c, f"children[{i}]")))
            for i, c in enumerate(children)
        ]

    def attach(self, parent: DidLike, children: Iterable[DidLike]) -> int:
        request = did_service_pb2.AttachDidsRequest(attachments=self._attachments(parent, children))
        return self._call(self._dids.AttachDids, request).attached

    def detach(self, parent: DidLike, children: Iterable[DidLike]) -> int:
        request = did_service_pb2.DetachDidsRequest(attachments=self._attachments(parent, children))
        return self._call(self._dids.DetachDids, request).detached

    def list_content(self, did: DidLike) -> Iterator[DidInfo]:
        request = did_service_pb2.ListContentRequest(did=did_key_to_wire(as_key(did)))
        for response in self._stream(self._dids.ListContent, request, self.timeout):
            yield from (_did_info(d) for d in response.dids)

    def set_status(self, did: DidLike, *, open: bool) -> DidInfo:
        request = did_service_pb2.SetDidStatusRequest(did=did_key_to_wire(as_key(did)), open=open)
        return _did_info(self._call(self._dids.SetDidStatus, request).did)

    def delete_dids(self, dids: Iterable[DidLike]) -> int:
        request = did_service_pb2.DeleteDidsRequest(
            dids=[did_key_to_wire(as_key(d, f"dids[{i}]")) for i, d in enumerate(dids)]
        )
        return self._call(self._dids.DeleteDids, request).deleted

    # --- embargoes and history -------------------------------------------------------------------
    def set_embargo(self, did: DidLike, until: datetime, *, recursive: bool = False) -> EmbargoInfo:
        """Hide `did` (and with `recursive` everything below it) until `until` (naive: UTC)."""
        request = did_service_pb2.SetEmbargoRequest(did=did_key_to_wire(as_key(did)), recursive=recursive)
        timestamp_to_wire(until, request.until)
        return _embargo_info(self._call(self._dids.SetEmbargo, request).embargo)

    def clear_embargo(self, did: DidLike) -> bool:
        """Lift the embargo of `did`; False if it had none."""
        request = did_service_pb2.ClearEmbargoRequest(did=did_key_to_wire(as_key(did)))
        return self._call(self._dids.ClearEmbargo, request).cleared

    def get_embargo(self, did: DidLike) -> EmbargoInfo | None:
        """The embargo of `did`, or None."""
        request = did_service_pb2.GetEmbargoRequest(did=did_key_to_wire(as_key(did)))
        response = self._call(self._dids.GetEmbargo, request)
        return _embargo_info(response.embargo) if response.HasField("embargo") else None

    def list_history(self, did: DidLike, *, key: str = "", since: datetime | None = None) -> Iterator[HistoryEvent]:
        """The audit records of `did`, oldest first (optionally one metadata key's, from `since` on)."""
        request = did_service_pb2.ListHistoryRequest(did=did_key_to_wire(as_key(did)), key=key)
        if since is not None:
            timestamp_to_wire(since, request.since)
        for response in self._stream(self._dids.ListHistory, request, self.timeout):
            yield from (_history_event(e) for e in response.events)

    # --- metadata -------------------------------------------------------------------------------
    def set_metadata(self, did: DidLike, metadata: Metadata, *, recursive: bool = False) -> None:
        request = metadata_service_pb2.SetMetadataRequest(did=did_key_to_wire(as_key(did)), recursive=recursive)
        metadata_to_wire(metadata, request.metadata)
        self._call(self._meta.SetMetadata, request)

    def set_metadata_bulk(self, items: Iterable[tuple[DidLike, Metadata]], *, recursive: bool = False) -> int:
        request = metadata_service_pb2.SetMetadataBulkRequest(recursive=recursive)
        for index, (did, metadata) in enumerate(items):
            item = request.items.add(did=did_key_to_wire(as_key(did, f"items[{index}].did")))
            metadata_to_wire(metadata, item.metadata)
        return self._call(self._meta.SetMetadataBulk, request).updated

    def load(
        self, chunks: Iterable[LoadChunk], timeout: float | _UseClientTimeout | None = _CLIENT_TIMEOUT
    ) -> LoadResult:
        """Stream chunks to LoadDids; each chunk is applied atomically, in order.

        `timeout` (default: the client's) is the deadline of the whole load; None for none.
        """

        # gRPC swallows an exception raised while producing requests (a bad input record, a bad DID)
        # and fails the call with UNKNOWN "Exception iterating requests!": keep it and raise it instead.
        producer_errors: list[BaseException] = []

        def requests() -> Iterator[metadata_service_pb2.LoadDidsRequest]:
            try:
                for chunk in chunks:
                    yield load_request(chunk)
            except Exception as error:
                producer_errors.append(error)
                raise

        try:
            response = self._meta.LoadDids(requests(), timeout=self._timeout(timeout), metadata=self._metadata)
        except grpc.RpcError as error:
            if producer_errors:
                raise producer_errors[0] from None
            raise self._error(error) from None
        return LoadResult(response.chunks, response.created, response.updated, response.attached)

    def get_metadata(self, did: DidLike, plugin: str = "DID_COLUMN") -> Metadata:
        request = metadata_service_pb2.GetMetadataRequest(did=did_key_to_wire(as_key(did)), plugin=plugin)
        return metadata_from_wire(self._call(self._meta.GetMetadata, request).metadata)

    def get_metadata_bulk(
        self, dids: Iterable[DidLike], plugin: str = "ALL", *, inherit: bool = False
    ) -> Iterator[tuple[DidKey, Metadata | None]]:
        """(DID, metadata) per existing DID and (DID, None) per missing one."""
        request = metadata_service_pb2.GetMetadataBulkRequest(
            dids=[did_key_to_wire(as_key(d)) for d in dids], plugin=plugin, inherit=inherit
        )
        for response in self._stream(self._meta.GetMetadataBulk, request, self.timeout):
            for item in response.results:
                yield DidKey(item.did.scope, item.did.name), metadata_from_wire(item.metadata)
            for missing in response.missing:
                yield DidKey(missing.scope, missing.name), None

    def delete_metadata(self, did: DidLike, keys: Iterable[str]) -> None:
        request = metadata_service_pb2.DeleteMetadataRequest(did=did_key_to_wire(as_key(did)), keys=list(keys))
        self._call(self._meta.DeleteMetadata, request)

    def list_plugins(self) -> list[PluginInfo]:
        response = self._call(self._meta.ListPlugins, metadata_service_pb2.ListPluginsRequest())
        return [
            PluginInfo(p.name, p.order, p.description, tuple(p.features), p.healthy, tuple(p.managed_keys))
            for p in response.plugins
        ]

    # --- listing --------------------------------------------------------------------------------
    @staticmethod
    def _list_request(scope: str, filter: FilterArg, type: str, recursive: bool, ignore_case: bool) -> dict[str, Any]:
        """`filter` is the string grammar, a wire `Filter` (groups or tree), or structured OR groups of
        (key, Op, typed value) clauses."""
        request: dict[str, Any] = {"scope": scope, "recursive": recursive, "ignore_case": ignore_case}
        try:
            request["type"] = SELECTOR_TO_WIRE[type.lower()]
        except KeyError:
            raise ValueError(f"unknown type selector {type!r}: {', '.join(SELECTOR_TO_WIRE)}") from None
        if isinstance(filter, filter_pb2.Filter):  # a structured filter (groups or tree), as built by the caller
            request["filter"] = filter
        elif isinstance(filter, str):
            if filter:
                request["filter"] = {"expression": filter}
        elif filter:
            request["filter"] = filter_to_wire([list(group) for group in filter])
        return request

    def list_dids_batches(
        self,
        scope: str,
        filter: FilterArg = "",
        *,
        type: str = "collection",
        long: bool = False,
        recursive: bool = False,
        limit: int = 0,
        ignore_case: bool = False,
        metadata_keys: Sequence[str] = (),
        batch_size: int = 0,
        page_token: str = "",
        timeout: float | _UseClientTimeout | None = _CLIENT_TIMEOUT,
        arrow: bool = False,
    ) -> Iterator[metadata_service_pb2.ListDidsResponse]:
        """The raw columnar batches of ListDids, resumed transparently after a dropped connection.

        `timeout` (default: the client's; None for none) is the deadline of the whole listing, resumes
        included. Only a stream that has delivered a batch is resumed: a server that never answered
        fails at once. With `arrow`, format ARROW: each batch carries `arrow_ipc` (see `list_dids_arrow`).
        """
        fields = self._list_request(scope, filter, type, recursive, ignore_case)
        request = metadata_service_pb2.ListDidsRequest(
            long=long, limit=limit, metadata_keys=list(metadata_keys), batch_size=batch_size, **fields
        )
        if arrow:
            request.format = metadata_service_pb2.LIST_FORMAT_ARROW
        seconds = self._timeout(timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        token = page_token
        attempts = 0
        started = False
        while True:
            request.page_token = token
            remaining = None if deadline is None else deadline - time.monotonic()
            try:
                if remaining is not None and remaining <= 0:
                    raise DeadlineExceeded(
                        f"the listing did not finish within the deadline of {seconds} s", reason="DEADLINE"
                    )
                for response in self._meta.ListDids(request, timeout=remaining, metadata=self._metadata):
                    token = response.next_page_token
                    started, attempts = True, 0
                    yield response
                return
            except grpc.RpcError as error:
                if not started or error.code() != grpc.StatusCode.UNAVAILABLE or attempts >= self.resume_attempts:
                    raise self._error(error) from None
                attempts += 1
                pause = min(0.2 * 2**attempts, 5.0)
                if deadline is not None:
                    pause = max(0.0, min(pause, deadline - time.monotonic()))
                time.sleep(pause)

    def list_dids(self, scope: str, filter: FilterArg = "", **options: Any) -> Iterator[str]:
        """`scope:name` of every matching DID, in (scope, name) order."""
        options["long"] = False
        for response in self.list_dids_batches(scope, filter, **options):
            batch = response.batch
            for s, n in zip(batch.scopes, batch.names, strict=True):
                yield f"{s}:{n}"

    def list_dids_long(self, scope: str, filter: FilterArg = "", **options: Any) -> Iterator[DidRow]:
        """Matching DIDs with type, bytes, length and the requested `metadata_keys`."""
        options["long"] = True
        for response in self.list_dids_batches(scope, filter, **options):
            batch = response.batch
            metadata = [metadata_from_wire(m.values) for m in batch.metadata] or [{}] * len(batch.names)
            for s, n, t, b, length, md in zip(
                batch.scopes, batch.names, batch.types, batch.bytes, batch.lengths, metadata, strict=True
            ):
                yield DidRow(s, n, DID_TYPE_FROM_WIRE[t].name, b, length, md)

    def list_dids_arrow(self, scope: str, filter: str = "", **options: Any) -> Iterator[Any]:
        """Matching DIDs as `pyarrow.RecordBatch`es: scope, name, type, bytes, length, events, created_at
        and one typed column per `metadata_keys` entry (docs/arrow.md). Needs `didmeta[arrow]`."""
        from didmeta.client import arrow

        arrow.require_pyarrow()
        options["arrow"] = True
        for response in self.list_dids_batches(scope, filter, **options):
            yield arrow.decode(response.batch.arrow_ipc)

    def list_dids_table(self, scope: str, filter: str = "", **options: Any) -> Any:
        """The whole listing as one `pyarrow.Table` (`.to_pandas()`, `polars.from_arrow(...)`)."""
        from didmeta.client import arrow

        return arrow.to_table(self.list_dids_arrow(scope, filter, **options), options.get("metadata_keys", ()))

    def count_dids(
        self,
        scope: str,
        filter: FilterArg = "",
        *,
        type: str = "collection",
        recursive: bool = False,
        ignore_case: bool = False,
    ) -> int:
        fields = self._list_request(scope, filter, type, recursive, ignore_case)
        return self._call(self._meta.CountDids, metadata_service_pb2.CountDidsRequest(**fields)).count

    def count_totals(
        self,
        scope: str,
        filter: str = "",
        *,
        type: str = "collection",
        recursive: bool = False,
        ignore_case: bool = False,
    ) -> CountTotals:
        """The count of matching DIDs with the sums of their `bytes` and `events`."""
        fields = self._list_request(scope, filter, type, recursive, ignore_case)
        answer = self._call(self._meta.CountDids, metadata_service_pb2.CountDidsRequest(**fields, totals=True))
        return CountTotals(answer.count, answer.bytes, answer.events)

    def facet_dids(
        self,
        scope: str,
        filter: str = "",
        facets: Sequence[str | tuple[str, float] | tuple[str, float, int]] = (),
        *,
        type: str = "collection",
        recursive: bool = False,
        ignore_case: bool = False,
        top: int = 0,
    ) -> FacetResult:
        """Summaries of keys over the matching DIDs. Each facet is a key, (key, bucket width) or
        (key, bucket width, top); a width of 0 means no histogram, a top of 0 the `top` argument."""
        fields = self._list_request(scope, filter, type, recursive, ignore_case)
        request = metadata_service_pb2.FacetDidsRequest(**fields)
        for facet in facets:
            key, width, own_top = (facet, 0.0, 0) if isinstance(facet, str) else (*facet, 0)[:3]
            request.facets.add(key=str(key), bucket_width=float(width), top=int(own_top) or top)
        answer = self._call(self._meta.FacetDids, request)
        return FacetResult(
            answer.count,
            [
                Facet(
                    f.key,
                    [(value_from_wire(v.value), v.count) for v in f.values],
                    [(value_from_wire(b.lower), b.count) for b in f.buckets],
                    f.missing,
                    f.other,
                    f.distinct,
                )
                for f in answer.facets
            ],
        )

    def explain_dids(
        self,
        scope: str,
        filter: str = "",
        *,
        type: str = "collection",
        recursive: bool = False,
        ignore_case: bool = False,
    ) -> Explanation:
        """How `list_dids` with these arguments would run: routed clauses, backend queries, plans."""
        fields = self._list_request(scope, filter, type, recursive, ignore_case)
        answer = self._call(self._meta.ExplainDids, metadata_service_pb2.ExplainDidsRequest(**fields))
        return Explanation(
            [
                (list(g.types), [ExplainedClause(c.clause, c.plugin, c.complement) for c in g.clauses])
                for g in answer.groups
            ],
            answer.merged,
            [
                ExplainedQuery(q.backend, q.group, q.language, q.query, dict(q.parameters), q.plan)
                for q in answer.queries
            ],
        )

    # --- declared keys -----------------------------------------------------------------------------
    _KEY_TYPES = {"bool": 1, "int": 2, "double": 3, "string": 4, "timestamp": 5}

    @classmethod
    def _key_info(cls, message: metadata_service_pb2.KeyDeclaration) -> KeyInfo:
        names = {v: k for k, v in cls._KEY_TYPES.items()}
        return KeyInfo(
            message.key,
            names.get(message.type, "unspecified"),
            message.list,
            [value_from_wire(v) for v in message.allowed_values],
            message.pattern,
            [DID_TYPE_FROM_WIRE[t].name for t in message.did_types],
            message.unit,
            message.description,
            message.account,
        )

    def declare_key(
        self,
        key: str,
        type: str,
        *,
        is_list: bool = False,
        allowed_values: Sequence[Any] = (),
        pattern: str = "",
        did_types: Sequence[str] = (),
        unit: str = "",
        description: str = "",
    ) -> DeclareResult:
        """Declare (or redeclare) a key; reports the existing DIDs whose value violates it (admins)."""
        declaration = metadata_service_pb2.KeyDeclaration(
            key=key,
            type=cast(Any, self._KEY_TYPES.get(type.lower(), 0)),
            list=is_list,
            pattern=pattern,
            did_types=cast(Any, [_TYPE_TO_WIRE[t.lower()] for t in did_types]),
            unit=unit,
            description=description,
        )
        for value in allowed_values:
            value_to_wire(value, declaration.allowed_values.add())
        answer = self._call(self._meta.DeclareKey, metadata_service_pb2.DeclareKeyRequest(declaration=declaration))
        return DeclareResult(
            self._key_info(answer.declaration),
            answer.violation_count,
            [f"{k.scope}:{k.name}" for k in answer.violations],
        )

    def list_keys(self) -> list[KeyInfo]:
        answer = self._call(self._meta.ListKeys, metadata_service_pb2.ListKeysRequest())
        return [self._key_info(d) for d in answer.declarations]

    def get_key(self, key: str) -> KeyInfo:
        answer = self._call(self._meta.GetKey, metadata_service_pb2.GetKeyRequest(key=key))
        return self._key_info(answer.declaration)

    def delete_key(self, key: str) -> None:
        self._call(self._meta.DeleteKey, metadata_service_pb2.DeleteKeyRequest(key=key))

    # --- saved queries and frozen selections ---------------------------------------------------------
    @staticmethod
    def _saved(message: metadata_service_pb2.SavedQuery) -> SavedQueryInfo:
        selectors = {v: k for k, v in SELECTOR_TO_WIRE.items()}
        raw = filter_from_wire(message.filter)  # a structured filter is printed in the grammar
        # a structured filter (groups or a tree) is printed in the grammar, list quantifiers included
        expression = raw if isinstance(raw, str) else format_tree(groups_node(raw) if isinstance(raw, list) else raw)
        return SavedQueryInfo(
            message.name,
            message.account,
            message.scope,
            expression,
            selectors.get(message.type, "collection"),
            message.recursive,
            message.ignore_case,
        )

    def save_query(
        self,
        name: str,
        scope: str,
        filter: str = "",
        *,
        type: str = "collection",
        recursive: bool = False,
        ignore_case: bool = False,
        replace: bool = False,
    ) -> SavedQueryInfo:
        """Store a named query under the caller's account (validated like a listing)."""
        fields = self._list_request(scope, filter, type, recursive, ignore_case)
        query = metadata_service_pb2.SavedQuery(name=name, **fields)
        request = metadata_service_pb2.SaveQueryRequest(query=query, replace=replace)
        return self._saved(self._call(self._meta.SaveQuery, request).query)

    def list_saved_queries(self, account: str = "") -> list[SavedQueryInfo]:
        request = metadata_service_pb2.ListSavedQueriesRequest(account=account)
        return [self._saved(q) for q in self._call(self._meta.ListSavedQueries, request).queries]

    def get_saved_query(self, name: str, account: str = "") -> SavedQueryInfo:
        request = metadata_service_pb2.GetSavedQueryRequest(name=name, account=account)
        return self._saved(self._call(self._meta.GetSavedQuery, request).query)

    def delete_saved_query(self, name: str) -> None:
        self._call(self._meta.DeleteSavedQuery, metadata_service_pb2.DeleteSavedQueryRequest(name=name))

    def list_saved(self, name: str, account: str = "", **options: Any) -> Iterator[str]:
        """`list_dids` with the arguments of a saved query (`options`: limit, timeout, ...)."""
        saved = self.get_saved_query(name, account)
        options.update(type=saved.type, recursive=saved.recursive, ignore_case=saved.ignore_case)
        return self.list_dids(saved.scope, saved.filter, **options)

    def freeze_dids(
        self,
        did: DidLike,
        scope: str,
        filter: str = "",
        *,
        did_type: str = "dataset",
        type: str = "file",
        recursive: bool = False,
        ignore_case: bool = False,
        metadata: Metadata | None = None,
    ) -> int:
        """Create a closed DATASET (or CONTAINER) holding exactly the DIDs the listing returns now; its
        metadata records the query, time and count (`frozen_*`). Returns the number attached."""
        key = as_key(did)
        new = did_pb2.NewDid(scope=key.scope, name=key.name, type=cast(Any, _TYPE_TO_WIRE[did_type.lower()]))
        metadata_to_wire(metadata or {}, new.metadata)
        fields = self._list_request(scope, filter, type, recursive, ignore_case)
        request = metadata_service_pb2.FreezeDidsRequest(did=new, **fields)
        return self._call(self._meta.FreezeDids, request).count
