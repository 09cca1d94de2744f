"""The ARROW record batch of a raw ADBC batch (query/arrow_sql.py), column by column with pyarrow.compute.

Core columns: scope dictionary-encoded, type as a FILE/DATASET/CONTAINER dictionary, created_at as
`timestamp[us, UTC]` (SQLite's text or PostgreSQL's naive timestamp, both UTC). A metadata key's column
is typed from the values in this batch with the rules of docs/arrow.md (query/arrow.py
`metadata_array`): a JSON key's column is its JSON text (`m<i>`, meta_sql.py), `json_text_kinds` reads
each value's JSON type from its first character, the set of types in the batch decides, and the texts
are cast as a whole (integers, doubles, booleans, strings, `{"$ts": ...}` timestamps). Mixed types,
lists and objects take the same path as row-built batches (`metadata_array` over the decoded values), so
their fallback is identical; keys of other plugins come from `Dispatcher.metadata_for`, merged in as
columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pyarrow.compute as pc

from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.query.arrow import CORE_COLUMNS, JSON_FALLBACK, TYPE_NAMES, is_fallback, metadata_array
from didmeta.server.query.meta_sql import FRACTION, MetaColumn, json_text_value
from didmeta.values import MetaValue, from_json

_ABSENT = ["null"]  # the type of a JSON null (a missing key is NULL)
_BOOLEAN = {"true", "false"}
_STRING = {"text"}
_TIMESTAMP_RE = r'^\{"\$ts": ?"(?P<ts>[^"]*)"\}$'


def _core(pa: ModuleType, raw: Any) -> tuple[list[Any], list[Any]]:
    scopes = pc.dictionary_encode(raw.column(0))
    codes = pc.dictionary_encode(raw.column(2))
    types = pa.DictionaryArray.from_arrays(
        codes.indices, pa.array([TYPE_NAMES[c] for c in codes.dictionary.to_pylist()], type=pa.string())
    )
    created = raw.column(6)
    if pa.types.is_string(created.type) or pa.types.is_large_string(created.type):
        created = created.cast(pa.timestamp("us"))
    created = created.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
    arrays = [
        scopes,
        raw.column(1).cast(pa.string()),
        types,
        raw.column(3).cast(pa.int64()),
        raw.column(4).cast(pa.int64()),
        raw.column(5).cast(pa.int64()),
        created,
    ]
    fields = [pa.field(name, array.type) for name, array in zip(CORE_COLUMNS, arrays, strict=True)]
    return arrays, fields


def _or_nulls(pa: ModuleType, array: Any) -> Any:
    """A column with no value at all is null-typed (docs/arrow.md)."""
    return pa.nulls(len(array)) if array.null_count == len(array) else array


def _decoded(texts: Any) -> list[MetaValue]:
    """The values of a JSON key's texts as GetMetadata returns them, one by one (the fallback path: mixed
    types, lists, objects; as long listings decode them, meta_sql.py)."""
    return [json_text_value(text) for text in texts.to_pylist()]


# The JSON type of a JSON text by its first character; any other character starts a number.
_LEADS = ['"', "{", "[", "t", "f", "n"]
_LEAD_KINDS = ["text", "object", "array", "true", "false", "null", "number"]
_NUMBER_POSITION = len(_LEADS)


def json_text_kinds(pa: ModuleType, texts: Any) -> tuple[Any, Any]:
    """(types, values) of a JSON key's JSON texts (meta_sql.py: NULL when missing), which `json_column`
    casts: each text's JSON type from its first character (SQLite's `json_type` names, and `number` for
    integers and doubles alike), and strings as their text (escapes decoded)."""
    texts = texts.cast(pa.string())
    position = pc.index_in(pc.utf8_slice_codeunits(texts, 0, 1), value_set=pa.array(_LEADS))
    position = pc.if_else(pc.is_valid(texts), pc.fill_null(position, _NUMBER_POSITION), pa.scalar(None, pa.int32()))
    kinds = pc.take(pa.array(_LEAD_KINDS), position)
    strings = pc.fill_null(pc.equal(position, 0), False)
    if not pc.any(strings).as_py():
        return kinds, texts
    values = pc.if_else(strings, _bytes(pa, texts, 1, -1), texts)  # the quotes off
    escaped = pc.fill_null(pc.and_(strings, pc.match_substring(texts, "\\")), False)
    if pc.any(escaped).as_py():  # SQLite keeps stored \u escapes; both escape quotes: json.loads those alone
        decoded = [from_json(json.loads(t)) for t in pc.filter(texts, escaped).to_pylist()]
        values = pc.replace_with_mask(values, escaped, pa.array(decoded, pa.string()))
    return kinds, values


# A timestamp's JSON text as stored (values.format_timestamp inside {"$ts": ...}): SQLite renders it
# compact, PostgreSQL's jsonb with a space after the colon.
_STAMP = len("YYYY-MM-DDTHH:MM:SS.ffffffZ")
_STAMP_PREFIXES = ('{"$ts":"', '{"$ts": "')


def _bytes(pa: ModuleType, texts: Any, start: int, stop: int) -> Any:
    """`texts[start:stop]` by bytes, where the cut falls between ASCII characters (a byte slice costs
    a fraction of a UTF-8 one); the result is checked to be UTF-8 again."""
    return pc.binary_slice(texts.cast(pa.binary()), start, stop).cast(pa.string())


def _stored_timestamps(pa: ModuleType, values: Any, present: Any) -> Any | None:
    """The timestamps of a column of `{"$ts": ...}` texts all in one stored form, cut at fixed offsets (a
    regular expression costs ~5x); None when some present text has another form or does not parse."""
    count = pc.sum(present.cast(pa.int64())).as_py()
    length = pc.binary_length(values)
    for prefix in _STAMP_PREFIXES:
        width = len(prefix) + _STAMP + 2
        stored = pc.and_(pc.and_(pc.starts_with(values, prefix), pc.equal(length, width)), pc.ends_with(values, '"}'))
        if pc.sum(pc.fill_null(stored, False).cast(pa.int64())).as_py() == count:
            try:
                return _bytes(pa, values, len(prefix), len(prefix) + _STAMP).cast(pa.timestamp("us", tz="UTC"))
            except pa.ArrowInvalid:
                return None
    return None


def json_column(pa: ModuleType, raw: Any) -> tuple[Any, bool]:
    """(typed column, is JSON-text fallback) of one JSON key's JSON texts (NULL where the key is missing)."""
    raw = raw.cast(pa.string())
    kinds, texts = json_text_kinds(pa, raw)
    present = pc.and_(pc.is_valid(kinds), pc.invert(pc.is_in(kinds, value_set=pa.array(_ABSENT))))
    found = {k for k in pc.unique(pc.filter(kinds, present)).to_pylist() if k is not None}
    if not found:
        return pa.nulls(len(kinds)), False
    values = pc.if_else(present, texts.cast(pa.string()), pa.scalar(None, pa.string()))
    try:
        if found == {"number"}:
            # json.loads reads a number with a fraction or exponent as a float: one such makes the column
            # double. The first value decides which cast to try (a failed cast costs ~20x a good one).
            first = values[pc.index(present, True).as_py()].as_py()
            if FRACTION.search(first) is None:
                try:
                    return values.cast(pa.int64()), False
                except pa.ArrowInvalid:  # a double further on (values.py keeps integers within int64)
                    if not pc.any(pc.match_substring_regex(values, "[.eE]")).as_py():
                        raise
            return values.cast(pa.float64()), False
        if found <= _STRING:
            return values, False
        if found <= _BOOLEAN:
            return pc.equal(values, "true"), False
        if found == {"object"}:
            stamps = _stored_timestamps(pa, values, present)
            if stamps is not None:
                return stamps, False
            parts = pc.extract_regex(values, _TIMESTAMP_RE)
            absent = len(values) - pc.sum(present.cast(pa.int64())).as_py()
            if parts.null_count == absent:
                stamps = pc.struct_field(parts, "ts")
                return stamps.cast(pa.timestamp("us", tz="UTC")), False
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # out of int64 range, an unusual number text: decode the values instead
    decoded = _decoded(raw)
    array = metadata_array(pa, decoded)
    return array, is_fallback(pa, array.type, decoded)


