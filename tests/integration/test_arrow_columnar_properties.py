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

import itertools
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.values import MetaValue, check_value
from tests.integration.test_arrow_columnar import _columnar_batches, _row_batches
from tests.property.arrow_values import cell, stored_text
from tests.property.strategies import EXAMPLES, VALUE_COLUMNS

_scopes = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dispatcher(request: pytest.FixtureRequest, make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    store = Store(make_catalogue_url(request.param))
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": ["DID_COLUMN", "JSON"]}), store)
    dispatcher.start()
    yield dispatcher
    dispatcher.close()


@settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=VALUE_COLUMNS, second=VALUE_COLUMNS)
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
    query = ListQuery(scope, parse_filter(""), TYPE_SELECTORS["all"])
    keys = ["k", "j", "absent"]
    (columnar,), (rows,) = _columnar_batches(dispatcher, query, 100, keys), _row_batches(dispatcher, query, 100, keys)
    assert columnar.schema == rows.schema
    for field in rows.schema:
        assert columnar.schema.field(field.name).metadata == field.metadata, field.name
    assert [c.to_pylist() for c in columnar.columns] == [c.to_pylist() for c in rows.columns]
    names = columnar.column("name").to_pylist()
    for key, values in columns.items():
        field = columnar.schema.field(key)
        stored = [dispatcher.get_metadata(DidKey(scope, name), "ALL").get(key) for name in names]
        assert columnar.column(key).to_pylist() == [cell(v, field) for v in stored], key
        # GetMetadata gives back what was set, as values.check_value stores it (-0.0 as 0.0)
        assert sorted(map(stored_text, stored)) == sorted(stored_text(check_value(v, key)) for v in values), key
