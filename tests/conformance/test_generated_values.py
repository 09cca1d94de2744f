"""Generated values on every plugin (hypothesis): what SetMetadataBulk stores, GetMetadata and an ARROW listing
give back, the same on every backend.

The values are tests/property/strategies.py `VALUE_COLUMNS`: each type at its edges (integers near 2^53
and the int64 bounds, doubles from 5e-324 to 1e300 and -0.0, text with quotes, backslashes, line breaks and
non-ASCII, booleans, timestamps of years 1 to 9999), lists, objects, mixed types and absent keys, over a few
DIDs of a fresh scope. A backend that gave back a value of another type, or another value, fails here.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from didmeta.client import NewDid
from didmeta.values import Metadata, MetaValue, check_value
from tests.conformance.conftest import Conformance
from tests.property.arrow_values import cell, column, stored_text
from tests.property.strategies import EXAMPLES, VALUE_COLUMNS

_scopes = itertools.count()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=VALUE_COLUMNS)
def test_generated_values_round_trip(conformance: Conformance, values: list[MetaValue | None]) -> None:
    scope = f"gv{next(_scopes)}"
    dids = [f"{scope}:d{n}" for n in range(len(values))]
    with conformance.client() as client:
        client.add_scope(scope)
        client.add_dids([NewDid(did, "dataset") for did in dids])
        items: list[tuple[str, Metadata]] = [
            (did, {"v": value}) for did, value in zip(dids, values, strict=True) if value is not None
        ]
        if items:  # one write (a search backend waits for its refresh once)
            client.set_metadata_bulk(items)
        got = [client.get_metadata(did, "ALL").get("v") for did in dids]
        table = client.list_dids_table(scope, "", type="all", metadata_keys=["v"])
    expected = [None if v is None else check_value(v, "v") for v in values]  # as stored: -0.0 as 0.0
    assert [stored_text(v) for v in got] == [stored_text(v) for v in expected]
    by_name = dict(zip([d.split(":")[1] for d in dids], got, strict=True))
    field = table.schema.field("v")
    expected_cells = [cell(by_name[n], field) for n in table.column("name").to_pylist()]
    assert column(table.column("v"), field) == expected_cells
