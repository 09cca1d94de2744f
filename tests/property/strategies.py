"""Hypothesis strategies: any request message of the contract, filter-grammar text, structured filters.

Requests are generated from the protobuf descriptors, so every field of every RPC's request is
covered, new fields included. Values are biased towards what finds bugs: identifiers that exist in
the test catalogue (so writes sometimes succeed), limits of every numeric type, NUL and non-ASCII
text, very long strings, out-of-range timestamps, unknown enum numbers, deep and empty values.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from didmeta.filters import Op, RawAnd, RawClause, RawNode, RawNot, RawOr
from didmeta.filters.model import Quantifier
from didmeta.values import MetaValue

#: Examples per property; CI keeps the default small, DIDMETA_HYPOTHESIS_EXAMPLES asks for more.
EXAMPLES = int(os.environ.get("DIDMETA_HYPOTHESIS_EXAMPLES", "25"))

SCOPES = ["hp", "hq"]
NAMES = ["a", "b", "c", "ds", "f1", "sealed", "sealed.kid"]  # `sealed*`: embargoed in the auth variant
KEYS = [
    "k",
    "colour",
    "run_number",
    "lifetime",
    "bytes",
    "name",
    "type",
    "datatype",
    "created_at",
    "events",
    "note_q",
]

INT64 = st.sampled_from([0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63)]) | st.integers(-(2**63), 2**63 - 1)
UINT64 = st.sampled_from([0, 1, 2**63, 2**64 - 1]) | st.integers(0, 2**64 - 1)
INT32 = st.sampled_from([0, -1, 2**31 - 1, -(2**31)]) | st.integers(-(2**31), 2**31 - 1)
UINT32 = st.integers(0, 2**32 - 1)
DOUBLES = st.sampled_from([0.0, -0.0, 1e300, -1e300, float("inf"), float("nan"), 5e-324]) | st.floats()
TEXT = (
    st.sampled_from(["", "*", "a*", "x\x00y", "é", "a b", '"q"', "[1]", "a,b;c", "5", "true", "2024-01-01", "k.in=[1]"])
    | st.text(max_size=20)
    | st.builds(lambda n: "n" * n, st.sampled_from([251, 10_000]))
)


def _scalar(field: FieldDescriptor) -> SearchStrategy[Any]:
    name = field.name
    t = field.type
    if t == FieldDescriptor.TYPE_STRING:
        if name in ("scope", "pattern"):
            return st.sampled_from([*SCOPES, "*", "h*"]) | TEXT
        if name == "name":
            return st.sampled_from(NAMES) | TEXT
        if name in ("keys", "metadata_keys", "key"):
            return st.sampled_from(KEYS) | TEXT
        if name == "plugin":
            return st.sampled_from(["", "ALL", "JSON", "DID_COLUMN"]) | TEXT
        if name == "expression":
            return filter_text() | TEXT
        return TEXT
    if t == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=20)
    if t == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return DOUBLES
    if t == FieldDescriptor.TYPE_ENUM:
        known = [v.number for v in field.enum_type.values] if field.enum_type is not None else [0]
        return st.sampled_from(known) | st.integers(-5, 100)
    if t in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64):
        return INT64
    if t in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return UINT64
    if t in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return UINT32
    return INT32


def _fill(draw: DrawFn, message: Message, depth: int) -> None:
    descriptor: Any = message.DESCRIPTOR
    oneofs_done: set[str] = set()
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None:
            if oneof.name in oneofs_done or not draw(st.booleans()):
                continue
            oneofs_done.add(oneof.name)
        elif not draw(st.booleans()):
            continue
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            value_field = entry.fields_by_name["value"]
            target = getattr(message, field.name)
            for key in draw(st.lists(st.sampled_from(KEYS) | TEXT, max_size=3)):
                if value_field.message_type is not None:
                    if depth < 4:
                        _fill(draw, target[key], depth + 1)
                else:
                    target[key] = draw(_scalar(value_field))
            continue
        repeated = field.is_repeated
        if field.message_type is not None:
            if depth >= 4 and field.message_type.full_name in ("didmeta.v1.Value", "didmeta.v1.ListValue"):
                continue
            if repeated:
                container = getattr(message, field.name)
                for _ in range(draw(st.integers(0, 3))):
                    _fill(draw, container.add(), depth + 1)
            else:
                child = getattr(message, field.name)
                child.SetInParent()
                _fill(draw, child, depth + 1)
            continue
        if repeated:
            getattr(message, field.name).extend(draw(st.lists(_scalar(field), max_size=3)))
        else:
            setattr(message, field.name, draw(_scalar(field)))


@st.composite
def messages(draw: DrawFn, message_class: type[Message]) -> Message:
    """Any instance of a request message class, filled field by field from its descriptor."""
    message = message_class()
    _fill(draw, message, 0)
    return message


# --- the string filter grammar -------------------------------------------------------------------------
_OPS = ["=", "==", "!=", "<", "<=", ">", ">="]
_SUFFIXES = [op.value for op in Op] + ["bogus"]
_VALUES = st.sampled_from(
    [
        "5",
        "-5",
        "5.0",
        "1e-3",
        "true",
        "null",
        "abc",
        "a*",
        "*",
        '"x,y"',
        "2024-01-01",
        "[1,2]",
        "[a,*]",
        "[]",
        "",
        "classified-7731",
        "classified*",
    ]
) | st.text(alphabet='ab*[]",;=<>!. 01', max_size=8)


@st.composite
def _clause_text(draw: DrawFn) -> str:
    key = draw(st.sampled_from(KEYS) | st.text(alphabet="ab_.-", max_size=5))
    form = draw(st.integers(0, 2))
    if form == 0:
        return f"{key}{draw(st.sampled_from(_OPS))}{draw(_VALUES)}"
    if form == 1:
        return f"{key}.{draw(st.sampled_from(_SUFFIXES))}={draw(_VALUES)}"
    low, high = draw(_VALUES), draw(_VALUES)
    first, second = draw(st.sampled_from(_OPS)), draw(st.sampled_from(_OPS))
    return f"{low}{first}{key}{second}{high}"


def filter_text() -> SearchStrategy[str]:
    """Text in (and near) the filter grammar: groups of clauses in every form, with odd values."""
    group = st.lists(_clause_text(), min_size=0, max_size=3).map(",".join)
    return st.lists(group, min_size=0, max_size=3).map(";".join)


# --- structured filters for the printer round trip ---------------------------------------------------------
_TIMESTAMPS = st.datetimes(timezones=st.just(UTC))
_SCALARS: SearchStrategy[MetaValue] = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["a*", "*", "5", "true", "null", "2024-01-01", "a,b", " x", "dataset", "file", "all"])
    | _TIMESTAMPS
)
_FILTER_KEYS = st.sampled_from(
    ["k", "colour", "k2", "run_number", "datatype"] * 6 + ["created_at", "bytes", "name", "type", "created_after"]
)


_ORDERED = st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)


def _value_for(op: Op) -> SearchStrategy[MetaValue]:
    """Values of the type each operator takes, mostly (some invalid ones stay, to test refusals)."""
    if op is Op.EXISTS:
        return st.booleans()
    if op is Op.IN:
        return st.lists(_SCALARS.filter(lambda v: v is not None), min_size=1, max_size=4)
    if op is Op.PREFIX:
        return st.text(max_size=8)
    if op.is_ordering:
        return (_ORDERED | _TIMESTAMPS).filter(lambda v: not (isinstance(v, str) and "*" in v))
    return _SCALARS


@st.composite
def structured_groups(draw: DrawFn) -> list[list[RawClause]]:
    """Structured filters as the wire gives them (raw clauses, `literal` false)."""
    groups: list[list[RawClause]] = []
    for _ in range(draw(st.integers(0, 3))):
        clauses = []
        signatures = draw(
            st.lists(st.tuples(_FILTER_KEYS, st.sampled_from(list(Op))), min_size=1, max_size=3, unique=True)
        )
        for key, op in signatures:
            value = draw(_value_for(op))
            clauses.append(RawClause(key, op, value, False, f"{key}.{op.value}"))
        groups.append(clauses)
    return groups


_QUANTIFIED_OPS = [Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE]


@st.composite
def _tree_clause(draw: DrawFn) -> RawClause:
    key = draw(_FILTER_KEYS)
    quantifier = draw(st.sampled_from([None, None, None, *Quantifier]))
    if quantifier is None:
        op = draw(st.sampled_from(list(Op)))
        return RawClause(key, op, draw(_value_for(op)), False, f"{key}.{op.value}")
    op = draw(st.sampled_from(_QUANTIFIED_OPS))
    value = draw(st.integers(-5, 5) if quantifier is Quantifier.LEN else _value_for(op))
    return RawClause(key, op, value, False, f"{key}.{quantifier.value}.{op.value}", quantifier)


def structured_tree() -> SearchStrategy[RawNode]:
    """Boolean trees as the wire `tree` gives them: and/or/not over raw clauses (`literal` false).

    Trees come in the shape the parser gives back: no AND directly under an AND, no OR under an OR,
    at least two operands to each.
    """

    def extend(children: SearchStrategy[RawNode]) -> SearchStrategy[RawNode]:
        operands = st.lists(children, min_size=2, max_size=3)
        return (
            children.map(RawNot)
            | operands.map(lambda items: RawAnd(_flatten(items, RawAnd)))
            | operands.map(lambda items: RawOr(_flatten(items, RawOr)))
        )

    return st.recursive(_tree_clause(), extend, max_leaves=8)


def _flatten(items: list[RawNode], kind: type[RawAnd] | type[RawOr]) -> tuple[RawNode, ...]:
    return tuple(p for item in items for p in (item.children if isinstance(item, kind) else (item,)))


# --- stored metadata values (the typed Value of every kind, at the edges of each type) -----------------
STORED_INTEGERS = st.sampled_from([0, -1, 2**53, 2**53 + 1, 2**62 + 1, 2**63 - 1, -(2**63)]) | st.integers(
    -(2**63), 2**63 - 1
)
STORED_DOUBLES = st.sampled_from([0.0, -0.0, 0.5, 5e-324, 1e-7, 1e16, 1.5e300, -1e300]) | st.floats(
    allow_nan=False, allow_infinity=False
)
STORED_TEXTS = st.sampled_from(['"', "\\", "a,b\nc\r", "NULL", "", "é ☃ 𝄞", "'q'", "{}", "[1]", "5", "true"]) | st.text(
    st.characters(blacklist_characters="\x00"), max_size=12
)
STORED_TIMESTAMPS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)).map(
    lambda t: t.replace(tzinfo=UTC)
)
STORED_SCALARS = st.one_of(STORED_INTEGERS, STORED_DOUBLES, STORED_TEXTS, st.booleans(), STORED_TIMESTAMPS)
STORED_VALUES = st.one_of(
    STORED_SCALARS,
    st.lists(STORED_SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["b", "a", "aa"]), STORED_SCALARS),
)


def _value_column(values: SearchStrategy[Any]) -> SearchStrategy[list[Any]]:
    return st.lists(st.none() | values, min_size=1, max_size=6)


#: One key's values over a few DIDs (None: the key is not set): of one type (what the Arrow kernels type as a
#: whole), ints and doubles, lists of numbers, or anything.
VALUE_COLUMNS = st.one_of(
    *(
        _value_column(s)
        for s in (
            STORED_INTEGERS,
            STORED_DOUBLES,
            STORED_INTEGERS | STORED_DOUBLES,
            STORED_TEXTS,
            st.booleans(),
            STORED_TIMESTAMPS,
        )
    ),
    _value_column(st.lists(STORED_INTEGERS | STORED_DOUBLES, max_size=3)),
    _value_column(STORED_VALUES),
)
