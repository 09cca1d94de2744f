"""Summaries without fetching (FacetDids, CountDids totals): every answer equals the reference evaluator's."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from didmeta.client import Facet, NewDid
from didmeta.errors import InvalidArgument
from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidType
from tests.conformance.conftest import SCOPE, Conformance
from tests.conformance.dataset import records as dataset_records
from tests.conformance.oracle import Record, evaluate, facet

ALL_TYPES = TYPE_SELECTORS["all"]

#: Keys of every storage: the plugin under test (mixed types, lists, maps, timestamps, bools),
#: DID_COLUMN columns, the DID type and the name.
FACET_KEYS = ["mix", "quality", "energy", "label", "tags", "flag", "when", "run_number", "datatype", "type", "name"]
FACET_FILTERS = ["", "type=file", "quality=good", "run_number>=200", "mix!=5;label=a*"]
FACET_CASES = [(f, k) for f, k in itertools.product(FACET_FILTERS, FACET_KEYS)]

#: (filter, key, bucket width, top)
HISTOGRAM_CASES = [
    ("", "mix", 5.0, 10),
    ("", "energy", 1.0, 10),
    ("", "energy", 0.25, 3),
    ("", "run_number", 100.0, 10),
    ("", "run_number", 150.0, 1),
    ("", "when", 86400.0, 10),
    ("", "when", 3600.0 * 24 * 365, 10),
    ("type=file", "mix", 2.5, 10),
    ("quality!=good", "energy", 2.0, 2),
    ("", "mix", 1e12, 10),
]


def _expected(conformance: Conformance, expression: str, key: str, width: float | None, top: int) -> dict[str, Any]:
    matched = evaluate(conformance.records, parse_filter(expression), ALL_TYPES, False)
    return facet(conformance.records, matched, key, top=top, width=width)


def _as_dict(got: Facet) -> dict[str, Any]:
    return {
        "key": got.key,
        "values": got.values,
        "buckets": got.buckets,
        "missing": got.missing,
        "other": got.other,
        "distinct": got.distinct,
    }


def _same_types(got: list[tuple[Any, int]], expected: list[tuple[Any, int]]) -> None:
    """Equal values of the same Python type (5 is not 5.0 here, True is not 1)."""
    assert [type(v) for v, _ in got] == [type(v) for v, _ in expected]


@pytest.mark.parametrize(("expression", "key"), FACET_CASES)
def test_facet(conformance: Conformance, expression: str, key: str) -> None:
    expected = _expected(conformance, expression, key, None, 10)
    matched = len(evaluate(conformance.records, parse_filter(expression), ALL_TYPES, False))
    with conformance.client() as client:
        result = client.facet_dids(f"{SCOPE}*", expression, [key], type="all")
    assert result.count == matched
    assert _as_dict(result.facets[0]) == expected, (expression, key)
    _same_types(result.facets[0].values, expected["values"])


@pytest.mark.parametrize(("expression", "key", "width", "top"), HISTOGRAM_CASES)
def test_facet_histogram(conformance: Conformance, expression: str, key: str, width: float, top: int) -> None:
    expected = _expected(conformance, expression, key, width, top)
    with conformance.client() as client:
        result = client.facet_dids(f"{SCOPE}*", expression, [(key, width, top)], type="all")
    assert _as_dict(result.facets[0]) == expected, (expression, key, width)
    _same_types(result.facets[0].buckets, expected["buckets"])


def test_facet_many_keys_recursive(conformance: Conformance) -> None:
    """Several keys in one request, over a recursive selection (descendants of the containers)."""
    with conformance.client() as client:
        listed = list(client.list_dids(f"{SCOPE}*", "type=container", type="all", recursive=True))
        result = client.facet_dids(
            f"{SCOPE}*", "type=container", ["quality", ("mix", 5.0), "run_number"], type="all", recursive=True
        )
    everything = conformance.records
    assert result.count == len(listed)
    for got, (key, width) in zip(result.facets, [("quality", None), ("mix", 5.0), ("run_number", None)], strict=True):
        assert _as_dict(got) == facet(everything, listed, key, width=width)


@pytest.mark.parametrize(
    ("facets", "field"),
    [
        ([], "facets"),
        ([("mix", -1.0)], "facets[0].bucket_width"),
        ([("mix", 0.0, 1001)], "facets[0].top"),
        (["mix", "mix"], "facets[1].key"),
        (["bad key"], "facets[0].key"),
    ],
)
def test_facet_refused(conformance: Conformance, facets: list[Any], field: str) -> None:
    with conformance.client() as client, pytest.raises(InvalidArgument) as raised:
        client.facet_dids(f"{SCOPE}*", "", facets, type="all")
    assert field in str(raised.value)


# --- CountDids totals ---------------------------------------------------------------------------------
TOTALS_SCOPE = "cft"
TOTALS_FILTERS = [
    "",
    "mix=5",
    "quality=good",
    "run_number>=200",
    "energy>1",
    "label=a*",
    "mix!=5",
    "tags.contains=5",
    "when>=2024-01-01;flag=true",
    "type=file,datatype=RAW",
    "name=f.0*",
    "quality.exists=false",
]


def _sizes(index: int) -> tuple[int, int]:
    return 1000 * (index + 1) + index, 10 * index


@pytest.fixture(scope="module")
def totals_records(conformance: Conformance) -> list[Record]:
    """The data set's rows again, all as files with known bytes and events, in a scope of their own."""
    records = [Record(TOTALS_SCOPE, r.name, DidType.FILE, r.metadata) for r in dataset_records(TOTALS_SCOPE)]
    with conformance.client() as client:
        if TOTALS_SCOPE not in {s.name for s in client.list_scopes()}:
            client.add_scope(TOTALS_SCOPE)
            client.add_dids(
                [
                    NewDid(
                        f"{r.scope}:{r.name}",
                        "file",
                        bytes=_sizes(i)[0],
                        events=_sizes(i)[1],
                        metadata=dict(r.metadata),
                    )
                    for i, r in enumerate(records)
                ]
            )
    return records


@pytest.mark.parametrize("expression", TOTALS_FILTERS)
def test_count_totals(conformance: Conformance, totals_records: list[Record], expression: str) -> None:
    matched = set(evaluate(totals_records, parse_filter(expression), ALL_TYPES, False))
    sizes = [_sizes(i) for i, r in enumerate(totals_records) if f"{r.scope}:{r.name}" in matched]
    with conformance.client() as client:
        totals = client.count_totals(TOTALS_SCOPE, expression, type="all")
        assert client.count_dids(TOTALS_SCOPE, expression, type="all") == len(matched)
    assert (totals.count, totals.bytes, totals.events) == (
        len(matched),
        sum(b for b, _ in sizes),
        sum(e for _, e in sizes),
    )
