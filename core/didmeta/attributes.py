"""Intrinsic DID attributes and Rucio's "optimised" columns (spec §1-§2): names and value types.

These are owned by the DID_COLUMN plugin. The types drive validation of writes and of filters.
"""

from __future__ import annotations

from typing import Literal

ValueKind = Literal["int", "string", "bool", "timestamp"]

#: Attributes every DID has; shown by GetDid and `get --plugin DID_COLUMN`.
INTRINSIC: dict[str, ValueKind] = {
    "account": "string",
    "bytes": "int",
    "length": "int",
    "events": "int",
    "md5": "string",
    "adler32": "string",
    "guid": "string",
    "is_open": "bool",
    "suppressed": "bool",
    "hidden": "bool",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "closed_at": "timestamp",
    "accessed_at": "timestamp",
    "expired_at": "timestamp",
    "eol_at": "timestamp",
}

#: Collection attributes a FILE does not have: absent from its metadata, never matched by a filter
#: (spec §1; the catalogue row and the wire `Did.length` keep 0 for a file).
COLLECTION_ONLY: frozenset[str] = frozenset({"length"})

#: Rucio's physics columns of the DID table: ordinary metadata keys with a fixed type.
OPTIMISED: dict[str, ValueKind] = {
    "project": "string",
    "datatype": "string",
    "run_number": "int",
    "stream_name": "string",
    "prod_step": "string",
    "version": "string",
    "campaign": "string",
    "task_id": "int",
    "panda_id": "int",
    "lumiblocknr": "int",
    "provenance": "string",
    "phys_group": "string",
}

#: Intrinsic attributes that SetMetadata may change (`lifetime` is a pseudo-key for expired_at).
SETTABLE_INTRINSIC: frozenset[str] = frozenset({"guid", "events", "hidden", "eol_at", "accessed_at"})
LIFETIME_KEY = "lifetime"

#: Keys SetMetadata refuses (INVALID_ARGUMENT, reason RESERVED_KEY), as Rucio does.
RESERVED: frozenset[str] = frozenset(
    {"scope", "name", "type", "did_type", "created_after", "created_before"} | (set(INTRINSIC) - SETTABLE_INTRINSIC)
)

#: Filter keys that select the DID types of their group; `did_type` is Rucio's alias of `type` (spec §2).
TYPE_KEYS: frozenset[str] = frozenset({"type", "did_type"})

#: Keys that filters understand besides metadata keys. `lifetime` is write-only: in a filter it is
#: INVALID_ARGUMENT naming `expired_at`, so that no reserved key silently matches nothing.
FILTER_SPECIAL: frozenset[str] = frozenset({"name", "created_after", "created_before"} | TYPE_KEYS)


def column_kind(key: str) -> ValueKind | None:
    """The fixed type of a DID-table column, or None for a free metadata key."""
    return INTRINSIC.get(key) or OPTIMISED.get(key)
