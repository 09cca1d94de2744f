"""The regex subset: what it accepts, what it refuses (with the reason), and how it is written out."""

from __future__ import annotations

import re

import pytest

from didmeta.errors import InvalidArgument
from didmeta.filters import parse_filter
from didmeta.filters.model import Op
from didmeta.filters.regex import (
    lowered,
    lucene_regex,
    mongo_regex,
    parse_regex,
    postgres_regex,
    python_regex,
    regex_matches,
)


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("calib_[0-9]+", ["calib_1", "calib_42"], ["calib_", "xcalib_1", "calib_1x"]),
        ("a.b", ["a_b", "a\nb"], ["ab", "a__b"]),
        ("(ab)+c?", ["ab", "ababc"], ["abc c", "a"]),
        ("x{2,3}", ["xx", "xxx"], ["x", "xxxx"]),
        ("[^a-z]+", ["ABC", "1-2"], ["aB"]),
        (r"a\.b|c\*", ["a.b", "c*"], ["a_b", "cc"]),
        ("É.", ["Éa"], ["éa"]),
    ],
)
def test_python_form_matches_whole_values(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    text = python_regex(parse_regex(pattern))
    assert all(regex_matches(text, value) for value in matching)
    assert not any(regex_matches(text, value) for value in not_matching)
    assert not regex_matches(text, 5)


def test_every_engine_gets_the_same_anchored_pattern() -> None:
    pattern = parse_regex(r"calib_[0-9]{1,3}\.x|.")
    assert postgres_regex(pattern) == r"^(calib\_[0-9]{1,3}\.x|.)$"
    assert mongo_regex(pattern) == r"^(calib\_[0-9]{1,3}\.x|[\s\S])\z"
    assert lucene_regex(pattern) == r"calib\_[0-9]{1,3}\.x|."
    for form in (postgres_regex(pattern), mongo_regex(pattern).replace(r"\z", r"\Z")):
        assert re.search(form, "calib_12.x") and not re.search(form, "calib_12.xy")


def test_lowering_for_iregex() -> None:
    assert python_regex(lowered(parse_regex("A[B-D]É"))) == "a[b-d]é"


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("^a", "whole value"),
        ("a$", "whole value"),
        (r"\d+", "not in the subset"),
        ("(?i)a", "(?...)"),
        ("a*?", "lazy"),
        ("(a+)+", "repeated group"),
        ("(a|b)*", "repeated group"),
        ("a{101}", "bounds"),
        ("a{3,2}", "bounds"),
        ("((((((a))))))", "nest"),
        ("a|", "empty"),
        ("()", "empty"),
        ("", "empty"),
        ("[a", "not closed"),
        ("[]", "empty class"),
        ("[z-a]", "reversed"),
        ("a)", "unmatched"),
        ("*a", "nothing to repeat"),
        ("a]", "escape"),
        ("a" * 501, "at most 500"),
        ("a*b*c*d*e*f*g*h*i*", "at most 8"),
    ],
)
def test_outside_the_subset_is_invalid_argument(pattern: str, problem: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_regex(pattern)
    assert problem in info.value.field_violations[0].description


def test_filter_clauses() -> None:
    clause = parse_filter("label.iregex=a.*").groups[0].clauses[0]
    assert (clause.op, clause.value) == (Op.IREGEX, "a.*")
    assert parse_filter('label.regex="a.{1,2}"').groups[0].clauses[0].value == "a.{1,2}"
    for text in ("label.regex=5", "label.regex=(a+)+", "name.regex=x", "label.regex=[a"):
        with pytest.raises(InvalidArgument) as info:
            parse_filter(text)
        assert text in info.value.field_violations[0].description
