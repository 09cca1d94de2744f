"""The facet summariser (server/query/facets.py) against a plain reference written from its definition.

The summariser merges equal values stored differently (5 and 5.0), orders by count, then kind
(bool, number, string, timestamp), then value, and keeps the top N; it is tuned for millions of
distinct values (no full sort). The reference below sorts everything and must agree exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from didmeta.plugins.base import ValueCounts
from didmeta.server.query.facets import FacetSpec, canonical_number, summarise
from didmeta.values import MetaValue

KIND_ORDER = {bool: 0, int: 1, float: 1, str: 2, datetime: 3}

scalars = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([0.5, 1.0, 2.0, -3.0, 2.5]),
    st.sampled_from(["a", "b", "B", "é"]),
    st.integers(0, 3).map(lambda d: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d)),
)


def reference_top(values: list[tuple[MetaValue, int]], top: int) -> list[tuple[MetaValue, int]]:
    merged: dict[tuple[int, MetaValue], int] = {}
    for value, count in values:
        kind = KIND_ORDER[type(value)]
        key = (kind, canonical_number(value) if kind == 1 else value)  # type: ignore[arg-type]
        merged[key] = merged.get(key, 0) + count
    ordered = sorted(merged.items(), key=lambda item: (-item[1], item[0][0], item[0][1]))
    return [(value, count) for (_, value), count in ordered[:top]]


@given(st.lists(st.tuples(scalars, st.integers(1, 4)), max_size=60), st.integers(1, 8))
def test_top_values_match_a_full_sort(values: list[tuple[MetaValue, int]], top: int) -> None:
    present = sum(count for _, count in values)
    facet = summarise(
        FacetSpec("k", top), ValueCounts(values=list(values), present=present, rows=present + 3), present + 3
    )
    assert facet.values == reference_top(values, top)
    assert [type(v) for v, _ in facet.values] == [type(v) for v, _ in reference_top(values, top)]
    assert facet.missing == 3 and facet.other == 0
    assert facet.distinct == len({(KIND_ORDER[type(v)], v) for v, _ in values})
