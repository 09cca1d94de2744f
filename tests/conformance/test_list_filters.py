"""List operators (docs/filters.md): `key.any OP v`, `key.all OP v`, `key.len OP n`, on every plugin.

Each case is sent as an expression and as a wire tree; both answers must equal the reference
evaluator's. The data set's `vals` key holds mixed, empty, nested and timestamp lists and, on one
DID, a plain string (which no list operator matches).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import SCOPE, Conformance
from tests.conformance.test_boolean_filters import _check

LIST = [
    "vals.any=calib*",
    "vals.any=Calib*",
    "vals.any=calib_a",
    "vals.any=*_*",
    "vals.any>5",
    "vals.any>=7",
    "vals.any<0",
    "vals.any=5",
    "vals.any=2.5",
    "vals.any=true",
    "vals.any=false",
    "vals.any>=2024-01-01",
    "vals.any=2024-06-15T12:30:45.123456Z",
    "vals.any<2024-01-02",
    "vals.any<raw",
    "vals.any!=calib_a",
    "vals.all>5",
    "vals.all>=1",
    "vals.all<100",
    "vals.all=6",
    "vals.all=true",
    "vals.all>=calib",
    "vals.all<d",
    "vals.all!=6",
    'vals.all="calib_a"',
    "vals.all>-2",
    "vals.len=0",
    "vals.len=2",
    "vals.len>=2",
    "vals.len>2",
    "vals.len<2",
    "vals.len<=1",
    "vals.len!=2",
    "1 < vals.len <= 3",
    "tags.any=x",
    "tags.any=X",
    "tags.all=y",
    "tags.len>=2",
    "tags.all>0",
    "mix.any=5",
    "mix.all>=5",
    "mix.len=2",
    "not vals.any>5",
    "not vals.all>5",
    "not vals.len>=2",
    "vals.any>5;vals.any=calib*",
    "vals.all>0,vals.len>=2",
    "run_number.any=100",
    "not run_number.len=1",
    "label.any=a*",
    "vals.any=calib*,type=file",
    "vals.len.gte=2",
    "vals.all=calib*",
    "vals.len=abc",
    "vals.any=null",
    "vals.all>=2024-01-01",
    "name.any=x",
    "type.any=file",
]
LIST_IGNORE_CASE = [
    "vals.any=CALIB*",
    "vals.all>=CALIB",
    "vals.any=calib",
    "tags.any=x",
    "not vals.any=calib_UP",
]


@pytest.mark.parametrize("expression", LIST)
def test_list_expression(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=False)


@pytest.mark.parametrize("expression", LIST)
def test_list_tree(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=True)


@pytest.mark.parametrize("expression", LIST_IGNORE_CASE)
def test_list_ignore_case(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=False, ignore_case=True)


# Hand-checked answers: they guard the oracle itself.
LIST_HAND_CHECKED = {
    "vals.any=calib*": ["f.02", "f.03"],
    "vals.all>5": ["f.01", "f.06", "f.07"],  # f.07's list is empty: `all` holds
    "vals.len>=2": ["cont.mc", "ds.when", "f.00", "f.01", "f.02", "f.03", "f.04", "f.05", "f.10"],
    "vals.any=5": ["f.10"],
}


@pytest.mark.parametrize("expression", sorted(LIST_HAND_CHECKED))
def test_list_hand_checked(conformance: Conformance, expression: str) -> None:
    with conformance.client() as client:
        got = [d.split(":", 1)[1] for d in client.list_dids(f"{SCOPE}*", expression, type="all")]
    assert got == LIST_HAND_CHECKED[expression]
