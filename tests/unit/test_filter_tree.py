"""`not`, parentheses, `not_in` and the wire tree: parsing, expansion to the normal form, limits."""

from __future__ import annotations

import pytest

from didmeta.errors import InvalidArgument
from didmeta.filters import Clause, Filter, Group, Op, normalize_tree, parse_filter, parse_filter_tree
from didmeta.filters.tree import RawAnd, RawNot, RawOr
from didmeta.identifiers import DidType
from didmeta.server.query.limits import FilterLimits, parse_limited
from didmeta.v1 import filter_pb2
from didmeta.wire import filter_from_wire, node_to_wire


def _clauses(text: str) -> list[tuple[Clause, ...]]:
    return [group.clauses for group in parse_filter(text).groups]


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    node = parse_filter_tree("not a=1,b=2;c=3")
    assert isinstance(node, RawOr)
    first, second = node.children
    assert isinstance(first, RawAnd) and isinstance(first.children[0], RawNot)
    assert getattr(second, "key", None) == "c"


def test_not_of_eq_ne_exists_and_in_are_their_complements() -> None:
    assert _clauses("not a=1") == [(Clause("a", Op.NE, 1),)]
    assert _clauses("not a!=1") == [(Clause("a", Op.EQ, 1),)]
    assert _clauses("not a.exists=true") == [(Clause("a", Op.EXISTS, False),)]
    assert _clauses("not a=null") == [(Clause("a", Op.EXISTS, True),)]
    assert _clauses("not a=x*") == [(Clause("a", Op.NE, "x*", wildcard=True),)]
    assert _clauses("a.not_in=[1,2]") == [(Clause("a", Op.IN, [1, 2], negated=True),)]
    assert _clauses("not a.in=[1,2]") == _clauses("a.not_in=[1,2]")
    assert _clauses("not not a>1") == [(Clause("a", Op.GT, 1),)]
    assert _clauses("not a>1") == [(Clause("a", Op.GT, 1, negated=True),)]


def test_de_morgan_and_distribution() -> None:
    assert _clauses("not (a=1;b=2)") == [(Clause("a", Op.NE, 1), Clause("b", Op.NE, 2))]
    assert _clauses("not (a=1,b>2)") == [(Clause("a", Op.NE, 1),), (Clause("b", Op.GT, 2, negated=True),)]
    assert len(parse_filter("(a=1;b=2),(a=3;c=4)").groups) == 4  # a key may repeat in an expanded group


def test_not_type_selects_the_other_types_and_type_clauses_intersect() -> None:
    assert parse_filter("not type=file") == Filter((Group((), frozenset({DidType.DATASET, DidType.CONTAINER})),))
    assert parse_filter("type=collection,not type=container").groups[0].types == frozenset({DidType.DATASET})
    assert parse_filter("type=file,(type=dataset;a=1)").groups[0].types == frozenset()  # matches nothing


def test_flat_text_keeps_the_flat_checks() -> None:
    with pytest.raises(InvalidArgument):
        parse_filter("(a=1,b=2),a=1")  # only ANDs: a flat group with a duplicate a.eq


@pytest.mark.parametrize(
    "text",
    ["not = 5", "not.exists=true", "note=1", "nothing>2"],
)
def test_not_is_a_key_where_an_operator_follows(text: str) -> None:
    assert parse_filter(text).groups[0].clauses[0].key in ("not", "note", "nothing")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(a=1", "not closed"),
        ("a=1)", "unmatched ')'"),
        ("()", "empty"),
        ("not (a=1)x", "expected"),
        ("not (a=1;b=2) (c=3)", "expected"),
        ("a=1,not", "no operator"),
    ],
)
def test_malformed_trees_are_invalid_argument(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_filter(text)
    assert message in info.value.field_violations[0].description


def test_parentheses_inside_a_value_are_text() -> None:
    assert parse_filter("label=f(x),b=1").groups[0].clauses[0].value == "f(x)"


def test_wire_tree_round_trip_and_errors() -> None:
    node = parse_filter_tree("not (a=1;b.gt=2),c.not_in=[1]")
    assert node is not None
    wire = filter_pb2.Filter(tree=node_to_wire(node))
    structured = filter_from_wire(wire)
    assert isinstance(structured, RawAnd)
    assert normalize_tree(structured) == parse_filter("not (a=1;b.gt=2),c.not_in=[1]")
    with pytest.raises(InvalidArgument) as info:
        filter_from_wire(filter_pb2.Filter(tree=filter_pb2.FilterNode(any_of=filter_pb2.FilterNodeList())))
    assert info.value.field_violations[0].field == "filter.tree.any_of"
    with pytest.raises(InvalidArgument) as info:
        filter_from_wire(filter_pb2.Filter(expression="a=1", tree=node_to_wire(node)))
    with pytest.raises(InvalidArgument) as info:
        filter_from_wire(filter_pb2.Filter(tree=filter_pb2.FilterNode(negation=filter_pb2.FilterNode())))
    assert info.value.field_violations[0].field == "filter.tree.negation"


def _limit_of(message: filter_pb2.Filter, limits: FilterLimits) -> str:
    with pytest.raises(InvalidArgument) as info:
        parse_limited(message, limits)
    assert info.value.reason == "FILTER_TOO_LARGE"
    return info.value.metadata["limit"]


def test_depth_limit_applies_to_text_and_tree() -> None:
    limits = FilterLimits(max_depth=3)
    deep = "not " * 4 + "a=1"
    assert _limit_of(filter_pb2.Filter(expression=deep), limits) == "max_filter_depth"
    node = parse_filter_tree(deep)
    assert node is not None
    assert _limit_of(filter_pb2.Filter(tree=node_to_wire(node)), limits) == "max_filter_depth"
    assert parse_limited(filter_pb2.Filter(expression="not " * 3 + "a=1"), limits).groups


def test_expansion_is_bounded_by_the_group_and_clause_limits() -> None:
    product = ",".join(f"(k{i}=1;j{i}=2)" for i in range(8))  # 2**8 = 256 groups once expanded
    assert _limit_of(filter_pb2.Filter(expression=product), FilterLimits()) == "max_filter_groups"
    four = ",".join(f"(k{i}=1;j{i}=2)" for i in range(4))  # 16 groups of 4 clauses
    assert _limit_of(filter_pb2.Filter(expression=four), FilterLimits(max_clauses=40)) == "max_filter_clauses"
    assert len(parse_limited(filter_pb2.Filter(expression=four), FilterLimits()).groups) == 16


def test_cli_adds_the_name_pattern_around_a_nested_filter() -> None:
    from didmeta.cli.main import _with_name

    assert _with_name("a=1;b=2", "ds_*") == "a=1,name=ds_*;b=2,name=ds_*"
    assert _with_name("not (a=1;b=2)", "ds_*") == "(not (a=1;b=2)),name=ds_*"
    nested = parse_filter(_with_name("(a=1;b=2),c=3", "ds_*"))
    assert all(any(c.key == "name" for c in group.clauses) for group in nested.groups)
