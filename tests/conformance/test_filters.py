"""Filter semantics (spec §4): every case's answer must equal the reference evaluator's, on every plugin."""

from __future__ import annotations

import itertools

import pytest

from didmeta.errors import InvalidArgument
from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS
from tests.conformance.conftest import SCOPE, Conformance
from tests.conformance.oracle import evaluate

ALL_TYPES = TYPE_SELECTORS["all"]
KEYS = ["mix", "quality", "energy", "run_number", "when"]
OPS = ["=", "!=", "<", "<=", ">", ">="]
VALUES = ["5", "5.0", "4.5", '"5"', "good", "2024-01-01", "true", "-5", "1e-3", "abc"]

COMPARISONS = [f"{k}{op}{v}" for k, op, v in itertools.product(KEYS, OPS, VALUES)]

WILDCARDS = [
    "label=a*",
    "label=*b",
    "label=a_b",
    "label=a%b",
    "label=a?b",
    "label=a[1]",
    "label=a.b",
    "label=*.*",
    "label=a*b",
    "label=*a*",
    "label!=a*",
    "label=A*",
    "label=a\\b",
    'label="A*B"',
    "label=A*B",
    "label=*",
    "label!=*",
    "mix=*",
    "mix!=*",
    "name=f.0*",
    "name=*.1*",
    "name!=f.*",
    "label=a b",
    "label=*[*",
    "label=*cole",
    "label=É*",
    "label=a?*",
]
SPECIAL = [
    "quality=null",
    "quality!=null",
    "flag=true",
    "flag=false",
    "flag!=true",
    "tags.contains=y",
    "tags.contains=5",
    "tags.contains=X",
    'mix.in=[5, "5"]',
    "mix.in=[abc, 10]",
    "quality.in=[good, bad]",
    "label.prefix=a",
    "label.prefix=A",
    "label.prefix=a?",
    "flag.exists=true",
    "flag.exists=false",
    "when.gte=2024-01-01",
    "when<2024-06-15T12:30:45.123456Z",
    "when=2024-06-15T12:30:45.123456Z",
    "1 < mix <= 10",
    "-10 < energy < 2",
    "mix.ne=5",
    "run_number>=200,quality=bad",
    "run_number=100,label=a*",
    "datatype=RAW,quality=good",
    "datatype=RAW;quality=bad",
    "type=file,energy>1;type=dataset,quality=good",
    "type=container",
    "campaign=mc*,tag=alpha",
    "quality=good;mix>4;label=ab",
    "run_number!=100,quality!=good",
    "energy>=1.5,energy<=5",
    "mix>4.5",
    "mix>=4.5,mix<5",
    "mix=1000000000000",
    "energy=7",
    "energy=7.0",
    "",
]
IGNORE_CASE = [
    "quality=GOOD",
    "quality=good",
    "label=A*",
    "label=a*b",
    "tag=BETA",
    "quality!=good",
    "tags.contains=x",
    "label.prefix=A",
    "quality.in=[GOOD]",
    "quality>=g",
    "name=F.0*",
    "quality<GOOD",
    "label=école",
    "label=ÉCOLE",
    "label=é*",
    "label.prefix=éC",
    "label>=éco",
]


def _check(conformance: Conformance, expression: str, ignore_case: bool = False) -> None:
    try:
        parsed = parse_filter(expression)
    except InvalidArgument:
        with conformance.client() as client, pytest.raises(InvalidArgument):
            list(client.list_dids(f"{SCOPE}*", expression, type="all", ignore_case=ignore_case))
        return
    expected = evaluate(conformance.records, parsed, ALL_TYPES, ignore_case)
    with conformance.client() as client:
        got = list(client.list_dids(f"{SCOPE}*", expression, type="all", ignore_case=ignore_case))
        assert got == expected, expression
        assert client.count_dids(f"{SCOPE}*", expression, type="all", ignore_case=ignore_case) == len(expected)


@pytest.mark.parametrize("expression", COMPARISONS)
def test_typed_comparison(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression)


@pytest.mark.parametrize("expression", WILDCARDS)
def test_wildcard(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression)


@pytest.mark.parametrize("expression", SPECIAL)
def test_operator(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression)


@pytest.mark.parametrize("expression", IGNORE_CASE)
def test_ignore_case(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, ignore_case=True)


# Hand-checked answers: they guard the oracle itself.
HAND_CHECKED = {
    "mix=5": ["ds.aod.200", "ds.raw.100", "f.far"],
    "mix!=5": [
        "cont.data",
        "cont.mc",
        "ds.raw.300",
        "ds.when",
        "f.00",
        "f.01",
        "f.02",
        "f.03",
        "f.04",
        "f.05",
        "f.06",
        "f.07",
        "f.08",
        "f.09",
        "f.10",
        "f.11",
        "ds.far",
    ],
    'mix="5"': ["ds.raw.300"],
    "label=a_b": ["f.00"],
    "label=a*b": ["f.00", "f.01", "f.02", "f.04", "f.06", "f.07", "f.10"],
    "tags.contains=5": ["f.02"],
    "quality=null": [
        "cont.data",
        "cont.mc",
        "f.00",
        "f.01",
        "f.02",
        "f.03",
        "f.05",
        "f.06",
        "f.08",
        "f.09",
        "f.10",
        "f.11",
    ],
    "when>=2024-01-01": ["ds.when", "f.00", "f.03"],
    "mix<0": ["f.01"],
}


@pytest.mark.parametrize("expression", sorted(HAND_CHECKED))
def test_hand_checked(conformance: Conformance, expression: str) -> None:
    with conformance.client() as client:
        got = [d.split(":", 1)[1] for d in client.list_dids(f"{SCOPE}*", expression, type="all")]
    assert got == HAND_CHECKED[expression]
