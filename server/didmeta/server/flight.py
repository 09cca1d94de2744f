"""The optional Arrow Flight endpoint (`flight_listen`): ListDids for any Flight client, no didmeta code.

- `DoGet(ticket)`: the ticket is a ListDidsRequest, binary protobuf or its canonical JSON mapping
  (`{"scope": "mc*", "filter": {"expression": "run>=100"}, "type": "DID_TYPE_SELECTOR_ALL",
  "metadataKeys": ["run"]}`); the stream has the columns of format ARROW (query/arrow.py), scope and
  type as plain strings (a Flight stream cannot replace dictionaries between batches).
- `GetFlightInfo(FlightDescriptor.for_command(ticket))`: the schema and one endpoint whose ticket is the
  command (fetch it from this server with DoGet).

A Flight stream has one schema: it is the first batch's (fetched at `max_batch_size` DIDs). A later
batch whose metadata column has another type is converted as `Client.list_dids_table` would (null to the
column's type, int to double, anything to the JSON text of a JSON-fallback column); a value that fits
none of these ends the stream with an error naming the key (docs/arrow.md).

Calls are authenticated as gRPC calls are (flight_auth.py): `auth.mode = local` on a loopback address
only (the local gRPC endpoint's trust), or `auth.mode = token` with a bearer JWT in each call's
`authorization` header, on any address (with the server's TLS certificate when `tls` is set).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format

from didmeta.errors import InvalidArgument
from didmeta.server.access.identity import Identity, current_identity
from didmeta.server.auth import LocalAuthenticator
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.flight_auth import MIDDLEWARE_KEY, call_identity, middleware_factory
from didmeta.server.query import arrow
from didmeta.server.query.limits import NO_DEADLINE
from didmeta.server.servicers.metadata_servicer import MetadataServicer
from didmeta.server.status import as_didmeta_error
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.values import dump_json, to_json

log = logging.getLogger("didmeta.server.flight")


def parse_ticket(data: bytes) -> pb.ListDidsRequest:
    """A ListDidsRequest from a ticket: canonical JSON (starts with `{`) or binary protobuf."""
    request = pb.ListDidsRequest()
    try:
        if data.lstrip().startswith(b"{"):
            json_format.Parse(data.decode("utf-8"), request)
        else:
            request.ParseFromString(data)
    except (json_format.ParseError, UnicodeDecodeError, ValueError) as error:
        raise InvalidArgument.for_field("ticket", f"not a ListDidsRequest: {error}") from None
    request.format = pb.LIST_FORMAT_ARROW
    return request


def conform(pa: Any, batch: Any, schema: Any) -> Any:
    """`batch` with the stream's `schema` (module doc); InvalidArgument naming a key that cannot fit."""
    if batch.schema == schema:
        return batch
    columns = []
    for field, column, own in zip(schema, batch.columns, batch.schema, strict=True):
        if column.type == field.type and own.metadata == field.metadata:
            columns.append(column)
        elif column.type == pa.null() or (field.type == pa.float64() and column.type == pa.int64()):
            columns.append(column.cast(field.type))
        elif field.type == pa.string() and field.metadata == arrow.JSON_FALLBACK:
            texts = [None if v is None else dump_json(to_json(v)) for v in column.to_pylist()]
            columns.append(pa.array(texts, type=pa.string()))
        else:
            raise InvalidArgument.for_field(
                "metadata_keys",
                f"key {field.name!r} is {column.type} here but {field.type} in the stream's first batch; "
                "list it through ListDids (format ARROW), whose batches each carry their schema",
            )
    return pa.RecordBatch.from_arrays(columns, schema=schema)


