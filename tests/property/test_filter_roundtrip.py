"""Property: a structured filter printed in the string grammar and parsed back is the same filter."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings

from didmeta.errors import InvalidArgument
from didmeta.filters import (
    RawAnd,
    RawClause,
    RawNode,
    RawNot,
    RawOr,
    normalize_groups,
    normalize_tree,
    parse_filter,
    parse_filter_tree,
)
from didmeta.filters.printer import Unprintable, format_filter, format_normal_clause, format_tree
from tests.property.strategies import EXAMPLES, filter_text, structured_groups, structured_tree


@settings(max_examples=EXAMPLES * 8, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(structured_groups())
def test_printed_structured_filter_parses_back_equal(groups: list[list[RawClause]]) -> None:
    try:
        expected = normalize_groups(groups)
    except InvalidArgument:
        assume(False)
        return
    try:
        text = format_filter([[(c.key, c.op, c.value) for c in group] for group in groups])
    except Unprintable:
        assume(False)
        return
    assert parse_filter(text) == expected, text


@settings(max_examples=EXAMPLES * 8)
@given(filter_text())
def test_filter_text_parses_or_is_invalid_argument(text: str) -> None:
    """Any text near the grammar either parses or raises INVALID_ARGUMENT, never another exception."""
    try:
        parse_filter(text)
    except InvalidArgument as error:
        assert error.field_violations and error.reason


def _shape(node: RawNode | None) -> object:
    """A tree's structure and typed clauses, without the written text of each clause."""
    if isinstance(node, RawClause):
        return (node.key, node.op, node.value, node.quantifier)
    if isinstance(node, RawNot):
        return ("not", _shape(node.child))
    if isinstance(node, RawAnd | RawOr):
        return (type(node).__name__, tuple(_shape(child) for child in node.children))
    return None


@settings(
    max_examples=EXAMPLES * 8,
    deadline=None,  # a tree expands to up to a few hundred groups; time depends on the machine's load
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(structured_tree())
def test_printed_tree_parses_back_equal(tree: RawNode) -> None:
    """A wire tree printed with `not` and parentheses parses back to the same tree and the same filter."""
    try:
        expected = normalize_tree(tree, max_groups=10_000)
    except InvalidArgument:
        assume(False)
        return
    try:
        text = format_tree(tree)
    except Unprintable:
        assume(False)
        return
    parsed = parse_filter_tree(text)
    assert _shape(parsed) == _shape(tree), text
    assert parse_filter(text, max_groups=10_000) == expected, text


@settings(
    max_examples=EXAMPLES * 8,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(structured_tree())
def test_normal_form_clauses_print_and_parse_back(tree: RawNode) -> None:
    """Every clause of a normalised filter, as ExplainDids and FreezeDids write it (negation and list
    operator included), parses back to the same clause."""
    try:
        normal = normalize_tree(tree, max_groups=10_000)
    except InvalidArgument:
        assume(False)
        return
    for group in normal.groups:
        for clause in group.clauses:
            try:
                text = format_normal_clause(clause)
            except Unprintable:
                continue
            (back,) = parse_filter(text).groups
            assert back.clauses == (clause,), text
