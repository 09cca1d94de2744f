"""Listings leave out hidden scopes inside the query on every path: pure SQL, and merged with an
external plugin (EXAMPLE_MEMORY), plain and recursive, listed and counted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.plugins.registry import register_plugin, unregister_plugin
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from tests.support.example_plugin import ExampleMemoryPlugin


@pytest.fixture()
def dispatcher(tmp_path: Path) -> Iterator[Dispatcher]:
    register_plugin(ExampleMemoryPlugin)
    store = Store(f"sqlite:///{tmp_path / 'catalogue.db'}")
    plugins = ["DID_COLUMN", "EXAMPLE_MEMORY", "JSON"]
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": plugins}), store)
    dispatcher.start()
    try:
        for scope in ("open", "secret"):
            dispatcher.add_scope(scope, "root")
            dispatcher.add_dids(
                [
                    NewDid(NewDidSpec(DidKey(scope, "ds"), DidType.DATASET, "root"), {"mem_run": 1, "run": 1}),
                    NewDid(NewDidSpec(DidKey(scope, "f"), DidType.FILE, "root", bytes=1), {"mem_run": 1, "run": 1}),
                ]
            )
        dispatcher.attach([(DidKey("open", "ds"), DidKey("open", "f")), (DidKey("open", "ds"), DidKey("secret", "f"))])
        yield dispatcher
    finally:
        dispatcher.close()
        unregister_plugin("EXAMPLE_MEMORY")


def rows(dispatcher: Dispatcher, query: ListQuery) -> set[str]:
    stream = dispatcher.open_listing(query, long=False, after=None, limit=None)
    try:
        found: set[str] = set()
        while batch := stream.fetch(100):
            found.update(f"{row[0]}:{row[1]}" for row in batch)
        return found
    finally:
        stream.close()


@pytest.mark.parametrize("key", ["mem_run", "run"], ids=["merged", "pure-sql"])
@pytest.mark.parametrize("recursive", [False, True], ids=["plain", "recursive"])
def test_hidden_scopes_are_left_out_on_every_path(dispatcher: Dispatcher, key: str, recursive: bool) -> None:
    everything = ListQuery("*", parse_filter(f"{key}=1"), TYPE_SELECTORS["all"], recursive=recursive)
    narrowed = replace(everything, hidden_scopes=frozenset({"secret"}))
    assert dispatcher.planner.is_pure_sql(everything) is (key == "run")
    assert rows(dispatcher, everything) == {"open:ds", "open:f", "secret:ds", "secret:f"}
    assert rows(dispatcher, narrowed) == {"open:ds", "open:f"}
    assert dispatcher.count_dids(everything) == 4
    assert dispatcher.count_dids(narrowed) == 2


def test_recursion_does_not_reach_into_hidden_scopes(dispatcher: Dispatcher) -> None:
    for key in ("mem_run", "run"):
        roots = ListQuery("open", parse_filter(f"{key}=1,name=ds"), TYPE_SELECTORS["all"], recursive=True)
        assert rows(dispatcher, roots) == {"open:ds", "open:f", "secret:f"}
        assert rows(dispatcher, replace(roots, hidden_scopes=frozenset({"secret"}))) == {"open:ds", "open:f"}
