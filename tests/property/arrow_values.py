"""How a stored metadata value shows in an ARROW listing's column (docs/arrow.md), for the generated-value tests."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from didmeta.values import MetaValue, to_json

JSON_FALLBACK = {b"didmeta.fallback": b"json"}


def stored_text(value: MetaValue) -> str:
    """A value's storage form as text, which tells apart what `==` does not (1 and 1.0, True and 1, 0.0 and
    -0.0); an object's keys sorted (backends keep their own order, which a map does not have)."""
    return json.dumps(to_json(value), sort_keys=True)


def cell(value: MetaValue, field: pa.Field) -> Any:
    """A value as a column of `field`'s type renders it, JSON-fallback text as its parsed JSON (`column`)."""
    if value is None:
        return None
    fallback = field.metadata == JSON_FALLBACK
    if isinstance(value, list) and pa.types.is_list(field.type):
        if fallback:
            return [None if i is None else to_json(i) for i in value]
        return [float(i) if field.type.value_type == pa.float64() else i for i in value]  # type: ignore[arg-type]
    if fallback:
        return to_json(value)
    return float(value) if field.type == pa.float64() else value  # type: ignore[arg-type]


def column(array: Any, field: pa.Field) -> list[Any]:
    """A column's values, JSON-fallback text parsed: an object's keys come in the backend's order."""
    values: list[Any] = array.to_pylist()
    if field.metadata != JSON_FALLBACK:
        return values
    if pa.types.is_list(field.type):
        return [None if v is None else [None if i is None else json.loads(i) for i in v] for v in values]
    return [None if v is None else json.loads(v) for v in values]
