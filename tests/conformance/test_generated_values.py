"""Generated values on every plugin (hypothesis): what SetMetadataBulk stores, GetMetadata and an ARROW listing
give back, the same on every backend; and structured filters over those values answer as the reference
evaluator (`oracle.py`) does.

The values are tests/property/strategies.py `VALUE_COLUMNS`: each type at its edges (integers near 2^53
and the int64 bounds, doubles from 5e-324 to 1e300 and -0.0, text with quotes, backslashes, line breaks and
non-ASCII, booleans, timestamps of years 1 to 9999), lists, objects, mixed types and absent keys, over a few
DIDs of a fresh scope. A backend that gave back a value of another type, or another value, fails here.
The filters compare the key with values taken from what was stored (list items included) or drawn afresh,
through every comparison operator, `prefix`, `contains` and `in`, as structured clauses (typed values, no
text escaping), with and without ignore_case.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from didmeta.client import NewDid
from didmeta.errors import InvalidArgument
from didmeta.filters.model import Op
from didmeta.filters.normalize import normalize_groups
from didmeta.identifiers import TYPE_SELECTORS, DidType
from didmeta.values import Metadata, MetaValue, check_value
from didmeta.wire import filter_from_wire, filter_to_wire
from tests.conformance.conftest import Conformance
from tests.conformance.oracle import Record, evaluate
from tests.property.arrow_values import cell, stored_text
from tests.property.strategies import EXAMPLES, STORED_SCALARS, VALUE_COLUMNS

_scopes = itertools.count()


def _stored_scope(conformance: Conformance, values: list[MetaValue | None]) -> tuple[str, list[Record]]:
    """A fresh scope of DIDs d0, d1, ... whose key `v` holds the values (None: not set), and their records."""
    scope = f"gv{next(_scopes)}"
    dids = [f"{scope}:d{n}" for n in range(len(values))]
    with conformance.client() as client:
        client.add_scope(scope)
        client.add_dids([NewDid(did, "dataset") for did in dids])
        items: list[tuple[str, Metadata]] = [
            (did, {"v": v}) for did, v in zip(dids, values, strict=True) if v is not None
        ]
        if items:  # one write (a search backend waits for its refresh once)
            client.set_metadata_bulk(items)
    records = [
        Record(scope, f"d{n}", DidType.DATASET, {} if v is None else {"v": check_value(v, "v")})
        for n, v in enumerate(values)
    ]
    return scope, records


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=VALUE_COLUMNS)
def test_generated_values_round_trip(conformance: Conformance, values: list[MetaValue | None]) -> None:
    scope, _ = _stored_scope(conformance, values)
    dids = [f"{scope}:d{n}" for n in range(len(values))]
    with conformance.client() as client:
        got = [client.get_metadata(did, "ALL").get("v") for did in dids]
        table = client.list_dids_table(scope, "", type="all", metadata_keys=["v"])
    expected = [None if v is None else check_value(v, "v") for v in values]  # as stored: -0.0 as 0.0
    assert [stored_text(v) for v in got] == [stored_text(v) for v in expected]
    by_name = dict(zip([d.split(":")[1] for d in dids], got, strict=True))
    field = table.schema.field("v")
    expected_cells = [cell(by_name[n], field) for n in table.column("name").to_pylist()]
    assert table.column("v").to_pylist() == expected_cells


OPERATORS = [Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE, Op.PREFIX, Op.CONTAINS, Op.IN]


@st.composite
def _filters(draw: st.DrawFn, values: list[MetaValue | None]) -> list[list[tuple[str, Op, MetaValue]]]:
    """One or two groups of one or two clauses on `v`, each compared with a stored value (or a list item
    of one) or a fresh one."""
    stored = [i for v in values if v is not None for i in (v if isinstance(v, list) else [v])]
    operand = (st.sampled_from(stored) | STORED_SCALARS) if stored else STORED_SCALARS

    def clause(op: Op) -> tuple[str, Op, MetaValue]:
        value = draw(st.lists(operand, min_size=1, max_size=3)) if op is Op.IN else draw(operand)
        return ("v", op, value)

    groups = draw(st.lists(st.lists(st.sampled_from(OPERATORS), min_size=1, max_size=2), min_size=1, max_size=2))
    return [[clause(op) for op in group] for group in groups]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), values=VALUE_COLUMNS, ignore_case=st.booleans())
def test_generated_values_filter_as_the_oracle(
    conformance: Conformance, data: st.DataObject, values: list[MetaValue | None], ignore_case: bool
) -> None:
    scope, records = _stored_scope(conformance, values)
    groups = data.draw(_filters(values))
    with conformance.client() as client:
        try:
            wanted = normalize_groups(filter_from_wire(filter_to_wire(groups)))  # type: ignore[arg-type]
        except InvalidArgument:
            with pytest.raises(InvalidArgument):
                list(client.list_dids(scope, groups, type="all", ignore_case=ignore_case))
            return
        expected = evaluate(records, wanted, TYPE_SELECTORS["all"], ignore_case)
        assert list(client.list_dids(scope, groups, type="all", ignore_case=ignore_case)) == expected