class ListingFlightServer:
    """A pyarrow.flight server answering DoGet and GetFlightInfo with listings."""

    def __init__(self, settings: Settings, dispatcher: Dispatcher) -> None:
        flight = _flight_module()
        self.pa = arrow.require_pyarrow()
        self.dispatcher = dispatcher
        self.settings = settings
        self.listings = MetadataServicer(dispatcher, settings, LocalAuthenticator(settings.auth.local_account))
        self.identity = self.listings.authenticator.identity  # type: ignore[attr-defined]
        outer = self

        base: Any = flight.FlightServerBase

        class _Server(base):  # type: ignore[misc]
            def do_get(self, context: Any, ticket: Any) -> Any:
                return outer.do_get(ticket.ticket, call_identity(context, outer.identity))

            def get_flight_info(self, context: Any, descriptor: Any) -> Any:
                return outer.get_flight_info(descriptor, call_identity(context, outer.identity))

        options: dict[str, Any] = {"middleware": {MIDDLEWARE_KEY: middleware_factory(flight, settings)}}
        scheme = "grpc"
        if settings.tls is not None:  # the gRPC endpoint's certificate: bearer tokens never travel in clear
            scheme = "grpc+tls"
            pair = flight.CertKeyPair(settings.tls.cert_file.read_bytes(), settings.tls.key_file.read_bytes())
            options["tls_certificates"] = [pair]
        self.server = _Server(f"{scheme}://{settings.flight_listen}", **options)
        self.port = int(self.server.port)

    def _open(self, data: bytes, identity: Identity) -> tuple[Any, Any, arrow.ArrowSource]:
        """The listing of a ticket as `identity` sees it: readable scopes only, embargoes applied."""
        request = parse_ticket(data)
        listing = self.listings._listing(request, NO_DEADLINE)
        hidden = self.listings.access.hidden_scopes(identity)
        if hidden:
            listing.query = dataclasses.replace(listing.query, hidden_scopes=hidden)
        token = current_identity.set(identity)  # the planner's embargo view is the caller's
        try:
            return request, listing, arrow.open_source(self.dispatcher, listing.query, listing)
        finally:
            current_identity.reset(token)

    def _batches(self, listing: Any, source: arrow.ArrowSource) -> Iterator[Any]:
        try:
            if listing.remaining is not None and listing.remaining <= 0:
                return
            while (batch := source.next_batch(listing.batch_size)) is not None:
                yield self._plain(batch)
        finally:
            source.close()

    def _plain(self, batch: Any) -> Any:
        """scope and type as plain strings: a Flight stream cannot replace dictionaries between batches."""
        pa = self.pa
        columns = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in batch.columns]
        fields = [f.with_type(pa.string()) if pa.types.is_dictionary(f.type) else f for f in batch.schema]
        return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))

    def do_get(self, data: bytes, identity: Identity) -> Any:
        flight = _flight_module()
        try:
            _, listing, source = self._open(data, identity)
            listing.batch_size = self.settings.max_batch_size
            batches = self._batches(listing, source)
            first = next(batches, None)
        except Exception as error:
            raise _flight_error(flight, error) from None
        if first is None:
            return flight.RecordBatchStream(self._empty_schema(listing.metadata_keys).empty_table())
        schema = first.schema

        def generate() -> Iterator[Any]:
            yield first
            try:
                for batch in batches:
                    yield conform(self.pa, batch, schema)
            except Exception as error:
                raise _flight_error(flight, error) from None

        return flight.GeneratorStream(schema, generate())

    def get_flight_info(self, descriptor: Any, identity: Identity) -> Any:
        flight = _flight_module()
        data = bytes(descriptor.command or b"")
        try:
            _, listing, source = self._open(data, identity)
            try:
                batch = source.next_batch(self.settings.max_batch_size)
            finally:
                source.close()
            schema = self._plain(batch).schema if batch is not None else self._empty_schema(listing.metadata_keys)
        except Exception as error:
            raise _flight_error(flight, error) from None
        endpoint = flight.FlightEndpoint(data, [])
        return flight.FlightInfo(schema, descriptor, [endpoint], -1, -1)

    def _empty_schema(self, keys: list[str]) -> Any:
        pa = self.pa
        core = [pa.string(), pa.string(), pa.string(), pa.int64(), pa.int64(), pa.int64(), pa.timestamp("us", tz="UTC")]
        fields = [pa.field(n, t) for n, t in zip(arrow.CORE_COLUMNS, core, strict=True)]
        return pa.schema(fields + [pa.field(k, pa.null()) for k in keys])

    def shutdown(self) -> None:
        self.server.shutdown()


def _flight_module() -> Any:
    arrow.require_pyarrow()
    import pyarrow.flight

    return pyarrow.flight


def _flight_error(flight: Any, failure: Exception) -> Exception:
    """The Flight error whose gRPC status is the one the gRPC service would answer (status.py maps any error,
    a database that cannot be reached included), its message starting with the status name."""
    pa = arrow.require_pyarrow()
    error = as_didmeta_error(failure)
    text = f"{error.code.name}: {error.message}"
    kinds: dict[str, Any] = {
        "INVALID_ARGUMENT": pa.ArrowInvalid,
        "FAILED_PRECONDITION": pa.ArrowInvalid,
        "NOT_FOUND": pa.ArrowKeyError,
        "UNIMPLEMENTED": NotImplementedError,
        "PERMISSION_DENIED": flight.FlightUnauthorizedError,
        "UNAUTHENTICATED": flight.FlightUnauthenticatedError,
        "UNAVAILABLE": flight.FlightUnavailableError,
        "CANCELLED": flight.FlightCancelledError,
    }
    return kinds.get(error.code.name, flight.FlightServerError)(text)  # type: ignore[no-any-return]


def start_flight(settings: Settings, dispatcher: Dispatcher) -> ListingFlightServer:
    """Start serving Flight on `settings.flight_listen` (the server runs in pyarrow's own threads)."""
    server = ListingFlightServer(settings, dispatcher)
    host = (settings.flight_listen or "").rsplit(":", 1)[0]
    log.info("didmeta Flight listening", extra={"address": f"{host}:{server.port}"})
    return server
