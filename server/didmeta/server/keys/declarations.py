"""A key declaration: its type and constraints, lossless coercion, and the checks of values and filters.

Coercion is lossless only: an int key takes an int, an integral double or an integer literal string
(`"5"` -> 5); a double key takes a double, an int up to 2**53 or a number literal string; a bool key
takes a bool or "true"/"false"; a timestamp key takes a timestamp or an ISO-8601 string; a string
key takes only strings. Anything else is INVALID_ARGUMENT naming the key, the value and the type.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from didmeta.attributes import FILTER_SPECIAL, RESERVED, column_kind
from didmeta.errors import InvalidArgument
from didmeta.filters.model import Clause, Op
from didmeta.identifiers import DidType, validate_key
from didmeta.values import (
    INT64_MAX,
    INT64_MIN,
    MetaValue,
    format_value,
    from_json,
    parse_text_value,
    parse_timestamp_text,
    to_json,
    type_name,
)

TYPES = ("bool", "int", "double", "string", "timestamp")
_EXACT_DOUBLE = 2**53
_TEXT_OPS = frozenset({Op.PREFIX})
_REASON = "DECLARED_KEY_VIOLATION"


def _shown(value: MetaValue) -> str:
    text = json.dumps(value) if isinstance(value, str) else format_value(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def coerce_scalar(value: MetaValue, kind: str) -> MetaValue | None:
    """`value` as `kind` if that loses nothing, else None."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        return value.lower() == "true" if isinstance(value, str) and value.lower() in ("true", "false") else None
    if isinstance(value, str) and kind in ("int", "double"):
        parsed = parse_text_value(value.strip())
        return None if isinstance(parsed, str | bool) or parsed is None else coerce_scalar(parsed, kind)
    if kind == "int":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer() and INT64_MIN <= value <= INT64_MAX:
            return int(value)
        return None
    if kind == "double":
        if isinstance(value, bool):
            return None
        if isinstance(value, float):
            return value + 0.0  # -0.0 as 0.0, as values.check_value stores it
        return float(value) if isinstance(value, int) and abs(value) <= _EXACT_DOUBLE else None
    if kind == "string":
        return value if isinstance(value, str) else None
    if isinstance(value, datetime):
        return value
    return parse_timestamp_text(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class Declaration:
    key: str
    type: str
    list: bool = False
    allowed: tuple[MetaValue, ...] = ()
    pattern: str = ""
    did_types: frozenset[DidType] = frozenset()
    unit: str = ""
    description: str = ""
    account: str = ""
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @property
    def type_text(self) -> str:
        return f"list of {self.type}" if self.list else self.type

    # --- validation of the declaration itself ---------------------------------------------------
    def checked(self, prefix: str = "declaration") -> Declaration:
        """The declaration validated (allowed values coerced, pattern compiled)."""
        validate_key(self.key, f"{prefix}.key")
        if column_kind(self.key) is not None or self.key in RESERVED or self.key in FILTER_SPECIAL:
            raise InvalidArgument.for_field(
                f"{prefix}.key", f"{self.key!r} is a DID attribute or column with a fixed type; it cannot be declared"
            )
        if self.type not in TYPES:
            raise InvalidArgument.for_field(f"{prefix}.type", f"one of {', '.join(TYPES)}")
        regex = None
        if self.pattern:
            if self.type != "string":
                raise InvalidArgument.for_field(f"{prefix}.pattern", "a pattern needs a string key")
            try:
                regex = re.compile(self.pattern)
            except re.error as error:
                raise InvalidArgument.for_field(f"{prefix}.pattern", f"not a regular expression: {error}") from None
        allowed: list[MetaValue] = []
        for index, value in enumerate(self.allowed):
            coerced = coerce_scalar(value, self.type)
            if coerced is None:
                raise InvalidArgument.for_field(
                    f"{prefix}.allowed_values[{index}]", f"{_shown(value)} is not {_a(self.type)}"
                )
            allowed.append(coerced)
        return Declaration(
            self.key,
            self.type,
            self.list,
            tuple(allowed),
            self.pattern,
            self.did_types,
            self.unit,
            self.description,
            self.account,
            regex,
        )

    # --- values -----------------------------------------------------------------------------------
    def _refuse(self, field_: str, value: MetaValue, why: str = "") -> InvalidArgument:
        text = f"key {self.key!r} is declared {self.type_text}: {_shown(value)} ({type_name(value)}) {why or 'is not'}"
        if not why:
            text += f" {_a(self.type_text)}"
        return InvalidArgument.for_field(field_, text, reason=_REASON)

    def _element(self, value: MetaValue, field_: str, whole: MetaValue) -> MetaValue:
        coerced = coerce_scalar(value, self.type)
        if coerced is None:
            raise self._refuse(field_, whole)
        if self.allowed and coerced not in self.allowed:
            raise self._refuse(field_, whole, "is not one of the allowed values")
        if self._regex is not None and isinstance(coerced, str) and not self._regex.fullmatch(coerced):
            raise self._refuse(field_, whole, f"does not match the pattern {self.pattern!r}")
        return coerced

    def coerce(self, value: MetaValue, field_: str) -> MetaValue:
        """The value to store (losslessly coerced) or INVALID_ARGUMENT; None (a deletion) passes."""
        if value is None:
            return None
        if self.list:
            if not isinstance(value, list):
                raise self._refuse(field_, value)
            return [self._element(item, field_, value) for item in value]
        if isinstance(value, list | dict):
            raise self._refuse(field_, value)
        return self._element(value, field_, value)

    def check_type(self, did_type: DidType, field_: str) -> None:
        if self.did_types and did_type not in self.did_types:
            kinds = ", ".join(sorted(t.name for t in self.did_types))
            raise InvalidArgument.for_field(
                field_, f"key {self.key!r} is declared for {kinds} only, not {did_type.name}", reason=_REASON
            )

    def violation(self, value: MetaValue, did_type: DidType) -> str | None:
        """Why a stored value (exactly as stored: no coercion) violates the declaration, or None."""
        try:
            self.check_type(did_type, "value")
            coerced = self.coerce(value, "value")
        except InvalidArgument as error:
            return error.message
        if to_json(coerced) != to_json(value) or type_name(coerced) != type_name(value):
            return f"stored as {type_name(value)}, declared {self.type_text}"
        return None

    # --- filters ----------------------------------------------------------------------------------
    def filter_clause(self, clause: Clause, field_: str) -> Clause:
        """The clause with its value coerced to the declared type; INVALID_ARGUMENT if it cannot match."""
        op, value = clause.op, clause.value
        if op is Op.EXISTS or clause.quantifier is not None:
            return clause  # presence, and list quantifiers (any/all/len), are the filter engine's
        if clause.wildcard or op in _TEXT_OPS:
            if self.type != "string" or self.list:
                raise InvalidArgument.for_field(
                    field_, f"key {self.key!r} is declared {self.type_text}: no wildcard or prefix", reason=_REASON
                )
            return clause
        if op is Op.CONTAINS:
            if not self.list:
                raise InvalidArgument.for_field(
                    field_, f"key {self.key!r} is declared {self.type_text}, not a list: no contains", reason=_REASON
                )
            return dataclasses.replace(clause, value=self._filter_value(value, field_))
        if op in (Op.IN, Op.NOT_IN) and isinstance(value, list):
            return dataclasses.replace(clause, value=[self._filter_value(v, field_) for v in value])
        if self.list or op not in (Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE):
            return clause  # operators of other kinds (list elements, ...) are left to the filter engine
        return dataclasses.replace(clause, value=self._filter_value(value, field_))  # negation kept

    def _filter_value(self, value: MetaValue, field_: str) -> MetaValue:
        coerced = coerce_scalar(value, self.type) if not isinstance(value, list | dict) else None
        if coerced is None:
            raise InvalidArgument.for_field(
                field_,
                f"key {self.key!r} is declared {self.type_text}: {_shown(value)} ({type_name(value)}) "
                f"is not {_a(self.type)}",
                reason=_REASON,
            )
        return coerced

    # --- storage ---------------------------------------------------------------------------------------
    def to_text(self) -> str:
        return json.dumps(
            {
                "type": self.type,
                "list": self.list,
                "allowed": [to_json(v) for v in self.allowed],
                "pattern": self.pattern,
                "did_types": sorted(t.value for t in self.did_types),
                "unit": self.unit,
                "description": self.description,
            }
        )

    @classmethod
    def from_text(cls, key: str, text: str, account: str) -> Declaration:
        data = json.loads(text)
        return cls(
            key,
            data["type"],
            bool(data["list"]),
            tuple(from_json(v) for v in data["allowed"]),
            data["pattern"],
            frozenset(DidType(t) for t in data["did_types"]),
            data["unit"],
            data["description"],
            account,
        ).checked()


def declared_types(declarations: Sequence[Declaration]) -> dict[str, Declaration]:
    return {d.key: d for d in declarations}
