"""Typed metadata values (spec §2): the Python form, the text typing rule and the JSON storage form.

Python form of a value (`MetaValue`): None, bool, int (int64), float (finite), str,
datetime (UTC-aware, microseconds), list of values, dict of key to value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, TypeAlias

from didmeta.errors import InvalidArgument
from didmeta.identifiers import KEY_RE

MetaValue: TypeAlias = "bool | int | float | str | datetime | list[MetaValue] | dict[str, MetaValue] | None"
Metadata: TypeAlias = dict[str, "MetaValue"]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
TIMESTAMP_TAG = "$ts"
#: Deepest nesting of lists and maps in one value (a scalar is depth 0, `[1]` depth 1). protobuf's
#: decoder stops at 100 message levels (two per Value level), so a deeper value cannot even arrive.
MAX_VALUE_DEPTH = 32

_INT_RE = re.compile(r"[+-]?(?:0|[1-9](?:_?[0-9])*)")
_FLOAT_RE = re.compile(
    r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9]+)?"
    r"|[0-9](?:_?[0-9])*\.(?:[eE][+-]?[0-9]+)?"
    r"|[0-9](?:_?[0-9])*[eE][+-]?[0-9]+)"
)
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?")
_RUCIO_RFC1123 = "%a, %d %b %Y %H:%M:%S UTC"


def type_name(value: MetaValue) -> str:
    """The wire type name of a value: null, bool, int, double, string, timestamp, list, map."""
    if value is None:
        return "null"
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
    return "map"


def normalize_timestamp(value: datetime) -> datetime:
    """UTC-aware, as stored: a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_timestamp_text(text: str) -> datetime | None:
    """ISO-8601 date or date-time, or one of Rucio's date formats; None if it is neither."""
    stripped = text.strip()
    if _ISO_RE.fullmatch(stripped):
        candidate = stripped.replace(" ", "T", 1)
        if candidate.endswith("Z"):
            candidate = candidate[:-1] + "+00:00"
        try:
            if len(candidate) == 10:
                return datetime.combine(date.fromisoformat(candidate), time(), tzinfo=UTC)
            return normalize_timestamp(datetime.fromisoformat(candidate))
        except ValueError:
            return None
    try:
        return datetime.strptime(stripped, _RUCIO_RFC1123).replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_text_value(text: str) -> MetaValue:
    """Type a text value by the one rule set shared by the CLI and the filter grammar.

    `true`/`false` -> bool; `null`/`none` -> None; integer literal -> int (no leading zeros,
    `_` separators allowed); decimal/exponent literal -> float; ISO-8601 or Rucio date ->
    timestamp; a double-quoted string -> its content; anything else -> the string unchanged.
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    if _INT_RE.fullmatch(text):
        number = int(text.replace("_", ""))
        if INT64_MIN <= number <= INT64_MAX:
            return number
        return text
    if _FLOAT_RE.fullmatch(text):
        number_f = float(text.replace("_", ""))
        # Like an int outside int64: a literal beyond the double range is not a storable number.
        return number_f if math.isfinite(number_f) else text
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    timestamp = parse_timestamp_text(text)
    if timestamp is not None:
        return timestamp
    return text


def check_text(text: str, field: str, max_chars: int | None = None) -> str:
    """Refuse text that the catalogue databases would not store alike.

    PostgreSQL rejects NUL and text longer than a VARCHAR column; SQLite would keep both.
    """
    if "\x00" in text:
        raise InvalidArgument.for_field(field, "text must not contain NUL characters", reason="INVALID_VALUE")
    if max_chars is not None and len(text) > max_chars:
        raise InvalidArgument.for_field(field, f"at most {max_chars} characters", reason="INVALID_VALUE")
    return text


def check_value(value: Any, field: str, depth: int = 0) -> MetaValue:
    """Validate a Python value as a storable metadata value (and normalise timestamps)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return check_text(value, field)
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidArgument.for_field(field, "integer out of the int64 range", reason="INVALID_VALUE")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgument.for_field(field, "NaN and infinities cannot be stored", reason="INVALID_VALUE")
        return value + 0.0  # -0.0 is stored as 0.0 on every backend (PostgreSQL's numeric has no negative zero)
    if isinstance(value, datetime):
        return normalize_timestamp(value)
    if isinstance(value, list | tuple | Mapping) and depth >= MAX_VALUE_DEPTH:
        raise InvalidArgument.for_field(
            field, f"lists and maps nest at most {MAX_VALUE_DEPTH} levels deep", reason="VALUE_TOO_DEEP"
        )
    if isinstance(value, list | tuple):
        return [check_value(item, f"{field}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        checked: dict[str, MetaValue] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not KEY_RE.fullmatch(key):
                raise InvalidArgument.for_field(f"{field}.{key}", f"invalid map key {key!r}", reason="INVALID_KEY")
            checked[key] = check_value(item, f"{field}.{key}", depth + 1)
        return checked
    raise InvalidArgument.for_field(field, f"unsupported value type {type(value).__name__}", reason="INVALID_VALUE")


def format_timestamp(value: datetime) -> str:
    """Canonical, sortable text of a timestamp: `YYYY-MM-DDTHH:MM:SS.ffffffZ`."""
    utc = normalize_timestamp(value)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def to_json(value: MetaValue) -> Any:
    """The JSON storage form: native JSON, timestamps as {"$ts": canonical text}."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if isinstance(value, datetime):
        return {TIMESTAMP_TAG: format_timestamp(value)}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def from_json(value: Any) -> MetaValue:
    """Inverse of to_json. A timestamp's stored text is always `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    (format_timestamp), which the C `fromisoformat` reads to the UTC datetime, ~20x faster than `strptime`."""
    if isinstance(value, dict):
        if len(value) == 1 and TIMESTAMP_TAG in value:
            return datetime.fromisoformat(value[TIMESTAMP_TAG])
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value  # type: ignore[no-any-return]


def format_value(value: MetaValue) -> str:
    """Human text of a value (CLI tables): timestamps in ISO form, strings bare, an object's keys sorted (the
    backends hand objects over with their keys in different orders: PostgreSQL's jsonb by length)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return normalize_timestamp(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(value[k])}" for k in sorted(value)) + "}"
    return str(value)


def _float_text(value: float) -> str:
    """A double as JSON text that PostgreSQL's numeric keeps fractional: `1e+16` -> `10000000000000000.0`."""
    digits = format(Decimal(repr(value)), "f")
    if not digits.lstrip("-").replace(".", "", 1).isdigit():
        raise ValueError(f"{value!r} cannot be stored as JSON")
    return digits if "." in digits else digits + ".0"


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, float):
        out.append(_float_text(value))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        out.append(json.dumps(value))


#: `json.dumps(value, separators=(",", ":"), allow_nan=False)` without building an encoder per call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=False)

#: A double that `json.dumps` (float repr) writes in exponent form; a false match in a string only costs time.
_EXPONENT_RE = re.compile(r"[0-9]e[-+][0-9]")


def dump_json(value: Any) -> str:
    """JSON text of a storage-form value, with every double written with a decimal point.

    The C encoder of `json` first (the bulk-load hot path); `_encode` when its text has a double in
    exponent form (`repr` writes those below 1e-4 and from 1e16 on), which `_float_text` rewrites.
    NaN and infinities are refused (ValueError) either way.
    """
    text = _COMPACT_JSON.encode(value)
    if _EXPONENT_RE.search(text) is None:
        return text
    out: list[str] = []
    _encode(value, out)
    return "".join(out)
