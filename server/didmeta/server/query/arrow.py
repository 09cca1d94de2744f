"""ListDids as Arrow (format ARROW): record batches built column-wise.

`ArrowSource` picks the path of a listing. A pure-SQL listing (every filter clause on DID_COLUMN or
JSON keys) is fetched as Arrow columns by ADBC, its metadata columns extracted in the same SQL statement
(arrow_sql.py) and typed column by column (arrow_convert.py): no Python object per row. Listings with
external plugins' clauses come as row tuples `(scope, name, did_type, bytes, length, events, created_at)`
of the merged streams (merge.py); `record_batch` turns each column into one Arrow array with one call
and reads the metadata columns through arrow_metadata.py. Both give the values GetMetadata returns, one
typed column per requested key; the typing rules are in docs/arrow.md.

Every message is self-contained: one Arrow IPC stream (schema + one record batch), so a client can decode
any message alone and a resume token continues exactly as for DID batches.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol

from didmeta.errors import FailedPrecondition
from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.query import tokens
from didmeta.server.query.arrow_metadata import metadata_columns
from didmeta.server.query.batch_cap import fewer_rows
from didmeta.server.query.plan import ListQuery
from didmeta.server.query.stream import RowStream
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.values import MetaValue, dump_json, to_json

TYPE_NAMES = {"F": "FILE", "D": "DATASET", "C": "CONTAINER"}
CORE_COLUMNS = ("scope", "name", "type", "bytes", "length", "events", "created_at")
# Field metadata of a column (or list column) holding the JSON text of values of mixed types.
JSON_FALLBACK = {b"didmeta.fallback": b"json"}


def require_pyarrow() -> ModuleType:
    """pyarrow, or FAILED_PRECONDITION naming the extra to install."""
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        raise FailedPrecondition(
            "format ARROW needs pyarrow on the server: install didmeta[arrow]", reason="ARROW_UNAVAILABLE"
        ) from None


def _kind(value: MetaValue) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, list):
        return "list"
    return "object"


def _json(value: MetaValue) -> str | None:
    """The JSON-text fallback of a value: its stored JSON form, an object's keys sorted (backends keep
    their own order: PostgreSQL's jsonb by length, the others as written), so every backend gives one text."""
    return None if value is None else dump_json(to_json(_keys_sorted(value)))


def _keys_sorted(value: MetaValue) -> MetaValue:
    if isinstance(value, dict):
        return {key: _keys_sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_keys_sorted(item) for item in value]
    return value


#: Kinds that make a double column, the integers converted (`_doubles`).
_NUMBERS = {"int", "double"}


def _doubles(values: Sequence[MetaValue]) -> list[MetaValue]:
    """Integers and doubles as doubles: the nearest double of an integer, as `float()` gives it (pyarrow
    refuses an integer beyond 2**53 that a double cannot hold exactly)."""
    return [float(v) if type(v) is int else v for v in values]


def _scalar_type(pa: ModuleType, kinds: set[str]) -> Any | None:
    """The Arrow type of values of these kinds, or None when they need the JSON-text fallback."""
    if kinds == {"bool"}:
        return pa.bool_()
    if kinds == {"int"}:
        return pa.int64()
    if kinds <= {"int", "double"}:
        return pa.float64()
    if kinds == {"string"}:
        return pa.string()
    if kinds == {"timestamp"}:
        return pa.timestamp("us", tz="UTC")
    return None


def metadata_array(pa: ModuleType, values: Sequence[MetaValue]) -> Any:
    """One typed column of a metadata key: see docs/arrow.md (int+double -> double, mixed -> JSON text)."""
    kinds = {_kind(v) for v in values if v is not None}
    if not kinds:
        return pa.nulls(len(values))
    scalar = _scalar_type(pa, kinds)
    if scalar is not None:
        return pa.array(_doubles(values) if kinds == _NUMBERS else values, type=scalar)
    if kinds == {"list"}:
        items = {_kind(item) for v in values if isinstance(v, list) for item in v if item is not None}
        item_type = _scalar_type(pa, items) if items else pa.null()
        if item_type is not None:
            lists = [_doubles(v) if items == _NUMBERS and isinstance(v, list) else v for v in values]
            return pa.array(lists, type=pa.list_(item_type))
        texts = [[_json(i) for i in v] if isinstance(v, list) else None for v in values]
        return pa.array(texts, type=pa.list_(pa.string()))
    return pa.array([_json(v) for v in values], type=pa.string())


def _created_at(pa: ModuleType, column: Sequence[Any]) -> Any:
    utc = pa.timestamp("us", tz="UTC")
    if column and isinstance(column[0], str):  # SQLite: text `YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC
        return pa.array(column, type=pa.string()).cast(pa.timestamp("us")).cast(utc)
    return pa.array(column, type=pa.timestamp("us")).cast(utc)


ColumnsFor = Callable[[Sequence[DidKey], Sequence[str]], dict[str, list[MetaValue]]]


