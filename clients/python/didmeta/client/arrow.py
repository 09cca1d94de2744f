"""Client side of ARROW listings: decode the IPC bytes of each message and unify batches into one table.

Needs pyarrow (`pip install 'didmeta[arrow]'`). Each ListDids message carries one self-contained Arrow
IPC stream. A metadata column's type is decided per message by the server (docs/arrow.md), so two
batches can disagree (a key only null in one, int in one and double in another, string in a third):
`to_table` promotes null to the other type, int64 with double to double, and anything else to the JSON
text of the values, the same fallback the server uses inside one batch.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

from didmeta.values import dump_json, to_json


def require_pyarrow() -> ModuleType:
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        raise ImportError("Arrow listings need pyarrow: pip install 'didmeta[arrow]'") from None


def decode(ipc: bytes) -> Any:
    """The one record batch of a message's `arrow_ipc`."""
    pa = require_pyarrow()
    reader = pa.ipc.open_stream(pa.py_buffer(ipc))
    batches = list(reader)
    if len(batches) != 1:
        raise ValueError(f"expected one record batch per message, got {len(batches)}")
    return batches[0]


JSON_FALLBACK = {b"didmeta.fallback": b"json"}


def _is_json(field: Any) -> bool:
    return bool(field.metadata and field.metadata.get(b"didmeta.fallback") == b"json")


def _unify(pa: ModuleType, types: set[Any], json: bool) -> tuple[Any, bool]:
    """(type, is JSON text) of scalar columns of these (non-null) types."""
    if not json and len(types) == 1:
        return next(iter(types)), False
    if not json and types == {pa.int64(), pa.float64()}:
        return pa.float64(), False
    return pa.string(), True


def _target(pa: ModuleType, fields: Sequence[Any]) -> tuple[Any, bool]:
    """(type, is JSON text) of one column across batches (the rules of docs/arrow.md)."""
    present = [f for f in fields if f.type != pa.null()]
    if not present:
        return pa.null(), False
    lists = [f for f in present if pa.types.is_list(f.type)]
    if lists and len(lists) < len(present):
        return pa.string(), True
    if not lists:
        return _unify(pa, {f.type for f in present}, any(_is_json(f) for f in present))
    items = {f.type.value_type for f in lists if f.type.value_type != pa.null()}
    if not items:
        return lists[0].type, False
    item, json = _unify(pa, items, any(_is_json(f) for f in lists))
    return pa.list_(item), json


def json_texts(pa: ModuleType, column: Any, field: Any, as_list: bool) -> Any:
    """A column as JSON text (or, `as_list`, lists of JSON texts); JSON-fallback columns kept as they are."""
    json = _is_json(field)
    values = column.to_pylist()
    if as_list:
        texts: list[Any] = [
            None if v is None else [i if json else (None if i is None else dump_json(to_json(i))) for i in v]
            for v in values
        ]
        return pa.array(texts, type=pa.list_(pa.string()))
    rendered: list[str | None] = []
    for v in values:
        if v is None:
            rendered.append(None)
        elif json:
            rendered.append(v if isinstance(v, str) else "[" + ",".join("null" if i is None else i for i in v) + "]")
        else:
            rendered.append(dump_json(to_json(v)))
    return pa.array(rendered, type=pa.string())


def empty_schema(metadata_keys: Sequence[str] = ()) -> Any:
    """The schema of an empty listing: the DID columns, and a null-typed column per metadata key."""
    pa = require_pyarrow()
    labels = pa.dictionary(pa.int32(), pa.string())
    return pa.schema(
        [
            pa.field("scope", labels),
            pa.field("name", pa.string()),
            pa.field("type", labels),
            pa.field("bytes", pa.int64()),
            pa.field("length", pa.int64()),
            pa.field("events", pa.int64()),
            pa.field("created_at", pa.timestamp("us", tz="UTC")),
            *(pa.field(key, pa.null()) for key in metadata_keys),
        ]
    )


def to_table(batches: Iterable[Any], metadata_keys: Sequence[str] = ()) -> Any:
    """One pyarrow.Table of listing batches, their metadata column types unified (see module doc)."""
    pa = require_pyarrow()
    batches = list(batches)
    if not batches:
        return empty_schema(metadata_keys).empty_table()
    first = batches[0].schema
    if all(batch.schema.equals(first, check_metadata=True) for batch in batches):
        return pa.Table.from_batches(batches, schema=first)  # nothing to unify: no copy
    names = first.names
    targets = [_target(pa, [b.schema.field(i) for b in batches]) for i in range(len(names))]
    fields = [
        pa.field(name, type_, metadata=JSON_FALLBACK if json else None)
        for name, (type_, json) in zip(names, targets, strict=True)
    ]
    unified = []
    for batch in batches:
        columns = []
        for i, (target, json) in enumerate(targets):
            column, field = batch.column(i), batch.schema.field(i)
            if json and column.type != pa.null():
                column = json_texts(pa, column, field, pa.types.is_list(target))
            elif column.type != target:  # null to any type, int64 to double (the nearest double, docs/arrow.md)
                column = column.cast(target, safe=False)
            columns.append(column)
        unified.append(pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields)))
    return pa.Table.from_batches(unified, schema=pa.schema(fields))
