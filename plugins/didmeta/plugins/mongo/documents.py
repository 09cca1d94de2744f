"""MONGO's stored form: values encoded for BSON, one document per DID (see the package docstring)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

from bson.int64 import Int64

from didmeta.errors import InvalidArgument
from didmeta.identifiers import KEY_RE, DidKey
from didmeta.values import Metadata, MetaValue, normalize_timestamp, type_name

Document: TypeAlias = dict[str, Any]

PLUGIN_NAME = "MONGO"
META = "m"
LOWER = "lc"
TS_TAG = "0ts"
LIST_TAG = "0l"
LIST_LOWER_TAG = "0lc"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


def _micros(value: datetime) -> Int64:
    return Int64((normalize_timestamp(value) - _EPOCH) // _ONE_MICROSECOND)


def encode(value: MetaValue, *, top: bool = False) -> Any:
    """The stored form of a (non-null) value; see the package docstring."""
    if isinstance(value, bool | float | str):
        return value
    if isinstance(value, int):
        return Int64(value)
    if isinstance(value, datetime):
        return {TS_TAG: _micros(value)}
    if isinstance(value, list):
        wrapped: Document = {LIST_TAG: [encode(item) for item in value]}
        if top:
            wrapped[LIST_LOWER_TAG] = [item.lower() for item in value if isinstance(item, str)]
        return wrapped
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    raise InvalidArgument(f"{PLUGIN_NAME} cannot store a {type_name(value)} value")


def decode(stored: Any) -> MetaValue:
    """Inverse of `encode`."""
    if isinstance(stored, bool | float | str):
        return stored
    if isinstance(stored, int):
        return int(stored)
    if isinstance(stored, dict):
        if TS_TAG in stored:
            return _EPOCH + int(stored[TS_TAG]) * _ONE_MICROSECOND
        if LIST_TAG in stored:
            return [decode(item) for item in stored[LIST_TAG]]
        return {key: decode(item) for key, item in stored.items()}
    raise TypeError(f"unexpected stored value {stored!r}")


def _check_map_keys(value: MetaValue, field: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not KEY_RE.fullmatch(key):
                raise InvalidArgument.for_field(f"{field}.{key}", f"invalid map key {key!r}", reason="INVALID_KEY")
            _check_map_keys(item, f"{field}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_map_keys(item, f"{field}[{index}]")


def did_id(did: DidKey) -> str:
    """The `_id` of a DID's document."""
    return f"{did.scope}:{did.name}"


def new_document(did: DidKey, metadata: Metadata) -> Document:
    """The document of a DID that has none yet (None values left out)."""
    meta = {key: encode(value, top=True) for key, value in metadata.items() if value is not None}
    lower = {key: value.lower() for key, value in metadata.items() if isinstance(value, str)}
    document: Document = {"_id": did_id(did), "scope": did.scope, "name": did.name, META: meta}
    if lower:
        document[LOWER] = lower
    return document
