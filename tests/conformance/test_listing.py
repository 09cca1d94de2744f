"""Listing semantics (spec §5) on every plugin: order, exact global limits, resume, recursion, long output."""

from __future__ import annotations

import pytest

from didmeta.client import Client, InvalidArgument
from didmeta.filters import Filter, Group, parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.values import Metadata
from didmeta.wire import metadata_from_wire
from tests.conformance import dataset
from tests.conformance.conftest import OTHER_SCOPE, SCOPE, Conformance
from tests.conformance.oracle import evaluate

ALL = TYPE_SELECTORS["all"]
FILTERS = ["", "quality=good", "mix!=5", "run_number>=100,quality!=bad", "label=a*;tags.contains=y"]


def _expected(conformance: Conformance, expression: str) -> list[str]:
    return evaluate(conformance.records, parse_filter(expression), ALL, False)


@pytest.mark.parametrize("expression", FILTERS)
@pytest.mark.parametrize("limit", [1, 3, 7])
def test_exact_limit(conformance: Conformance, expression: str, limit: int) -> None:
    with conformance.client() as client:
        got = list(client.list_dids(f"{SCOPE}*", expression, type="all", limit=limit, batch_size=2))
    assert got == _expected(conformance, expression)[:limit]


@pytest.mark.parametrize("expression", FILTERS)
def test_resume_token(conformance: Conformance, expression: str) -> None:
    """Pages of 2 stitched together through resume tokens give the full answer, nothing twice."""
    expected = _expected(conformance, expression)
    with conformance.client() as client:
        pages: list[str] = []
        token = ""
        for _ in range(100):
            batches = client.list_dids_batches(f"{SCOPE}*", expression, type="all", batch_size=2, page_token=token)
            first = next(batches, None)
            if first is None:
                break
            pages.extend(f"{s}:{n}" for s, n in zip(first.batch.scopes, first.batch.names, strict=True))
            token = first.next_page_token
            batches.close()  # type: ignore[attr-defined]
        assert pages == expected


@pytest.mark.parametrize("expression", FILTERS[1:3])
def test_resume_with_limit(conformance: Conformance, expression: str) -> None:
    expected = _expected(conformance, expression)[:3]
    with conformance.client() as client:
        batches = client.list_dids_batches(f"{SCOPE}*", expression, type="all", limit=3, batch_size=1)
        first = next(batches)
        batches.close()  # type: ignore[attr-defined]
        rest = client.list_dids_batches(
            f"{SCOPE}*", expression, type="all", limit=3, batch_size=1, page_token=first.next_page_token
        )
        names = list(first.batch.names) + [n for r in rest for n in r.batch.names]
    assert names == [d.split(":", 1)[1] for d in expected]


def test_token_of_another_query_refused(conformance: Conformance) -> None:
    with conformance.client() as client:
        first = next(client.list_dids_batches(f"{SCOPE}*", "quality=good", type="all", batch_size=1))
        with pytest.raises(InvalidArgument) as caught:
            list(client.list_dids(f"{SCOPE}*", "quality=bad", type="all", page_token=first.next_page_token))
    assert caught.value.reason == "PAGE_TOKEN_MISMATCH"


def _descendants(roots: list[str]) -> set[str]:
    edges = dataset.hierarchy(SCOPE, OTHER_SCOPE)
    found: set[str] = set()
    frontier = list(roots)
    while frontier:
        frontier = [c for p, c in edges if p in frontier and c not in found]
        found.update(frontier)
    return found


RECURSIVE = ["name=cont.data", "name=cont.*", "name=cont.mc,campaign=mc*", "quality=good", "name=ds.aod.200,label=a*"]


@pytest.mark.parametrize("expression", RECURSIVE)
def test_recursive(conformance: Conformance, expression: str) -> None:
    """Roots match the whole filter; descendants (across scopes) match it without its name clause."""
    parsed = parse_filter(expression)
    roots = evaluate(conformance.records, parsed, ALL, False)
    roots_in_scope = [r for r in roots if r.startswith(f"{SCOPE}:")]
    unnamed = Filter(tuple(g.without_name() for g in parsed.groups)) if parsed.groups else Filter((Group(),))
    below = set(evaluate(conformance.records, unnamed, ALL, False)) & _descendants(roots_in_scope)
    expected = sorted(set(roots_in_scope) | below, key=lambda d: tuple(d.split(":", 1)))
    with conformance.client() as client:
        got = list(client.list_dids(SCOPE, expression, type="all", recursive=True))
        assert got == expected
        assert client.count_dids(SCOPE, expression, type="all", recursive=True) == len(expected)
        assert list(client.list_dids(SCOPE, expression, type="all", recursive=True, limit=2)) == expected[:2]


def test_recursive_lists_shared_child_once(conformance: Conformance) -> None:
    """f.00 hangs under two datasets of cont.mc: listed once."""
    with conformance.client() as client:
        got = list(client.list_dids(SCOPE, "name=cont.mc", type="all", recursive=True))
    assert got.count(f"{SCOPE}:f.00") == 1
    assert f"{SCOPE}:ds.aod.200" in got


