"""Property: a structured filter printed in the string grammar and parsed back is the same filter."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings

from didmeta.errors import InvalidArgument
from didmeta.filters import RawClause, normalize_groups, parse_filter
from didmeta.filters.printer import Unprintable, format_filter
from tests.property.strategies import EXAMPLES, filter_text, structured_groups


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
