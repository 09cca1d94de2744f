"""ELASTIC's index layout: the explicit mapping, and metadata as an index document and back
(see the package docstring)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from didmeta.identifiers import DidKey
from didmeta.values import Metadata, MetaValue, from_json, normalize_timestamp, to_json

PLUGIN_NAME: Final = "ELASTIC"
LAYOUT_VERSION: Final = 2  # 2: `kl` entries carry `n` (length) and `o` (non-scalar elements)

#: Lucene refuses indexed terms longer than this many bytes ("immense term").
MAX_TERM_BYTES: Final = 32766
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

_TYPED_FIELDS: Final[dict[str, dict[str, str]]] = {
    "k": {"type": "keyword"},
    "l": {"type": "long"},
    "d": {"type": "double"},
    "s": {"type": "keyword"},
    "si": {"type": "keyword"},
    "b": {"type": "boolean"},
    "t": {"type": "long"},
}

#: The explicit mapping created by `start()` (see the package docstring).
MAPPING: Final[dict[str, Any]] = {
    "dynamic": "strict",
    "_meta": {"didmeta": {"plugin": PLUGIN_NAME, "layout": LAYOUT_VERSION}},
    "properties": {
        "scope": {"type": "keyword"},
        "name": {"type": "keyword"},
        "keys": {"type": "keyword"},
        "v": {"type": "object", "enabled": False},
        "kv": {"type": "nested", "properties": _TYPED_FIELDS},
        "kl": {"type": "nested", "properties": {**_TYPED_FIELDS, "n": {"type": "long"}, "o": {"type": "boolean"}}},
    },
}


# --- values as indexed fields ------------------------------------------------------------------------
def _micros(value: datetime) -> int:
    return (normalize_timestamp(value) - _EPOCH) // _MICROSECOND


def _scalar_fields(value: MetaValue) -> dict[str, Any] | None:
    """The typed field(s) of a scalar value; None for null, lists and maps."""
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, int):
        return {"l": value}
    if isinstance(value, float):
        return {"d": value + 0.0}  # -0.0 -> 0.0: Lucene orders -0.0 below 0.0, SQL says they are equal
    if isinstance(value, str):
        return {"s": value, "si": value.lower()}
    if isinstance(value, datetime):
        return {"t": _micros(value)}
    return None


def _document(did: DidKey, metadata: Metadata) -> dict[str, Any]:
    """The index document of a DID's metadata (no None values)."""
    kv: list[dict[str, Any]] = []
    kl: list[dict[str, Any]] = []
    for key, value in metadata.items():
        if isinstance(value, list):
            entry: dict[str, Any] = {"k": key, "n": len(value)}
            for element in value:
                fields = _scalar_fields(element)
                if fields is None:
                    entry["o"] = True  # never compares true: `all` fails on it
                for name, typed in (fields or {}).items():
                    entry.setdefault(name, []).append(typed)
            kl.append(entry)
        else:
            scalar = _scalar_fields(value)
            if scalar is not None:
                kv.append({"k": key, **scalar})
    document: dict[str, Any] = {
        "scope": did.scope,
        "name": did.name,
        "keys": list(metadata),
        "v": {key: to_json(value) for key, value in metadata.items()},
    }
    if kv:
        document["kv"] = kv
    if kl:
        document["kl"] = kl
    return document


def _metadata_of(source: Mapping[str, Any]) -> Metadata:
    stored = source.get("v") or {}
    return {key: from_json(value) for key, value in stored.items()}


def _canonical(metadata: Metadata) -> str:
    """Type-exact comparison form (5 and 5.0, 1 and True differ)."""
    return json.dumps(to_json(metadata), sort_keys=True)


def _bucket_value(field_name: str, key: Any) -> MetaValue:
    """The value of a terms bucket of a typed field (booleans come back as 1/0, timestamps as microseconds)."""
    if field_name == "b":
        return bool(key)
    if field_name == "l":
        return int(key)
    if field_name == "d":
        return float(key)
    if field_name == "t":
        return _EPOCH + int(key) * _MICROSECOND
    return str(key)


def _doc_id(did: DidKey) -> str:
    return f"{did.scope}:{did.name}"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
