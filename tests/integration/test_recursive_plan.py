"""A recursive listing from one container reads the container's tree, not the whole `dids` table.

bench.scale found the recursive listing of one container (~211 DIDs) growing with the catalogue: 0.47 s at
1M DIDs and 5.05 s at 10M on PostgreSQL, a scan of the whole table with two hashed sub-plans (the query
selected `key IN roots OR key IN descendants`). Here a catalogue of the bench's data set (30k DIDs, written
with the bench's baseline loader, then ANALYZE) is asked, through a real server, for the plan ExplainDids
reports and for the listing itself: the plan must look the DIDs up by key on both databases, and the
listing must be the container's tree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import psycopg
import pytest

from bench import baselines
from bench.data import MAIN_SCOPE, generate
from bench.procs import sqlalchemy_url
from didmeta.server.store.engine import Store
from tests.support.server import ServerProcess

N = 30_000
CONTAINER = f"{MAIN_SCOPE}.c000050"  # container 50 is in the main scope (50 % 10 < 8)


def _catalogue(kind: str, url: str) -> None:
    store = Store(sqlalchemy_url(url))
    try:
        store.migrate()
    finally:
        store.dispose()
    dids = list(generate(N))
    chunks = [dids[i : i + 5_000] for i in range(0, N, 5_000)]
    if kind == "sqlite":
        baselines.load_sqlite(url, chunks, dids)
        with sqlite3.connect(baselines.sqlite_path(url)) as conn:
            conn.execute("ANALYZE")
    else:
        baselines.load_postgres(url, chunks, dids)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def _tree(container: str) -> set[str]:
    """The container and every DID below it, from the recipe."""
    names = {container}
    for did in generate(N):
        if did.parent is not None and did.parent[1] in names:
            names.add(did.name)
    return names


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_recursive_listing_of_one_container_looks_its_tree_up_by_key(
    kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    url = make_catalogue_url(kind)
    _catalogue(kind, url)
    server = start_server({"database": url, "log_format": "text"})
    with server.client(timeout=60) as client:
        explained = client.explain_dids(MAIN_SCOPE, f"name={CONTAINER}", type="all", recursive=True)
        plan = "\n".join(query.plan for query in explained.queries)
        assert plan, "ExplainDids gave no plan"
        if kind == "sqlite":
            assert "SCAN dids" not in plan, plan
        else:
            assert "Seq Scan on dids" not in plan, plan
            assert "dids_pk" in plan, plan
        listed = set(client.list_dids(MAIN_SCOPE, f"name={CONTAINER}", type="all", recursive=True))
    expected = _tree(CONTAINER)
    assert len(expected) > 100
    assert listed == {f"{MAIN_SCOPE}:{name}" for name in expected}
