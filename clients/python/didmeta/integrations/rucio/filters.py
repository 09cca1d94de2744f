"""Rucio's filter dictionaries (what `parse_did_filter_from_string_fe` and the REST API hand to a
metadata plugin) as didmeta's structured filter: OR groups of (key, Op, typed value) clauses.

Rucio writes a clause as `{'run_number.gte': '5'}` (the operator is a key suffix; none means eq) and
adds `name='*'`. Rucio's string parser leaves every value as text (its filter engine types them
later); here text is typed by the spec's one rule set (`parse_text_value`: `5` -> 5, `true` -> True,
an ISO date -> timestamp), values already typed (a REST filter dictionary) go through unchanged,
and `name` values stay text. They then mean in didmeta what the spec says (docs/migrating-from-rucio.md
lists where Rucio's own answer differs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from didmeta.errors import InvalidArgument
from didmeta.filters.model import Op
from didmeta.values import MetaValue, normalize_timestamp, parse_text_value

_SUFFIXES = {"": Op.EQ, "eq": Op.EQ, "ne": Op.NE, "lt": Op.LT, "lte": Op.LTE, "gt": Op.GT, "gte": Op.GTE}

Clause = tuple[str, Op, MetaValue]


def _value(key: str, value: Any) -> MetaValue:
    if isinstance(value, str):
        return value if key == "name" else parse_text_value(value)
    if isinstance(value, datetime):
        return normalize_timestamp(value)
    external = getattr(value, "external", None)  # Rucio's InternalAccount / InternalScope
    if isinstance(external, str):
        return external
    return value  # type: ignore[no-any-return]


def rucio_filters_to_groups(filters: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None) -> list[list[Clause]]:
    """didmeta's OR groups for Rucio's filter dictionary or list of dictionaries (one per OR group)."""
    if filters is None:
        return []
    if isinstance(filters, Mapping):
        filters = [filters]
    groups: list[list[Clause]] = []
    for group in filters:
        clauses: list[Clause] = []
        for raw_key, value in group.items():
            key, _, suffix = str(raw_key).partition(".")
            op = _SUFFIXES.get(suffix)
            if op is None:
                raise InvalidArgument.for_field(
                    "filters", f"unknown operator suffix in {raw_key!r}", reason="INVALID_FILTER"
                )
            if key == "name" and op is Op.EQ and value in ("*", None, ""):
                continue  # Rucio's "every name"
            clauses.append((key, op, _value(key, value)))
        groups.append(clauses)
    if any(not g for g in groups):
        return []  # one group without clauses matches everything
    return groups