@pytest.mark.parametrize("selector", ["all", "collection", "container", "dataset", "file"])
def test_type_selector(conformance: Conformance, selector: str) -> None:
    expected = evaluate(conformance.records, Filter(), TYPE_SELECTORS[selector], False)
    with conformance.client() as client:
        assert list(client.list_dids(f"{SCOPE}*", "", type=selector)) == expected


def test_long_output_carries_real_values(conformance: Conformance) -> None:
    with conformance.client() as client:
        rows = {r.name: r for r in client.list_dids_long(SCOPE, "mix=*", type="all", metadata_keys=["mix", "quality"])}
    records = {r.name: r for r in conformance.records if r.scope == SCOPE}
    assert rows, "mix=* matches DIDs"
    for name, row in rows.items():
        assert row.type == records[name].type.name
        assert row.metadata.get("mix") == records[name].metadata["mix"]
        assert type(row.metadata.get("mix")) is type(records[name].metadata["mix"])
        assert row.metadata.get("quality") == records[name].metadata.get("quality")
    assert rows["ds.raw.100"].length == 2 and rows["ds.aod.200"].length == 3


#: Every key of the data set (JSON keys of every value type, DID_COLUMN's run_number and datatype), two
#: intrinsic attributes (read per batch, not in the listing's SQL) and a key no DID has.
LONG_KEYS = [*sorted({k for r in dataset.records(SCOPE) for k in r.metadata}), "bytes", "guid", "nowhere"]


@pytest.mark.parametrize("expression", ["", "quality=good", "name=cont.mc"])
def test_long_metadata_equals_get_metadata(conformance: Conformance, expression: str) -> None:
    """Long output with metadata keys: each DID's values (and their types) are GetMetadata's, a key the
    DID lacks is absent; the same when paged by two with resume tokens and when recursive."""
    with conformance.client() as client:
        for options in ({}, {"recursive": True}):
            rows = list(client.list_dids_long(f"{SCOPE}*", expression, type="all", metadata_keys=LONG_KEYS, **options))
            assert [f"{r.scope}:{r.name}" for r in rows] == list(
                client.list_dids(f"{SCOPE}*", expression, type="all", **options)
            )
            stored = dict(client.get_metadata_bulk([f"{r.scope}:{r.name}" for r in rows], "ALL"))
            for row in rows:
                metadata = stored[DidKey(row.scope, row.name)] or {}
                expected = {k: metadata[k] for k in LONG_KEYS if k in metadata}
                assert row.metadata == expected, row.name
                assert {k: type(v) for k, v in row.metadata.items()} == {k: type(v) for k, v in expected.items()}
            paged: list[tuple[str, str, Metadata]] = []
            token = ""
            while True:
                responses = client.list_dids_batches(
                    f"{SCOPE}*", expression, type="all", long=True, metadata_keys=LONG_KEYS, batch_size=2,
                    page_token=token, **options,
                )  # fmt: skip
                first = next(responses, None)
                if first is None:
                    break
                responses.close()  # type: ignore[attr-defined]
                batch = first.batch
                paged.extend(
                    (s, n, metadata_from_wire(m.values))
                    for s, n, m in zip(batch.scopes, batch.names, batch.metadata, strict=True)
                )
                token = first.next_page_token
            assert paged == [(r.scope, r.name, r.metadata) for r in rows]


def test_order_is_scope_then_name(client_conf: Client) -> None:
    got = [DidKey(*d.split(":", 1)) for d in client_conf.list_dids(f"{SCOPE}*", "", type="all")]
    assert got == sorted(got) and len(got) == len(set(got))


@pytest.fixture()
def client_conf(conformance: Conformance) -> Client:
    return conformance.client()


# --- collection attributes next to plugin keys (spec §1-§2, issue 10) -----------------------------------------
COLLECTIONS = TYPE_SELECTORS["collection"]
FILES = TYPE_SELECTORS["file"]
PLUGIN_FILTERS = ["quality=good", "mix!=5", "label=a*;tags.contains=y"]


def _of_types(conformance: Conformance, expression: str, types: frozenset[DidType]) -> list[str]:
    return evaluate(conformance.records, parse_filter(expression), types, False)


@pytest.mark.parametrize("expression", PLUGIN_FILTERS)
@pytest.mark.parametrize(
    ("attribute_clause", "types"),
    [
        ("length>=0", COLLECTIONS),  # every collection has a length; a file has none
        ("length.exists=true", COLLECTIONS),
        ("length.exists=false", FILES),
        ("events=0", COLLECTIONS),  # no file of the data set has events: every collection sums to 0
        ("did_type=FILE", FILES),  # did_type is an alias of type
        ("did_type=collection", COLLECTIONS),
    ],
)
def test_collection_attributes_with_plugin_keys(
    conformance: Conformance, expression: str, attribute_clause: str, types: frozenset[DidType]
) -> None:
    combined = ";".join(f"{group},{attribute_clause}" for group in expression.split(";"))
    with conformance.client() as client:
        got = list(client.list_dids(f"{SCOPE}*", combined, type="all"))
        counted = client.count_dids(f"{SCOPE}*", combined, type="all")
    expected = _of_types(conformance, expression, types)
    assert got == expected and counted == len(expected)
