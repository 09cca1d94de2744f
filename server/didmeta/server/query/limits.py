"""Bounds on what one filter may cost: characters, OR groups, clauses, `in` values, nesting (settings).

Checked before any expensive work: the structured form's sizes are read from the wire message
before it is converted, the string form's length before it is parsed. A boolean tree (`not`,
parentheses, the wire `tree`) is bounded by its nesting and clauses as written, and its expansion
into OR groups by the group and clause limits. Past a limit the answer is INVALID_ARGUMENT
(reason FILTER_TOO_LARGE) naming the limit and its setting.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from didmeta.errors import DeadlineExceeded, InvalidArgument
from didmeta.filters import Filter, RawClause, normalize_tree, parse_filter_tree
from didmeta.filters.tree import RawNode, clauses, depth, flat_groups, groups_node, too_deep
from didmeta.server.config import Settings
from didmeta.v1 import filter_pb2
from didmeta.wire import filter_from_wire


@dataclass(frozen=True)
class FilterLimits:
    max_chars: int = 100_000
    max_groups: int = 100
    max_clauses: int = 200
    max_in_values: int = 10_000
    max_depth: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> FilterLimits:
        return cls(
            settings.max_filter_chars,
            settings.max_filter_groups,
            settings.max_filter_clauses,
            settings.max_in_values,
            settings.max_filter_depth,
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
    if message.HasField("tree"):
        _check_wire_tree(message.tree, limits, f"{field}.tree")


def _check_wire_tree(root: filter_pb2.FilterNode, limits: FilterLimits, field: str) -> None:
    """Nesting, clause count and list sizes of a wire tree, walked without recursion."""
    stack: list[tuple[filter_pb2.FilterNode, int]] = [(root, 0)]
    count = 0
    while stack:
        node, level = stack.pop()
        if level > limits.max_depth:
            raise too_deep(level, limits.max_depth, "max_filter_depth")
        kind = node.WhichOneof("node")
        if kind == "clause":
            count += 1
            if count > limits.max_clauses:
                raise _too_large(field, "clauses", count, limits.max_clauses, "max_filter_clauses")
            values = len(node.clause.value.list_value.values)
            if values > limits.max_in_values:
                raise _too_large(field, "values in one list", values, limits.max_in_values, "max_in_values")
        elif kind == "negation":
            stack.append((node.negation, level + 1))
        elif kind in ("all_of", "any_of"):
            children = node.all_of.nodes if kind == "all_of" else node.any_of.nodes
            stack.extend((child, level + 1) for child in children)


def check_tree(node: RawNode | None, limits: FilterLimits, field: str = "filter") -> None:
    """Nesting and clauses of a tree as written (its expansion is bounded while it is expanded)."""
    nesting = depth(node)
    if nesting > limits.max_depth:
        raise too_deep(nesting, limits.max_depth, "max_filter_depth")
    written = clauses(node)
    if len(written) > limits.max_clauses:
        raise _too_large(field, "clauses", len(written), limits.max_clauses, "max_filter_clauses")
    for raw in written:
        if isinstance(raw.value, list) and len(raw.value) > limits.max_in_values:
            raise _too_large(field, "values in one list", len(raw.value), limits.max_in_values, "max_in_values")


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
    if isinstance(parsed, str):
        node = parse_filter_tree(parsed)
    elif isinstance(parsed, list):
        node = groups_node(parsed)
    else:
        node = parsed
    flat = flat_groups(node)
    if flat is not None:
        check_raw(flat, limits, field)
    else:
        check_tree(node, limits, field)
    deadline.check("parsing the filter")
    normalized = normalize_tree(node, limits.max_groups)
    expanded = sum(len(group.clauses) for group in normalized.groups)
    if expanded > limits.max_clauses:
        raise _too_large(field, "clauses once expanded", expanded, limits.max_clauses, "max_filter_clauses")
    deadline.check("validating the filter")
    return normalized
