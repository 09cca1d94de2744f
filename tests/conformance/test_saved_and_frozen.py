"""Saved queries and frozen selections on every plugin, checked against the reference evaluator."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from didmeta.client import Client
from didmeta.errors import AlreadyExists, InvalidArgument, NotFound
from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS
from tests.conformance.conftest import SCOPE, Conformance
from tests.conformance.oracle import evaluate

FROZEN = "fz"
_n = itertools.count()


@pytest.fixture(scope="module")
def client(conformance: Conformance) -> Iterator[Client]:
    with conformance.client() as client:
        if FROZEN not in {s.name for s in client.list_scopes()}:
            client.add_scope(FROZEN)
        yield client


@pytest.mark.parametrize(
    ("expression", "selector", "as_type"),
    [
        ("quality=good", "file", "dataset"),
        ("mix!=5", "file", "dataset"),
        ("energy>1,label=a*", "file", "dataset"),
        ("tags.contains=y", "dataset", "container"),
        ("run_number>=200", "dataset", "container"),
        ("nothing=matches", "file", "dataset"),
        ("quality.not_in=[good,bad]", "file", "dataset"),
        ("not mix>4,vals.any>5", "file", "dataset"),
        ('vals.len>=2,not label="a*"', "dataset", "container"),
    ],
)
def test_freeze_holds_exactly_the_selection(
    conformance: Conformance, client: Client, expression: str, selector: str, as_type: str
) -> None:
    expected = evaluate(conformance.records, parse_filter(expression), TYPE_SELECTORS[selector], False)
    target = f"{FROZEN}:sel{next(_n)}"
    count = client.freeze_dids(target, f"{SCOPE}*", expression, did_type=as_type, type=selector)
    assert count == len(expected)
    content = sorted(f"{c.scope}:{c.name}" for c in client.list_content(target))
    assert content == expected
    metadata = client.get_metadata(target, "ALL")
    assert metadata["frozen_count"] == len(expected)
    assert metadata["frozen_scope"] == f"{SCOPE}*"
    assert isinstance(metadata["frozen_at"], datetime)
    first_key = re.split(r"[.!=<>]", expression.removeprefix("not "), maxsplit=1)[0]
    assert first_key in str(metadata["frozen_query"])
    if "type" not in expression:  # the recorded query is the selection's filter, `not` and list operators kept
        assert parse_filter(str(metadata["frozen_query"])) == parse_filter(expression)
    assert client.get_did(target).is_open is False


def test_freeze_refuses_a_selection_of_the_wrong_type(client: Client) -> None:
    with pytest.raises(InvalidArgument) as raised:
        client.freeze_dids(f"{FROZEN}:wrong{next(_n)}", f"{SCOPE}*", "", did_type="dataset", type="all")
    assert "type" in raised.value.message and "files only" in raised.value.message
    with pytest.raises(InvalidArgument) as raised:
        client.freeze_dids(f"{FROZEN}:mixed{next(_n)}", f"{SCOPE}*", "", did_type="container", type="collection")
    assert "DATASET" in raised.value.message and "CONTAINER" in raised.value.message
    assert "not both" in raised.value.message


@pytest.mark.parametrize("expression", ["quality=good", "mix>4.5;label=a*", ""])
def test_saved_query_lists_what_the_listing_lists(conformance: Conformance, client: Client, expression: str) -> None:
    name = f"q{next(_n)}"
    saved = client.save_query(name, f"{SCOPE}*", expression, type="all")
    assert (saved.name, saved.account, saved.filter) == (name, "root", expression)
    expected = evaluate(conformance.records, parse_filter(expression), TYPE_SELECTORS["all"], False)
    assert list(client.list_saved(name)) == expected
    assert name in [q.name for q in client.list_saved_queries()]
    assert client.get_saved_query(name).filter == expression
    with pytest.raises(AlreadyExists):
        client.save_query(name, f"{SCOPE}*", "quality=bad", type="all")
    client.save_query(name, f"{SCOPE}*", "quality=bad", type="all", replace=True)
    assert list(client.list_saved(name)) == evaluate(
        conformance.records, parse_filter("quality=bad"), TYPE_SELECTORS["all"], False
    )
    client.delete_saved_query(name)
    with pytest.raises(NotFound):
        client.get_saved_query(name)


@pytest.mark.parametrize(
    ("name", "scope", "expression", "field"),
    [("bad name", "cf*", "", "query.name"), ("ok", "cf*", "mix>", "filter"), ("ok2", "", "", "scope")],
)
def test_bad_saved_queries_are_refused(client: Client, name: str, scope: str, expression: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        client.save_query(name, scope, expression)
    assert field in raised.value.message
