"""Generated values through both ARROW paths on both databases: the columnar batch equals the row-built one.

Hypothesis draws the values of two JSON keys over a few DIDs, sometimes of one type (the cases the compute
kernels type as a whole: integers near 2^53 and the int64 bounds, doubles from 5e-324 to 1e300 and -0.0,
text with quotes, backslashes, line breaks and non-ASCII, booleans, timestamps of years 1 to 9999), sometimes
mixed, in lists or objects, or absent. Each example is written to a fresh scope of a real SQLite file and a
real PostgreSQL database and listed both ways (query/sqlite_columns.py and ADBC against query/arrow.py
`record_batch`); the columns, their types and their JSON-fallback markers must be equal, and each value must
be what GetMetadata returns (as docs/arrow.md renders it in a column of that type).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query import arrow
from didmeta.server.query.arrow_metadata import metadata_columns
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.values import MetaValue, check_value, dump_json, to_json
from tests.property.strategies import EXAMPLES

INTEGERS = st.sampled_from([0, -1, 2**53, 2**53 + 1, 2**62 + 1, 2**63 - 1, -(2**63)]) | st.integers(-(2**63), 2**63 - 1)
DOUBLES = st.sampled_from([0.0, -0.0, 0.5, 5e-324, 1e-7, 1e16, 1.5e300, -1e300]) | st.floats(
    allow_nan=False, allow_infinity=False
)
TEXTS = st.sampled_from(['"', "\\", "a,b\nc\r", "NULL", "", "é ☃ 𝄞", "'q'", "{}", "[1]", "5", "true"]) | st.text(
    st.characters(blacklist_characters="\x00"), max_size=12
)
TIMESTAMPS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)).map(
    lambda t: t.replace(tzinfo=UTC)
) | st.sampled_from([datetime(1970, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)])
SCALARS = st.one_of(INTEGERS, DOUBLES, TEXTS, st.booleans(), TIMESTAMPS)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.sampled_from(["a", "b"]), SCALARS))


def _column(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.none() | values, min_size=1, max_size=6)


#: One key's values over the DIDs of an example: of one type (typed by the kernels) or anything.
COLUMNS = st.one_of(
    *(_column(s) for s in (INTEGERS, DOUBLES, INTEGERS | DOUBLES, TEXTS, st.booleans(), TIMESTAMPS)),
    _column(st.lists(INTEGERS | DOUBLES, max_size=3)),
    _column(VALUES),
)
_scopes = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dispatcher(request: pytest.FixtureRequest, make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    store = Store(make_catalogue_url(request.param))
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": ["DID_COLUMN", "JSON"]}), store)
    dispatcher.start()
    yield dispatcher
    dispatcher.close()


def _batches(dispatcher: Dispatcher, scope: str, keys: list[str]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """(columnar, row-built) batch of the whole scope in one batch."""
    query = ListQuery(scope, parse_filter(""), TYPE_SELECTORS["all"])
    source = arrow.ArrowSource(dispatcher, query, after=None, limit=None, metadata_keys=keys)
    try:
        assert source.columnar is not None, "a pure-SQL listing is fetched as columns"
        columnar = source.next_batch(100)
    finally:
        source.close()
    stream = dispatcher.open_listing(query, long=True, after=None, limit=None, wide=True)
    try:
        rows = stream.fetch(100)
    finally:
        stream.close()
    return columnar, arrow.record_batch(rows, keys, functools.partial(metadata_columns, dispatcher))


def _stored(value: MetaValue) -> str:
    """A value's storage text (values.py), which tells apart what `==` does not (1 and 1.0, True and 1); an
    object's keys sorted (PostgreSQL's jsonb keeps its own order)."""
    return json.dumps(to_json(value), sort_keys=True)


def _cell(value: MetaValue, field: pa.Field) -> Any:
    """A GetMetadata value as a column of `field`'s type renders it (docs/arrow.md)."""
    if value is None:
        return None
    json = field.metadata == arrow.JSON_FALLBACK
    if isinstance(value, list) and pa.types.is_list(field.type):
        if json:
            return [None if i is None else dump_json(to_json(i)) for i in value]
        return [float(i) if field.type.value_type == pa.float64() else i for i in value]  # type: ignore[arg-type]
    if json:
        return dump_json(to_json(value))
    return float(value) if field.type == pa.float64() else value  # type: ignore[arg-type]


@settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=COLUMNS, second=COLUMNS)
def test_generated_values_list_alike_both_ways(
    dispatcher: Dispatcher, first: list[MetaValue | None], second: list[MetaValue | None]
) -> None:
    scope = f"gen{next(_scopes)}"
    dispatcher.add_scope(scope, "root")
    count = max(len(first), len(second))
    columns = {"k": first + [None] * (count - len(first)), "j": second + [None] * (count - len(second))}
    dispatcher.add_dids(
        [
            NewDid(
                NewDidSpec(DidKey(scope, f"d{n}"), DidType.DATASET, "root"),
                {key: values[n] for key, values in columns.items() if values[n] is not None},
            )
            for n in range(count)
        ]
    )
    columnar, rows = _batches(dispatcher, scope, ["k", "j", "absent"])
    assert columnar.schema == rows.schema
    for field in rows.schema:
        assert columnar.schema.field(field.name).metadata == field.metadata, field.name
    assert [c.to_pylist() for c in columnar.columns] == [c.to_pylist() for c in rows.columns]
    names = columnar.column("name").to_pylist()
    for key, values in columns.items():
        field = columnar.schema.field(key)
        stored = [dispatcher.get_metadata(DidKey(scope, name), "ALL").get(key) for name in names]
        assert columnar.column(key).to_pylist() == [_cell(v, field) for v in stored], key
        # GetMetadata gives back what was set, as values.check_value stores it (-0.0 as 0.0)
        assert sorted(map(_stored, stored)) == sorted(_stored(check_value(v, key)) for v in values), key
