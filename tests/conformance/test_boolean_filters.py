"""Full boolean filters (spec §4.4): `not`, parentheses, `not_in` and the wire tree, on every plugin.

Every case is sent twice: as the string expression and as the wire `tree` built from the same
parse, and both answers must equal the reference evaluator's. Keys `run_number` and `datatype`
live in DID_COLUMN, the others in the plugin under test, so negation crosses plugins too.
"""

from __future__ import annotations

import pytest

from didmeta.errors import InvalidArgument
from didmeta.filters import normalize_tree, parse_filter, parse_filter_tree
from didmeta.identifiers import TYPE_SELECTORS
from didmeta.v1 import filter_pb2
from didmeta.wire import node_to_wire
from tests.conformance.conftest import OTHER_SCOPE, SCOPE, Conformance
from tests.conformance.oracle import evaluate

ALL_TYPES = TYPE_SELECTORS["all"]

BOOLEAN = [
    "not mix=5",
    "not quality=good",
    "not (quality=good)",
    "not quality!=good",
    "not mix>4",
    "not mix<=5",
    "not energy>=1.5",
    "not label=a*",
    "not label.prefix=a",
    "not tags.contains=y",
    "not flag.exists=true",
    "not quality=null",
    "not when>=2024-01-01",
    "mix.not_in=[5, abc]",
    "quality.not_in=[good, bad]",
    'not mix.in=[5, "5"]',
    "not run_number=100",
    "not run_number>150",
    "not datatype=RAW",
    "not datatype.prefix=R",
    "run_number.not_in=[100, 300]",
    "not name=f.0*",
    "not name.prefix=ds",
    "not type=file",
    "not (type=file;type=container)",
    "not (mix=5;quality=good)",
    "not (mix=5,quality=good)",
    "not (energy>1,energy<5)",
    "(quality=good;quality=bad),(mix=5;energy>1)",
    "(run_number=100;run_number=300),not datatype=RAW",
    "not (run_number>=200,label=a*)",
    "not not mix=5",
    "not (not mix>4;label=ab)",
    "type=file,not (energy>1;mix<0)",
    "(type=dataset;type=container),not quality=good",
    "not (1 < mix <= 10)",
    "not (tags.contains=y;tags.contains=5)",
    "not (campaign=mc*;tag=alpha)",
    "(label=a*,not label=a_b);name=cont*",
    "not when<2024-06-15T12:30:45.123456Z",
    "not energy=7",
    "not flag=true",
    "not flag!=false",
    "not mix.exists=false",
    "(mix>4;mix<0),(run_number=100;datatype=AOD)",
    "not ((quality=good;mix=5),energy>0)",
    "not (quality=good,mix=5);not label=ab",
    "not (label=a*;label=*b),label.exists=true",
]
BOOLEAN_IGNORE_CASE = [
    "not quality=GOOD",
    "not label=A*",
    "quality.not_in=[GOOD]",
    "not (label.prefix=A;tag=BETA)",
    "not quality<GOOD",
]


def _tree_filter(expression: str) -> filter_pb2.Filter:
    node = parse_filter_tree(expression)
    assert node is not None
    return filter_pb2.Filter(tree=node_to_wire(node))


def _check(conformance: Conformance, expression: str, *, tree: bool, ignore_case: bool = False) -> None:
    """The server's answer equals the oracle's; an expression the model refuses, the server refuses too."""
    try:
        parsed = parse_filter(expression)
    except InvalidArgument:
        try:
            sent: str | filter_pb2.Filter = _tree_filter(expression) if tree else expression
        except InvalidArgument:
            return  # no tree can be built from text the grammar refuses: the expression case covers it
        with conformance.client() as client, pytest.raises(InvalidArgument):
            list(client.list_dids(f"{SCOPE}*", sent, type="all", ignore_case=ignore_case))
        return
    expected = evaluate(conformance.records, parsed, ALL_TYPES, ignore_case)
    sent = _tree_filter(expression) if tree else expression
    with conformance.client() as client:
        got = list(client.list_dids(f"{SCOPE}*", sent, type="all", ignore_case=ignore_case))
        assert got == expected, expression
        assert client.count_dids(f"{SCOPE}*", sent, type="all", ignore_case=ignore_case) == len(expected)


@pytest.mark.parametrize("expression", BOOLEAN)
def test_boolean_expression(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=False)


@pytest.mark.parametrize("expression", BOOLEAN)
def test_boolean_tree(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=True)


@pytest.mark.parametrize("expression", BOOLEAN_IGNORE_CASE)
def test_boolean_ignore_case(conformance: Conformance, expression: str) -> None:
    _check(conformance, expression, tree=False, ignore_case=True)


def test_negation_is_the_complement(conformance: Conformance) -> None:
    """`not F` lists exactly the DIDs `F` does not, a DID lacking the key included (hand-checked)."""
    everything = set(evaluate(conformance.records, normalize_tree(None), ALL_TYPES, False))
    with conformance.client() as client:
        positive = set(client.list_dids(f"{SCOPE}*", "mix>4,energy>0", type="all"))
        negative = set(client.list_dids(f"{SCOPE}*", "not (mix>4,energy>0)", type="all"))
    assert positive == {f"{SCOPE}:f.00", f"{OTHER_SCOPE}:f.far"}
    assert positive.isdisjoint(negative)
    assert positive | negative == everything


def test_malformed_boolean_filters_are_invalid_argument(conformance: Conformance) -> None:
    with conformance.client() as client:
        for text in ("(mix=5", "mix=5)", "not", "()", "not (mix=5;)x"):
            with pytest.raises(InvalidArgument):
                list(client.list_dids(f"{SCOPE}*", text, type="all"))
        empty = filter_pb2.Filter(tree=filter_pb2.FilterNode(all_of=filter_pb2.FilterNodeList()))
        with pytest.raises(InvalidArgument) as info:
            list(client.list_dids(f"{SCOPE}*", empty, type="all"))
        assert "filter.tree.all_of" in str(info.value)
