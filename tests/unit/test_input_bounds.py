"""Unit checks of the bounds added for issue 11: filter limits and deadline, echo and log caps, printer."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest

from didmeta.errors import DeadlineExceeded, InvalidArgument
from didmeta.filters import Op, parse_filter
from didmeta.filters.printer import Unprintable, format_filter
from didmeta.server.logging_setup import configure_logging
from didmeta.server.query.limits import Deadline, FilterLimits, parse_limited
from didmeta.server.status import MAX_MESSAGE_CHARS, shorten, to_grpc_status
from didmeta.v1 import filter_pb2
from didmeta.values import MetaValue


def test_a_passed_deadline_stops_the_filter_compilation() -> None:
    message = filter_pb2.Filter(expression="a=1,b=2")
    with pytest.raises(DeadlineExceeded):
        parse_limited(message, FilterLimits(), deadline=Deadline.after(-1.0))
    assert parse_limited(message, FilterLimits(), deadline=Deadline.after(60.0)).keys == {"a", "b"}


def test_limits_count_the_parsed_form() -> None:
    limits = FilterLimits(max_chars=1000, max_groups=2, max_clauses=3, max_in_values=2)
    assert len(parse_limited(filter_pb2.Filter(expression="a=1;b=2"), limits).groups) == 2
    for expression, setting in [
        ("a=1;b=2;c=3", "max_filter_groups"),
        ("a=1,b=2,c=3,d=4", "max_filter_clauses"),
        ("1<a<3,b=1,c=1", "max_filter_clauses"),  # a compound range is two clauses
        ("a.in=[1,2,3]", "max_in_values"),
        ("a=" + "x" * 1001, "max_filter_chars"),
    ]:
        with pytest.raises(InvalidArgument) as info:
            parse_limited(filter_pb2.Filter(expression=expression), limits)
        assert info.value.reason == "FILTER_TOO_LARGE" and info.value.metadata["limit"] == setting


def test_statuses_echo_at_most_a_bounded_text() -> None:
    status = to_grpc_status(InvalidArgument.for_field("n" * 10_000, "bad " + "v" * 10_000))
    assert len(status.details) <= MAX_MESSAGE_CHARS
    assert sum(len(value) for _, value in status.trailing_metadata) < 4000
    assert shorten("abc", 10) == "abc" and len(shorten("x" * 500, 100)) == 100


def test_log_lines_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", "text", max_chars=300)
        logging.getLogger("didmeta.test").warning("statement: %s", "SELECT " + "?, " * 100_000)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    line = stream.getvalue()
    assert "more characters" in line and len(line) < 500


def test_printer_examples() -> None:
    when = datetime(2024, 6, 15, 12, 30, 45, 123456, tzinfo=UTC)
    groups: list[list[tuple[str, Op, MetaValue]]] = [
        [("k", Op.EQ, "5"), ("k2", Op.IN, [1, 2.5, "a b", when]), ("name", Op.EQ, "f.*")],
        [("x", Op.GT, -3)],
    ]
    text = format_filter(groups)
    assert text == 'k.eq="5",k2.in=[1,2.5,a b,2024-06-15T12:30:45.123456Z],name.eq=f.*;x.gt=-3'
    assert parse_filter(text).groups[0].clauses[0].value == "5"
    for unprintable in ['say "hi"', " a*"]:
        with pytest.raises(Unprintable):
            format_filter([[("k", Op.EQ, unprintable)]])
