"""Bounds on what one filter may cost: characters, OR groups, clauses, `in` values (settings).

Checked before any expensive work: the structured form's sizes are read from the wire message
before it is converted, the string form's length before it is parsed. Past a limit the answer is
INVALID_ARGUMENT (reason FILTER_TOO_LARGE) naming the limit and its setting.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from didmeta.errors import DeadlineExceeded, InvalidArgument
from didmeta.filters import Filter, RawClause, normalize_groups, parse_filter_string
from didmeta.server.config import Settings
from didmeta.v1 import filter_pb2
from didmeta.wire import filter_from_wire


@dataclass(frozen=True)
class FilterLimits:
    max_chars: int = 100_000
    max_groups: int = 100
    max_clauses: int = 200
    max_in_values: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> FilterLimits:
        return cls(
            settings.max_filter_chars, settings.max_filter_groups, settings.max_filter_clauses, settings.max_in_values
        )


def _too_large(field: str, what: str, count: int, limit: int, setting: str) -> InvalidArgument:
    error = InvalidArgument.for_field(
        field, f"{count} {what}, at most {limit} (server setting {setting})", reason="FILTER_TOO_LARGE"
    )
    error.metadata.update({"limit": setting, "max": str(limit)})
    return error


def check_wire(message: filter_pb2.Filter, limits: FilterLimits, field: str = "filter") -> None:
    """Sizes of the wire form, before anything is converted."""
    if len(message.expression) > limits.max_chars:
        raise _too_large(
            f"{field}.expression", "characters", len(message.expression), limits.max_chars, "max_filter_chars"
        )
    if len(message.groups) > limits.max_groups:
        raise _too_large(f"{field}.groups", "groups", len(message.groups), limits.max_groups, "max_filter_groups")
    clauses = sum(len(group.clauses) for group in message.groups)
    if clauses > limits.max_clauses:
        raise _too_large(f"{field}.groups", "clauses", clauses, limits.max_clauses, "max_filter_clauses")
    for g, group in enumerate(message.groups):
        for c, clause in enumerate(group.clauses):
            values = len(clause.value.list_value.values)
            if values > limits.max_in_values:
                where = f"{field}.groups[{g}].clauses[{c}].value"
                raise _too_large(where, "values in one list", values, limits.max_in_values, "max_in_values")


def check_raw(groups: Sequence[Sequence[RawClause]], limits: FilterLimits, field: str = "filter") -> None:
    """Sizes of the parsed form (the string grammar's, whose sizes are only known once parsed)."""
    if len(groups) > limits.max_groups:
        raise _too_large(field, "groups", len(groups), limits.max_groups, "max_filter_groups")
    clauses = sum(len(group) for group in groups)
    if clauses > limits.max_clauses:
        raise _too_large(field, "clauses", clauses, limits.max_clauses, "max_filter_clauses")
    for group in groups:
        for raw in group:
            if isinstance(raw.value, list) and len(raw.value) > limits.max_in_values:
                raise _too_large(field, "values in one list", len(raw.value), limits.max_in_values, "max_in_values")


@dataclass(frozen=True)
class Deadline:
    """The call's deadline as a `time.monotonic()` instant (None: none), checked between stages."""

    at: float | None = None

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        return cls(None if seconds is None else time.monotonic() + seconds)

    def check(self, stage: str) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise DeadlineExceeded(f"the call's deadline passed while {stage}")


NO_DEADLINE = Deadline()


def parse_limited(
    message: filter_pb2.Filter, limits: FilterLimits, field: str = "filter", deadline: Deadline = NO_DEADLINE
) -> Filter:
    """The wire filter, validated and normalised, refused past the limits before it costs much."""
    check_wire(message, limits, field)
    parsed = filter_from_wire(message, field)
    deadline.check("converting the filter")
    groups = parse_filter_string(parsed) if isinstance(parsed, str) else parsed
    check_raw(groups, limits, field)
    deadline.check("parsing the filter")
    normalized = normalize_groups(groups)
    deadline.check("validating the filter")
    return normalized
