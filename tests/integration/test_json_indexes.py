"""The JSON plugin's `indexed_keys`: expression indexes that the planner actually uses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS
from didmeta.plugins.did_column import DidColumnPlugin
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.engine import Store


def _dispatcher(url: str, keys: list[str]) -> Dispatcher:
    store = Store(url)
    dispatcher = Dispatcher(store, [DidColumnPlugin({}, store), JsonColumnPlugin({"indexed_keys": keys}, store)])
    dispatcher.start()
    dispatcher.start()  # idempotent
    return dispatcher


def test_sqlite_equality_uses_the_expression_index(make_catalogue_url: Callable[[str], str]) -> None:
    dispatcher = _dispatcher(make_catalogue_url("sqlite"), ["energy"])
    for expression, index in (("energy=5", "dids_meta_energy_num"), ("energy=abc", "dids_meta_energy_str")):
        query = ListQuery("s", parse_filter(expression), TYPE_SELECTORS["all"])
        statement = dispatcher.planner.select_page(query, long=False, after=None, limit=None)
        with dispatcher.store.read() as conn:
            sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        assert index in plan, plan
    dispatcher.close()


def test_postgresql_creates_the_expression_indexes(make_catalogue_url: Callable[[str], str]) -> None:
    dispatcher = _dispatcher(make_catalogue_url("postgresql"), ["energy", "when"])
    with dispatcher.store.read() as conn:
        names = {row[0] for row in conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'dids'"))}
    assert {"dids_meta_gin", "dids_meta_energy_num", "dids_meta_when_ts"} <= names
    dispatcher.close()


def test_bad_indexed_keys_refused(make_catalogue_url: Callable[[str], str]) -> None:
    from didmeta.errors import InvalidArgument

    with pytest.raises(InvalidArgument):
        _dispatcher(make_catalogue_url("sqlite"), ["bad.key"])
