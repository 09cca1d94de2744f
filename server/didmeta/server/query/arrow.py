"""ListDids as Arrow (format ARROW): record batches built column-wise from the listing's row tuples.

A listing's rows are tuples `(scope, name, did_type, bytes, length, events, created_at)` (long, wide output,
plan.py / merge.py); each column becomes one Arrow array with one call, never a Python object per row
beyond the tuple. Metadata columns are read column by column (arrow_metadata.py: the same values as
GetMetadata), one typed column per requested key; the typing rules are in docs/arrow.md.

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
    return None if value is None else dump_json(to_json(value))


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
        return pa.array(values, type=scalar)
    if kinds == {"list"}:
        items = {_kind(item) for v in values if isinstance(v, list) for item in v if item is not None}
        item_type = _scalar_type(pa, items) if items else pa.null()
        if item_type is not None:
            return pa.array(values, type=pa.list_(item_type))
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
            fallback = _is_fallback(pa, array.type, values)
            fields.append(pa.field(name, array.type, metadata=JSON_FALLBACK if fallback else None))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def _is_fallback(pa: ModuleType, type_: Any, values: Sequence[MetaValue]) -> bool:
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
    pending: list[Any]  # rows fetched but left for the next message (bytes cap)


def build_response(
    stream: RowStream, listing: ArrowListing, size: int, dispatcher: Dispatcher, max_bytes: int
) -> pb.ListDidsResponse | None:
    """Fetch one batch and build its ARROW message (runs in a worker thread); None at the end.

    As for DID batches, a message holds at most `size` DIDs and, unless one DID alone is larger,
    `max_bytes`: the rows that do not fit are kept for the next message."""
    rows: Sequence[Any] = listing.pending or stream.fetch(size)
    listing.pending = []
    if not rows:
        return None
    columns_for = functools.partial(metadata_columns, dispatcher)
    batch = record_batch(rows, listing.metadata_keys, columns_for)
    data = to_ipc(batch)
    while len(rows) > 1 and len(data) > max_bytes:
        keep = max(1, min(len(rows) - 1, int(len(rows) * max_bytes * 0.9 / len(data))))
        listing.pending = list(rows[keep:]) + listing.pending
        rows = rows[:keep]
        batch = batch.slice(0, keep)
        data = to_ipc(batch)
    response = pb.ListDidsResponse()
    response.batch.arrow_ipc = data
    listing.delivered += len(rows)
    last = DidKey(rows[-1][0], rows[-1][1])
    response.next_page_token = tokens.encode(listing.fingerprint, listing.delivered, last)
    return response
