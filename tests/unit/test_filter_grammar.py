"""Spec §4.2 (string grammar) and the syntactic parts of §4.3, through `didmeta.filters.parse_filter`.

Each expectation is written from the spec: the normalised form a plugin sees (`Filter` of `Group`s
of `Clause`s), or INVALID_ARGUMENT whose message names the offending clause.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from didmeta.errors import InvalidArgument
from didmeta.filters import Clause, Filter, Op, normalize_groups, parse_filter
from didmeta.identifiers import DidType
from didmeta.v1 import filter_pb2
from didmeta.wire import filter_from_wire, filter_to_wire

C, D, F = DidType.CONTAINER, DidType.DATASET, DidType.FILE


def clauses(text: str) -> list[list[tuple[str, Op, object]]]:
    """The groups of a filter as (key, op, value) triples."""
    return [[(c.key, c.op, c.value) for c in g.clauses] for g in parse_filter(text).groups]


def only_clause(text: str) -> Clause:
    groups = parse_filter(text).groups
    assert len(groups) == 1 and len(groups[0].clauses) == 1, groups
    return groups[0].clauses[0]


def refused(text: str) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as info:
        parse_filter(text)
    return info.value


def assert_names_clause(error: InvalidArgument, clause: str) -> None:
    assert clause in error.message, error.message
    assert error.field_violations, "a BadRequest field violation is expected"
    assert error.field_violations[0].field == "filter"
    assert clause in error.field_violations[0].description


# --- separators -------------------------------------------------------------------------------------------
def test_semicolon_separates_or_groups() -> None:
    assert clauses("a=1;b=2") == [[("a", Op.EQ, 1)], [("b", Op.EQ, 2)]]


def test_comma_separates_and_clauses() -> None:
    assert clauses("a=1,b=2") == [[("a", Op.EQ, 1), ("b", Op.EQ, 2)]]


def test_surrounding_whitespace_is_trimmed() -> None:
    assert clauses("  a = 1 ,  b=2 ;  c =x  ") == [[("a", Op.EQ, 1), ("b", Op.EQ, 2)], [("c", Op.EQ, "x")]]


@pytest.mark.parametrize("text", ["", "   ", ";", " ; ; ", ",", ";,;"])
def test_empty_filters_match_everything(text: str) -> None:
    assert parse_filter(text) == Filter(())


def test_empty_groups_and_clauses_are_dropped() -> None:
    assert clauses(";;a=x;;;b=y,,c=z;") == [[("a", Op.EQ, "x")], [("b", Op.EQ, "y"), ("c", Op.EQ, "z")]]


# --- operators ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("run<=5", Op.LTE),
        ("run>=5", Op.GTE),
        ("run==5", Op.EQ),
        ("run!=5", Op.NE),
        ("run>5", Op.GT),
        ("run<5", Op.LT),
        ("run=5", Op.EQ),
    ],
)
def test_every_symbolic_operator(text: str, op: Op) -> None:
    assert clauses(text) == [[("run", op, 5)]]


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("run.eq=5", Op.EQ),
        ("run.ne=5", Op.NE),
        ("run.lt=5", Op.LT),
        ("run.lte=5", Op.LTE),
        ("run.gt=5", Op.GT),
        ("run.gte=5", Op.GTE),
        ("run.GTE=5", Op.GTE),
    ],
)
def test_operator_as_key_suffix(text: str, op: Op) -> None:
    assert clauses(text) == [[("run", op, 5)]]


def test_suffix_form_on_a_string_key() -> None:
    assert clauses("project.ne=x") == [[("project", Op.NE, "x")]]


def test_better_operators_in_suffix_form() -> None:
    assert clauses("tags.contains=x") == [[("tags", Op.CONTAINS, "x")]]
    assert clauses("stream.prefix=phys") == [[("stream", Op.PREFIX, "phys")]]
    assert clauses("run.in=[1,2,x]") == [[("run", Op.IN, [1, 2, "x"])]]
    assert clauses("run.exists=true") == [[("run", Op.EXISTS, True)]]
    assert clauses("run.exists=false") == [[("run", Op.EXISTS, False)]]


@pytest.mark.parametrize("text", ["a.foo=1", "a.b.gte=1", ".gte=1"])
def test_unknown_or_misplaced_suffix_is_refused(text: str) -> None:
    assert_names_clause(refused(text), text)


def test_suffix_with_a_symbolic_operator_other_than_eq_is_refused() -> None:
    assert_names_clause(refused("a.gte>5"), "a.gte>5")


# --- compound ranges ----------------------------------------------------------------------------------------
def test_compound_range_lower_direction() -> None:
    assert clauses("1 < run <= 10") == [[("run", Op.GT, 1), ("run", Op.LTE, 10)]]


def test_compound_range_upper_direction() -> None:
    assert clauses("10 > run >= 1") == [[("run", Op.LT, 10), ("run", Op.GTE, 1)]]


def test_compound_range_inclusive_both_ends() -> None:
    assert clauses("1<=run<=10") == [[("run", Op.GTE, 1), ("run", Op.LTE, 10)]]


@pytest.mark.parametrize("text", ["1 < run > 10", "1 <= run >= 2", "10 > run < 1", "1 = run < 5", "1 != run < 5"])
def test_compound_range_with_mixed_directions_is_refused(text: str) -> None:
    assert_names_clause(refused(text), text)


def test_compound_range_with_a_suffix_is_refused() -> None:
    assert_names_clause(refused("1 < run.gte < 5"), "1 < run.gte < 5")


# --- created_after / created_before --------------------------------------------------------------------------
def test_created_after_means_created_at_gte() -> None:
    assert clauses("created_after=2024-01-01") == [[("created_at", Op.GTE, datetime(2024, 1, 1, tzinfo=UTC))]]


def test_created_before_means_created_at_lte() -> None:
    assert clauses("created_before=2024-01-02T03:04:05Z") == [
        [("created_at", Op.LTE, datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))]
    ]


def test_created_after_and_before_together_make_a_range() -> None:
    assert clauses("created_after=2023-01-01,created_before=2024-01-01") == [
        [
            ("created_at", Op.GTE, datetime(2023, 1, 1, tzinfo=UTC)),
            ("created_at", Op.LTE, datetime(2024, 1, 1, tzinfo=UTC)),
        ]
    ]


def test_created_after_with_another_operator_is_refused() -> None:
    assert_names_clause(refused("created_after>2024-01-01"), "created_after>2024-01-01")


def test_created_after_with_an_unparseable_date_is_refused() -> None:
    assert_names_clause(refused("created_after=yesterday"), "created_after=yesterday")


def test_created_after_duplicating_created_at_gte_is_refused() -> None:
    # Both mean created_at.gte: a duplicate key+operator in one group.
    error = refused("created_after=2024-01-01,created_at.gte=2024-02-01")
    assert "created_at" in error.message


# --- type per group --------------------------------------------------------------------------------------------
def test_type_selects_the_types_of_its_group_only() -> None:
    result = parse_filter("type=dataset,run=1;type=FILE")
    assert [g.types for g in result.groups] == [frozenset({D}), frozenset({F})]
    assert [[(c.key, c.op, c.value) for c in g.clauses] for g in result.groups] == [[("run", Op.EQ, 1)], []]


def test_group_without_type_uses_the_request_selector() -> None:
    result = parse_filter("type=container;run=1")
    assert result.groups[0].types == frozenset({C})
    assert result.groups[1].types is None


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("type=all", {C, D, F}),
        ("type=ALL", {C, D, F}),
        ("type=collection", {C, D}),
        ("type=Container", {C}),
        ("type=dataset", {D}),
        ("type=file", {F}),
        ("TYPE=file", {F}),
    ],
)
def test_type_selectors_any_case(text: str, types: set[DidType]) -> None:
    assert parse_filter(text).groups[0].types == frozenset(types)


@pytest.mark.parametrize("text", ["type!=dataset", "type>dataset", "type.ne=file", "type.in=[file]"])
def test_operator_on_type_other_than_eq_is_refused(text: str) -> None:
    assert_names_clause(refused(text), text)


def test_unknown_type_is_refused_naming_the_clause() -> None:
    assert_names_clause(refused("run=1,type=bogus"), "type=bogus")


def test_type_twice_in_a_group_is_refused() -> None:
    assert_names_clause(refused("type=all,type=file"), "type=file")


# --- double quotes ---------------------------------------------------------------------------------------------
def test_double_quotes_protect_separators_and_spaces() -> None:
    assert clauses('a="x,y;z=w q"') == [[("a", Op.EQ, "x,y;z=w q")]]


def test_double_quotes_protect_operator_characters() -> None:
    assert clauses('a="x<y>=z!"') == [[("a", Op.EQ, "x<y>=z!")]]


def test_double_quotes_keep_surrounding_spaces_inside() -> None:
    assert clauses('a=" spaced "') == [[("a", Op.EQ, " spaced ")]]


def test_double_quoted_value_is_a_literal_string() -> None:
    assert clauses('a="5"') == [[("a", Op.EQ, "5")]]
    assert clauses('a="true"') == [[("a", Op.EQ, "true")]]
    assert clauses('a="null"') == [[("a", Op.EQ, "null")]]


def test_double_quoted_star_is_not_a_wildcard() -> None:
    clause = only_clause('a="x*"')
    assert (clause.op, clause.value, clause.wildcard) == (Op.EQ, "x*", False)
    clause = only_clause('a="*"')
    assert (clause.op, clause.value, clause.wildcard) == (Op.EQ, "*", False)


def test_unterminated_double_quote_is_refused() -> None:
    error = refused('a="open')
    assert 'a="open' in error.message


# --- value typing in filters (same rule as values, spec §2) -------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a=5", 5),
        ("a=-5", -5),
        ("a=1e-3", 0.001),
        ("a=TRUE", True),
        ("a=007", "007"),
        ("a=untrue", "untrue"),
        ("a=2024-01-02", datetime(2024, 1, 2, tzinfo=UTC)),
    ],
)
def test_values_are_typed_by_the_shared_rule(text: str, value: object) -> None:
    clause = only_clause(text)
    assert clause.value == value
    assert type(clause.value) is type(value)


# --- wildcards, presence and null ----------------------------------------------------------------------------
def test_star_in_a_string_value_is_a_wildcard_with_eq_and_ne() -> None:
    eq = only_clause("a=mc*")
    assert (eq.op, eq.value, eq.wildcard) == (Op.EQ, "mc*", True)
    ne = only_clause("a!=mc*")
    assert (ne.op, ne.value, ne.wildcard) == (Op.NE, "mc*", True)


def test_value_without_star_is_not_a_wildcard() -> None:
    assert only_clause("a=mc_%?").wildcard is False


@pytest.mark.parametrize(("text", "present"), [("a=*", True), ("a==*", True), ("a!=*", False), ("a=**", True)])
def test_star_alone_means_presence(text: str, present: bool) -> None:
    clause = only_clause(text)
    assert (clause.key, clause.op, clause.value) == ("a", Op.EXISTS, present)


@pytest.mark.parametrize(
    ("text", "present"), [("a=null", False), ("a=None", False), ("a=NULL", False), ("a!=null", True), ("a!=none", True)]
)
def test_null_means_presence(text: str, present: bool) -> None:
    clause = only_clause(text)
    assert (clause.key, clause.op, clause.value) == ("a", Op.EXISTS, present)


@pytest.mark.parametrize("text", ["a>*", "a<x*", "a.gte=x*", "a.lte=*", "a.contains=x*", "a.prefix=x*", "1 < a <= x*"])
def test_wildcard_with_an_ordering_or_other_operator_is_refused(text: str) -> None:
    assert_names_clause(refused(text), text)


def test_wildcard_inside_an_in_list_is_refused() -> None:
    assert_names_clause(refused("a.in=[x*,y]"), "a.in=[x*,y]")


def test_quoted_star_inside_an_in_list_is_a_literal() -> None:
    assert clauses('a.in=["x*",y]') == [[("a", Op.IN, ["x*", "y"])]]


@pytest.mark.parametrize("text", ["a>null", "a<none", "a.gte=null", "a<=None", "1 < a < null"])
def test_null_with_an_ordering_operator_is_refused(text: str) -> None:
    assert_names_clause(refused(text), text)


def test_name_wildcards() -> None:
    clause = only_clause("name=data*")
    assert (clause.key, clause.op, clause.value, clause.wildcard) == ("name", Op.EQ, "data*", True)
    assert parse_filter("name=*").groups[0].clauses == ()


def test_name_with_an_ordering_operator_is_refused() -> None:
    assert_names_clause(refused("name>abc"), "name>abc")


# --- malformed clauses (spec §4.2 list) ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("a=b=c", "a=b=c"),
        ("a<b<c<d", "a<b<c<d"),
        ("run=1,a=b=c", "a=b=c"),
        ("x=1;a<b<c<d", "a<b<c<d"),
        ("a", "a"),
        ("=5", "=5"),
        ("a=", "a="),
        ("a b=1", "a b=1"),
        ("a$=1", "a$=1"),
    ],
)
def test_malformed_clauses_are_refused_naming_the_clause(text: str, clause: str) -> None:
    error = refused(text)
    assert error.reason == "INVALID_FILTER"
    assert_names_clause(error, clause)


@pytest.mark.parametrize(
    ("text", "clause"),
    [("a=1,a=2", "a=2"), ("run>1,run>5", "run>5"), ("1<run<5,run>2", "run>2"), ("a.ne=1,a!=2", "a!=2")],
)
def test_duplicate_key_and_operator_in_one_group_is_refused(text: str, clause: str) -> None:
    assert_names_clause(refused(text), clause)


def test_same_key_and_operator_in_different_groups_is_fine() -> None:
    assert clauses("a=1;a=2") == [[("a", Op.EQ, 1)], [("a", Op.EQ, 2)]]


def test_same_key_with_different_operators_is_fine() -> None:
    assert clauses("run>1,run<5") == [[("run", Op.GT, 1), ("run", Op.LT, 5)]]


@pytest.mark.parametrize("text", ["length=abc", "length=1.5", "length>=x", "length=true", "bytes<1e3"])
def test_non_integer_length_is_refused(text: str) -> None:
    assert_names_clause(refused(text), text)


def test_integer_length_is_accepted() -> None:
    assert clauses("length>=5") == [[("length", Op.GTE, 5)]]


@pytest.mark.parametrize("text", ["created_at>yesterday", "created_at=2024-13-01", "created_at<=12", "eol_at>soon"])
def test_unparseable_created_at_is_refused(text: str) -> None:
    assert_names_clause(refused(text), text)


def test_created_at_takes_a_date() -> None:
    assert clauses("created_at>2024-01-01") == [[("created_at", Op.GT, datetime(2024, 1, 1, tzinfo=UTC))]]


def test_exists_needs_a_bool_and_in_a_non_empty_list() -> None:
    assert_names_clause(refused("a.exists=5"), "a.exists=5")
    assert_names_clause(refused("a.in=[]"), "a.in=[]")
    assert_names_clause(refused("a.prefix=5"), "a.prefix=5")


def test_ordering_on_a_bool_is_refused() -> None:
    assert_names_clause(refused("a>true"), "a>true")


# --- the structured wire form reaches the same model ---------------------------------------------------------
def test_structured_and_string_forms_normalise_alike() -> None:
    wire = filter_to_wire([[("run", Op.GTE, 5), ("campaign", Op.EQ, "mc*")], [("a", Op.EQ, None)]])
    structured = filter_from_wire(wire)
    assert isinstance(structured, list)
    assert normalize_groups(structured) == parse_filter("run.gte=5,campaign=mc*;a=null")


def test_wire_filter_with_both_groups_and_expression_is_refused() -> None:
    wire = filter_to_wire([[("run", Op.EQ, 1)]])
    wire.expression = "run=1"
    with pytest.raises(InvalidArgument):
        filter_from_wire(wire)


def test_wire_clause_without_operator_is_refused() -> None:
    wire = filter_pb2.Filter()
    clause = wire.groups.add().clauses.add(key="run")
    clause.value.int_value = 1
    with pytest.raises(InvalidArgument) as info:
        filter_from_wire(wire)
    assert "operator" in info.value.field_violations[0].field


def test_wire_clause_errors_name_the_clause() -> None:
    wire = filter_to_wire([[("run", Op.GT, "x*")]])
    with pytest.raises(InvalidArgument) as info:
        normalize_groups(filter_from_wire(wire))  # type: ignore[arg-type]
    assert "run" in info.value.message


# --- issue 10: aliases, write-only keys, clear messages for malformed clauses ---------------------------------
@pytest.mark.parametrize(
    ("text", "types"),
    [("did_type=DATASET", {D}), ("did_type=all", {C, D, F}), ("DID_TYPE=file", {F}), ("did_type=collection", {C, D})],
)
def test_did_type_is_an_alias_of_type(text: str, types: set[DidType]) -> None:
    (group,) = parse_filter(text).groups
    assert group.types == frozenset(types) and group.clauses == ()


def test_type_and_did_type_in_one_group_is_type_given_twice() -> None:
    assert "twice" in refused("type=FILE,did_type=DATASET").message


@pytest.mark.parametrize("text", ["lifetime>5", "lifetime=100", "lifetime.exists=true", "lifetime=null"])
def test_lifetime_in_a_filter_is_refused_naming_expired_at(text: str) -> None:
    error = refused(text)
    assert_names_clause(error, text)
    assert "expired_at" in error.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("run_number=>5", "'=>' is not an operator"),
        ("run_number=<5", "'=<' is not an operator"),
        ("project=a=b", 'double-quote it (project="a=b")'),
        ("project!=a=b", 'double-quote it (project!="a=b")'),
        ("1<run_number>5", "compound range"),
    ],
)
def test_a_clause_of_two_operators_says_what_is_wrong_with_it(text: str, says: str) -> None:
    error = refused(text)
    assert_names_clause(error, text)
    assert says in error.message, error.message
    if "compound" not in says:
        assert "compound range" not in error.message


def test_quoting_the_value_as_advised_works() -> None:
    assert clauses('project="a=b"') == [[("project", Op.EQ, "a=b")]]


@pytest.mark.parametrize("key", ["events", "length", "bytes", "created_at", "md5", "is_open"])
def test_exists_on_an_intrinsic_attribute_takes_a_bool(key: str) -> None:
    assert only_clause(f"{key}.exists=false") == Clause(key, Op.EXISTS, False)
    assert_names_clause(refused(f"{key}.exists=5"), f"{key}.exists=5")


def test_in_on_an_intrinsic_attribute_coerces_each_item() -> None:
    assert only_clause("length.in=[0,1]") == Clause("length", Op.IN, [0, 1])
    assert only_clause("created_at.in=[2024-01-01]") == Clause("created_at", Op.IN, [datetime(2024, 1, 1, tzinfo=UTC)])
    assert_names_clause(refused("bytes.in=[1,x]"), "bytes.in=[1,x]")


# --- Rucio's RFC-1123 date: a --value form; in a filter string only double-quoted (docs/filters.md) ------------
RFC_1123 = "Mon, 01 Jan 2024 10:00:00 UTC"


def test_rfc_1123_date_is_a_timestamp_as_a_value() -> None:
    from didmeta.values import parse_text_value

    assert parse_text_value(RFC_1123) == datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_rfc_1123_date_unquoted_in_a_filter_is_split_at_its_comma_and_refused() -> None:
    error = refused(f"created_at>={RFC_1123}")
    assert "01 Jan 2024 10:00:00 UTC" in error.message and "no operator" in error.message


def test_rfc_1123_date_double_quoted_is_a_date_for_a_date_attribute() -> None:
    assert only_clause(f'created_at>="{RFC_1123}"') == Clause(
        "created_at", Op.GTE, datetime(2024, 1, 1, 10, tzinfo=UTC)
    )


def test_rfc_1123_date_double_quoted_is_a_string_for_another_key() -> None:
    assert only_clause(f'taken="{RFC_1123}"') == Clause("taken", Op.EQ, RFC_1123)
