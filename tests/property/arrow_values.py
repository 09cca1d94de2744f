"""How a stored metadata value shows in an ARROW listing's column (docs/arrow.md), for the generated-value tests."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from didmeta.values import MetaValue, dump_json, to_json

JSON_FALLBACK = {b"didmeta.fallback": b"json"}


def stored_text(value: MetaValue) -> str:
    """A value's storage form as text, which tells apart what `==` does not (1 and 1.0, True and 1, 0.0 and
    -0.0); an object's keys sorted (backends keep their own order, which a map does not have)."""
    return json.dumps(to_json(value), sort_keys=True)


def fallback_text(value: MetaValue) -> str:
    """The JSON-fallback text of a value (docs/arrow.md): its stored JSON form, an object's keys sorted."""
    return dump_json(json.loads(stored_text(value)))


def cell(value: MetaValue, field: pa.Field) -> Any:
    """A value as a column of `field`'s type renders it (docs/arrow.md)."""
    if value is None:
        return None
    fallback = field.metadata == JSON_FALLBACK
    if isinstance(value, list) and pa.types.is_list(field.type):
        if fallback:
            return [None if i is None else fallback_text(i) for i in value]
        return [float(i) if field.type.value_type == pa.float64() else i for i in value]  # type: ignore[arg-type]
    if fallback:
        return fallback_text(value)
    return float(value) if field.type == pa.float64() else value  # type: ignore[arg-type]
