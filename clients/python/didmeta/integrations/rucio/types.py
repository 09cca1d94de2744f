"""How Rucio's DID rows and metadata map onto didmeta's (spec §1-§2): types, columns, typed values.

Pure functions, no I/O: the importer and the Rucio plugin share them. A value or key didmeta cannot
store becomes a `Refusal` with the reason, never an exception that stops an import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from didmeta.attributes import OPTIMISED, RESERVED
from didmeta.errors import InvalidArgument
from didmeta.identifiers import KEY_RE
from didmeta.values import Metadata, MetaValue, check_value, normalize_timestamp, parse_text_value

#: Rucio's DIDType codes (rucio.db.sqla.constants.DIDType) -> didmeta's type names.
RUCIO_TYPES: Final[dict[str, str]] = {"F": "file", "D": "dataset", "C": "container"}
#: didmeta's type names -> Rucio's DIDType names (what Rucio's plugins and list_dids return).
RUCIO_TYPE_NAMES: Final[dict[str, str]] = {"file": "FILE", "dataset": "DATASET", "container": "CONTAINER"}

#: Intrinsic file attributes carried by NewDid (collections get theirs from their children).
FILE_ATTRIBUTES: Final = ("bytes", "adler32", "md5", "guid", "events")
#: Rucio's optimised physics columns: didmeta's DID_COLUMN keys of the same names and fixed types.
PHYSICS_COLUMNS: Final = tuple(OPTIMISED)
#: Intrinsic columns SetMetadata may set in didmeta and that Rucio keeps on the DID row.
SETTABLE_COLUMNS: Final = ("eol_at", "accessed_at")


@dataclass(frozen=True)
class Refusal:
    """Something of the source that didmeta cannot take, with why."""

    did: str
    key: str
    reason: str

    def describe(self) -> str:
        return f"{self.did} {self.key}: {self.reason}" if self.key else f"{self.did}: {self.reason}"


def did_type(code: Any) -> str | None:
    """didmeta's type name for Rucio's stored DIDType (a code 'F'/'D'/'C', or the enum/its name)."""
    text = str(getattr(code, "value", code) or "")
    if text.upper() in ("FILE", "DATASET", "CONTAINER"):
        return text.lower()
    return RUCIO_TYPES.get(text.upper())


def typed_text(value: str, type_strings: bool) -> MetaValue:
    """A stored Rucio string: typed by the spec's text rule set (`"5"` -> 5), or kept as is."""
    return parse_text_value(value) if type_strings else value


def _from_json(value: Any, type_strings: bool) -> MetaValue:
    if isinstance(value, str):
        return typed_text(value, type_strings)
    if isinstance(value, list):
        return [_from_json(item, type_strings) for item in value]
    if isinstance(value, dict):
        return {str(k): _from_json(v, type_strings) for k, v in value.items()}
    return value  # type: ignore[no-any-return]  # JSON null, bool, int, float: already typed


def json_metadata(did: str, raw: Any, type_strings: bool = True) -> tuple[Metadata, list[Refusal]]:
    """Rucio's `did_meta.meta` (a JSON object, or its text) as typed didmeta metadata, plus refusals."""
    if raw is None:
        return {}, []
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            return {}, [Refusal(did, "", f"did_meta.meta is not JSON: {error}")]
    if not isinstance(raw, Mapping):
        return {}, [Refusal(did, "", f"did_meta.meta is a JSON {type(raw).__name__}, not an object")]
    metadata: Metadata = {}
    refusals: list[Refusal] = []
    for key, value in raw.items():
        problem = key_problem(str(key))
        if problem is not None:
            refusals.append(Refusal(did, str(key), problem))
            continue
        try:
            metadata[str(key)] = check_value(_from_json(value, type_strings), str(key))
        except InvalidArgument as error:
            refusals.append(Refusal(did, str(key), f"value {_short(value)} cannot be typed: {error.message}"))
    return metadata, refusals


def key_problem(key: str) -> str | None:
    """Why didmeta cannot store this free metadata key, or None."""
    if not KEY_RE.fullmatch(key):
        return "not a valid didmeta key (1-100 characters, [A-Za-z_] then [A-Za-z0-9_-])"
    if key in RESERVED:
        return "a reserved key (an intrinsic attribute) cannot be set as metadata"
    return None


def column_metadata(did: str, row: Mapping[str, Any]) -> tuple[Metadata, list[Refusal]]:
    """The physics columns and settable intrinsic columns of a Rucio `dids` row that are not NULL."""
    metadata: Metadata = {}
    refusals: list[Refusal] = []
    for key in PHYSICS_COLUMNS:
        value = row.get(key)
        if value is None:
            continue
        kind = OPTIMISED[key]
        try:
            if kind == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    value = int(str(value).strip())
            else:
                value = str(value)
            metadata[key] = check_value(value, key)
        except (ValueError, InvalidArgument) as error:
            refusals.append(Refusal(did, key, f"column value {_short(value)} is not a valid {kind}: {error}"))
    for key in SETTABLE_COLUMNS:
        value = row.get(key)
        if isinstance(value, datetime):
            metadata[key] = normalize_timestamp(value)
    if row.get("hidden"):
        metadata["hidden"] = True
    return metadata, refusals


def file_attributes(row: Mapping[str, Any]) -> dict[str, Any]:
    """NewDid keyword arguments for a file's intrinsic attributes (None where Rucio has NULL)."""
    out: dict[str, Any] = {}
    for key in FILE_ATTRIBUTES:
        value = row.get(key)
        if value is None or value == "":
            continue
        if key in ("bytes", "events"):
            out[key] = int(value)
        elif key == "guid":
            out[key] = str(value).replace("-", "").lower()  # Rucio's GUID type: 32 hex digits, no dashes
        else:
            out[key] = str(value)
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