def converted_batch(pa: ModuleType, raw: Any, columns: Sequence[MetaColumn], dispatcher: Dispatcher) -> Any:
    """The ARROW record batch of one raw batch (non-empty)."""
    arrays, fields = _core(pa, raw)
    others = [c.key for c in columns if c.source == "other"]
    found: dict[DidKey, dict[str, MetaValue]] = {}
    keys: list[DidKey] = []
    if others:
        keys = [DidKey(s, n) for s, n in zip(raw.column(0).to_pylist(), raw.column(1).to_pylist(), strict=True)]
        found = dispatcher.metadata_for(keys, others)
    for column in columns:
        fallback = False
        if column.source == "int":
            array = _or_nulls(pa, raw.column(f"m{column.index}").cast(pa.int64()))
        elif column.source == "string":
            array = _or_nulls(pa, raw.column(f"m{column.index}").cast(pa.string()))
        elif column.source == "json":
            array, fallback = json_column(pa, raw.column(f"m{column.index}"))
        else:
            values = [found[k].get(column.key) if k in found else None for k in keys]
            array = metadata_array(pa, values)
            fallback = is_fallback(pa, array.type, values)
        arrays.append(array)
        fields.append(pa.field(column.key, array.type, metadata=JSON_FALLBACK if fallback else None))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))