def record_batch(rows: Sequence[Sequence[Any]], metadata_keys: Sequence[str], columns_for: ColumnsFor) -> Any:
    """The record batch of a listing's long rows (non-empty)."""
    pa = require_pyarrow()
    columns = list(zip(*rows, strict=True))
    scopes = pa.array(columns[0], type=pa.string()).dictionary_encode()
    codes = pa.array(columns[2], type=pa.string()).dictionary_encode()
    types = pa.DictionaryArray.from_arrays(
        codes.indices, pa.array([TYPE_NAMES[c] for c in codes.dictionary.to_pylist()], type=pa.string())
    )
    arrays: list[Any] = [
        scopes,
        pa.array(columns[1], type=pa.string()),
        types,
        pa.array(columns[3], type=pa.int64()),
        pa.array(columns[4], type=pa.int64()),
        pa.array(columns[5], type=pa.int64()),
        _created_at(pa, columns[6]),
    ]
    fields = [pa.field(name, array.type) for name, array in zip(CORE_COLUMNS, arrays, strict=True)]
    if metadata_keys:
        keys = [DidKey(s, n) for s, n in zip(columns[0], columns[1], strict=True)]
        found = columns_for(keys, metadata_keys)
        for name in metadata_keys:
            values = found[name]
            array = metadata_array(pa, values)
            arrays.append(array)
            fallback = is_fallback(pa, array.type, values)
            fields.append(pa.field(name, array.type, metadata=JSON_FALLBACK if fallback else None))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def is_fallback(pa: ModuleType, type_: Any, values: Sequence[MetaValue]) -> bool:
    """Whether a string (list) column holds JSON text rather than the string values themselves."""
    if type_ == pa.string():
        return any(v is not None and not isinstance(v, str) for v in values)
    if pa.types.is_list(type_) and type_.value_type == pa.string():
        return any(isinstance(v, list) and any(not isinstance(i, str) for i in v if i is not None) for v in values)
    return False


def to_ipc(batch: Any) -> bytes:
    """One Arrow IPC stream holding `batch`."""
    pa = require_pyarrow()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


class ArrowListing(Protocol):
    """What the builder needs of the servicer's validated listing."""

    fingerprint: bytes
    delivered: int
    metadata_keys: list[str]


class ArrowSource:
    """The ARROW batches of one listing: columns fetched from the database when the listing is pure SQL
    (query/arrow_sql.py, converted by query/arrow_convert.py), else batches of the merged streams' rows."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        query: ListQuery,
        *,
        after: DidKey | None,
        limit: int | None,
        metadata_keys: Sequence[str],
    ) -> None:
        from didmeta.server.query import arrow_sql, meta_sql

        self.pa = require_pyarrow()
        self.dispatcher = dispatcher
        self.metadata_keys = list(metadata_keys)
        self.columns = meta_sql.meta_columns(dispatcher, self.metadata_keys)
        self.columnar = arrow_sql.open_columns(dispatcher, query, after=after, limit=limit, columns=self.columns)
        self.rows: RowStream | None = None
        if self.columnar is None:
            self.rows = dispatcher.open_listing(query, long=True, after=after, limit=limit, wide=True)
        self._pending: Sequence[Any] = []  # rows left for the next batch (row path)

    def next_batch(self, size: int) -> Any | None:
        """The next record batch of at most `size` DIDs; None at the end."""
        if self.columnar is not None:
            from didmeta.server.query.arrow_convert import converted_batch

            raw = self.columnar.fetch(size)
            if raw is None:
                return None
            self._last_raw = raw
            return converted_batch(self.pa, raw, self.columns, self.dispatcher)
        assert self.rows is not None
        rows = self._pending or self.rows.fetch(size)
        self._pending = []
        if not rows:
            return None
        self._last_rows = rows
        return record_batch(rows, self.metadata_keys, functools.partial(metadata_columns, self.dispatcher))

    def keep_only(self, count: int) -> None:
        """Of the last batch, deliver only the first `count` DIDs; the rest come first in the next batch."""
        if self.columnar is not None:
            self.columnar.push_back(self._last_raw.slice(count))
        else:
            self._pending = list(self._last_rows[count:])

    def cancel(self) -> None:
        (self.columnar or self.rows).cancel()  # type: ignore[union-attr]

    def close(self) -> None:
        (self.columnar or self.rows).close()  # type: ignore[union-attr]


def open_source(dispatcher: Dispatcher, query: ListQuery, listing: Any) -> ArrowSource:
    """The source of an ARROW listing (`listing`: the servicer's validated Listing)."""
    return ArrowSource(
        dispatcher, query, after=listing.after, limit=listing.remaining, metadata_keys=listing.metadata_keys
    )


def build_response(source: ArrowSource, listing: ArrowListing, size: int, max_bytes: int) -> pb.ListDidsResponse | None:
    """Fetch one batch and build its ARROW message (runs in a worker thread); None at the end.

    As for DID batches, a message holds at most `size` DIDs and, unless one DID alone is larger,
    `max_bytes`: the rows that do not fit are kept for the next message."""
    batch = source.next_batch(size)
    if batch is None:
        return None
    data = to_ipc(batch)
    if batch.num_rows > 1 and len(data) > max_bytes:
        keep = batch.num_rows
        while keep > 1 and len(data) > max_bytes:
            keep = fewer_rows(keep, max_bytes, len(data))
            data = to_ipc(batch.slice(0, keep))
        source.keep_only(keep)
        batch = batch.slice(0, keep)
    response = pb.ListDidsResponse()
    response.batch.arrow_ipc = data
    listing.delivered += batch.num_rows
    last = DidKey(batch.column(0)[-1].as_py(), batch.column(1)[-1].as_py())
    response.next_page_token = tokens.encode(listing.fingerprint, listing.delivered, last)
    return response
