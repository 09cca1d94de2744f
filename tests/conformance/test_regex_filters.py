"""The regex operator (docs/filters.md): `key.regex=` / `key.iregex=` over the documented subset,
run natively by every plugin (PostgreSQL `~`, SQLite's registered function, `$regex`, Lucene
`regexp`) and compared with the reference evaluator, as an expression and as a wire tree.
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import SCOPE, Conformance
from tests.conformance.test_boolean_filters import _check

REGEX = [
    "label.regex=a.b",
    r"label.regex=a\.b",
    "label.regex=a[._]b",
    "label.regex=[a-z]+",
    "label.regex=[^a]+",
    "label.regex=.*b",
    "label.regex=a.*",
    "label.regex=(ab)+c?",
    "label.regex=x?a_b",
    'label.regex="a.{1,2}"',
    'label.regex="a{1}b{1,}"',
    "label.regex=a|ab",
    "label.regex=É.*",
    "label.regex=é.*",
    r"label.regex=A\*B",
    r"label.regex=a\\b",
    r"label.regex=a\[1\]",
    "label.regex=a b",
    "label.iregex=é.*",
    "label.iregex=A.B",
    "label.iregex=[A-Z]+",
    "quality.regex=good|bad",
    "quality.iregex=good",
    "quality.regex=G.*",
    "mix.regex=abc",
    'mix.regex="5"',
    "tags.regex=x",
    "datatype.regex=R.W",
    "datatype.iregex=raw",
    "campaign.regex=mc[0-9]+a",
    'run_number.regex="100"',
    "note.regex=line1.line2",
    "note.regex=line.*",
    "note.iregex=line1",
    "note.regex=[^x]+",
    "vals.regex=calib.*",
    "not label.regex=a.b",
    "label.regex=a.*,not label.regex=.*b",
    "label.regex=a.b;quality.regex=bad",
    "label.regex=^a",
    "label.regex=(a+)+",
    r"label.regex=\d+",
    "label.regex=a{500}",
    "label.regex=[a",
    "name.regex=f.*",
    "label.regex=true",
    "mix.regex=5",
    'label.regex=""',
    "label.regex=(?i)a",
]
REGEX_IGNORE_CASE = [
    "label.regex=a.B",
    "quality.regex=GOOD",
    "datatype.regex=raw",
    "note.regex=LINE1",
    "not quality.regex=g.*",
]


@pytest.mark.parametrize("expression", REGEX)
def test_regex_expression(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=False)


@pytest.mark.parametrize("expression", REGEX)
def test_regex_tree(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=True)


@pytest.mark.parametrize("expression", REGEX_IGNORE_CASE)
def test_regex_ignore_case(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=False, ignore_case=True)


# Hand-checked answers: they guard the oracle itself.
REGEX_HAND_CHECKED = {
    "label.regex=a.b": ["f.00", "f.01", "f.02", "f.04", "f.07", "f.10"],
    "note.regex=line1.line2": ["f.09"],
    "label.iregex=a.b": ["f.00", "f.01", "f.02", "f.04", "f.05", "f.07", "f.10"],
}


@pytest.mark.parametrize("expression", sorted(REGEX_HAND_CHECKED))
def test_regex_hand_checked(conformance: Conformance, expression: str) -> None:
    with conformance.client() as client:
        got = [d.split(":", 1)[1] for d in client.list_dids(f"{SCOPE}*", expression, type="all")]
    assert got == REGEX_HAND_CHECKED[expression]


def test_regex_outside_the_subset_names_the_clause(conformance: Conformance) -> None:
    from didmeta.errors import InvalidArgument

    with conformance.client() as client, pytest.raises(InvalidArgument) as info:
        list(client.list_dids(f"{SCOPE}*", "label.regex=(a+)+", type="all"))
    assert info.value.reason == "INVALID_FILTER"
    assert "label.regex=(a+)+" in str(info.value) and "repeated group" in str(info.value)
