"""DID identifiers, types and metadata-key rules (spec §1-§2). Pure functions, no I/O."""

from __future__ import annotations

import enum
import re
from typing import NamedTuple

from didmeta.errors import InvalidArgument

SCOPE_RE = re.compile(r"[A-Za-z0-9_.\-]{1,25}")
NAME_RE = re.compile(r"[A-Za-z0-9/][A-Za-z0-9/._\-]{0,249}")
KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,99}")
SCOPE_PATTERN_RE = re.compile(r"[A-Za-z0-9_.\-*]{1,25}")


class DidKey(NamedTuple):
    """`scope:name`; ordered by (scope, name), which is every listing's order."""

    scope: str
    name: str

    def __str__(self) -> str:
        return f"{self.scope}:{self.name}"


class DidType(enum.Enum):
    """The three DID types; the value is the one-letter code stored in the catalogue."""

    FILE = "F"
    DATASET = "D"
    CONTAINER = "C"

    @property
    def is_collection(self) -> bool:
        return self is not DidType.FILE


TYPE_SELECTORS: dict[str, frozenset[DidType]] = {
    "all": frozenset(DidType),
    "collection": frozenset({DidType.CONTAINER, DidType.DATASET}),
    "container": frozenset({DidType.CONTAINER}),
    "dataset": frozenset({DidType.DATASET}),
    "file": frozenset({DidType.FILE}),
}
DEFAULT_TYPE_SELECTOR = "collection"


def parse_type_selector(text: str, field: str = "type") -> frozenset[DidType]:
    """`all`, `collection`, `container`, `dataset`, `file` (any case) to a set of types."""
    types = TYPE_SELECTORS.get(text.strip().lower())
    if types is None:
        raise InvalidArgument.for_field(
            field, f"unknown DID type {text!r}; expected one of {', '.join(TYPE_SELECTORS)}"
        )
    return types


def validate_scope(scope: str, field: str = "scope") -> str:
    if not SCOPE_RE.fullmatch(scope):
        raise InvalidArgument.for_field(
            field, f"invalid scope {scope!r}: 1-25 characters of [A-Za-z0-9_.-]", reason="INVALID_SCOPE"
        )
    return scope


def validate_scope_pattern(pattern: str, field: str = "scope") -> str:
    if not SCOPE_PATTERN_RE.fullmatch(pattern):
        raise InvalidArgument.for_field(
            field,
            f"invalid scope pattern {pattern!r}: 1-25 characters of [A-Za-z0-9_.-*]",
            reason="INVALID_SCOPE",
        )
    return pattern


def validate_name(name: str, field: str = "name") -> str:
    if not NAME_RE.fullmatch(name):
        raise InvalidArgument.for_field(
            field,
            f"invalid name {name!r}: 1-250 characters, first [A-Za-z0-9/], then [A-Za-z0-9/._-]",
            reason="INVALID_NAME",
        )
    return name


def validate_did(scope: str, name: str, field: str = "did") -> DidKey:
    # The field paths are built only for an error (bulk loads validate millions of keys).
    if SCOPE_RE.fullmatch(scope) is None:
        validate_scope(scope, f"{field}.scope")
    if NAME_RE.fullmatch(name) is None:
        validate_name(name, f"{field}.name")
    return DidKey(scope, name)


def parse_did(text: str, field: str = "did") -> DidKey:
    """`scope:name` text to a DidKey."""
    scope, sep, name = text.partition(":")
    if not sep:
        raise InvalidArgument.for_field(field, f"{text!r} is not of the form scope:name", reason="INVALID_DID")
    return validate_did(scope, name, field)


def validate_key(key: str, field: str = "key") -> str:
    """A metadata key: 1-100 characters `[A-Za-z_][A-Za-z0-9_-]*` (no `.`, `$` or spaces)."""
    if not KEY_RE.fullmatch(key):
        raise InvalidArgument.for_field(
            field,
            f"invalid metadata key {key!r}: 1-100 characters, [A-Za-z_] then [A-Za-z0-9_-]",
            reason="INVALID_KEY",
        )
    return key
