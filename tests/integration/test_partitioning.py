"""`database_partitions` (issue 18): dids and contents hash-partitioned by scope on a real PostgreSQL.

The layout is chosen when the catalogue is created; every RPC runs the same code on it. A server
started later with another value, or on SQLite with a value, refuses in one line (exit code 2).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from didmeta.client import NewDid
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.startup import StartupError, start_dispatcher
from didmeta.server.store.engine import Store
from didmeta.server.store.migrations import MIGRATIONS, LayoutMismatch, partition_count, recorded_partitions
from didmeta.server.store.schema import schema_version
from tests.integration.test_startup import one_clear_line, serve
from tests.support.backends import RunningBackend
from tests.support.databases import new_postgres_database
from tests.support.server import ServerProcess

PARTITIONS = 4
SCOPES = [f"p{i}" for i in range(6)]  # six scopes over four partitions: some share one


def partitions_of(url: str, table: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = to_regclass(:t) ORDER BY 1"
            ),
            {"t": table},
        )
        names = [str(r[0]) for r in rows]
    engine.dispose()
    return names


def index_names(url: str, table: str) -> set[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": table})
        names = {str(r[0]) for r in rows}
    engine.dispose()
    return names


@pytest.fixture(scope="module")
def partitioned(
    postgres_server: RunningBackend, start_server: Callable[..., ServerProcess]
) -> tuple[str, ServerProcess]:
    url = new_postgres_database(postgres_server.url)
    settings = {"database": url, "database_partitions": PARTITIONS, "log_format": "text"}
    return url, start_server(settings)


def test_dids_and_contents_have_n_hash_partitions_with_every_index(partitioned: tuple[str, ServerProcess]) -> None:
    url, _ = partitioned
    for table in ("dids", "contents"):
        assert partitions_of(url, table) == sorted(f"{table}_p{i}" for i in range(PARTITIONS))
    parent = index_names(url, "dids")
    assert {"dids_pk", "dids_meta_gin", "dids_scope_run_number_cov", "dids_type_idx"} <= parent
    # every partition has one index per index of the parent (PostgreSQL names them after the partition)
    assert len(index_names(url, "dids_p0")) == len(parent)
    assert len(index_names(url, "contents_p3")) == len(index_names(url, "contents"))
    assert partitions_of(url, "scopes") == []  # the other tables stay plain


def test_every_rpc_family_works_on_a_partitioned_catalogue(partitioned: tuple[str, ServerProcess]) -> None:
    _, server = partitioned
    with server.client(timeout=60) as client:
        for scope in SCOPES:
            client.add_scope(scope)
        for i, scope in enumerate(SCOPES):
            files = [
                NewDid(f"{scope}:f{j}", "file", bytes=10 + j, metadata={"run_number": j, "tag": f"t{j % 3}"})
                for j in range(20)
            ]
            assert client.add_dids([NewDid(f"{scope}:ds", "dataset"), NewDid(f"{scope}:cont", "container"), *files])
            assert client.attach(f"{scope}:ds", [f.did for f in files]) == 20
            assert client.attach(f"{scope}:cont", [f"{scope}:ds"]) == 1
            # a cross-scope attachment: the parent's row lives in another partition than the child's
            other = SCOPES[(i + 1) % len(SCOPES)]
            client.add_dids([NewDid(f"{other}:x{i}", "dataset")])
            assert client.attach(f"{other}:x{i}", [f"{scope}:f0"]) == 1
        client.set_metadata("p1:f3", {"run_number": 777, "tag": "special"})
        assert client.get_metadata("p1:f3")["run_number"] == 777
        assert client.get_metadata("p1:f3", plugin="JSON") == {"tag": "special"}
        # listings: one scope, a filter, a JSON-key filter, a scope pattern, recursive from a container
        assert sorted(client.list_dids("p2", type="all")) == sorted(
            ["p2:ds", "p2:cont", "p2:x1", *(f"p2:f{j}" for j in range(20))]
        )
        assert list(client.list_dids("p1", "run_number=777", type="file")) == ["p1:f3"]
        assert list(client.list_dids("p1", "tag=special", type="file")) == ["p1:f3"]
        assert len(list(client.list_dids("p*", "run_number<2", type="file"))) == 2 * len(SCOPES)
        recursive = list(client.list_dids("p3", "name=cont", type="all", recursive=True))
        assert "p3:f19" in recursive and "p3:ds" in recursive
        assert client.count_dids("p4", type="file") == 20
        assert client.count_dids("p*", "tag=t0", type="file") == 7 * len(SCOPES) - 1  # p1:f3 is now "special"
        # counters of collections, kept by attach and delete
        dataset = client.get_did("p0:ds")
        assert (dataset.length, dataset.bytes) == (20, sum(10 + j for j in range(20)))
        assert [d.name for d in client.list_content("p5:cont")] == ["ds"]
        # delete every DID of one scope: the other scopes and their partitions keep theirs
        doomed = list(client.list_dids("p2", type="all"))
        assert client.delete_dids(doomed) == len(doomed)
        assert list(client.list_dids("p2", type="all")) == []
        assert client.get_did("p1:x0").length == 1  # p0:f0 is still attached to it
        assert client.get_did("p3:x2").length == 0  # p2:f0 was attached to it and is gone
        assert client.count_dids("p*", type="file") == 20 * (len(SCOPES) - 1)


def test_a_server_with_another_value_refuses_naming_both(
    partitioned: tuple[str, ServerProcess], tmp_path: Path
) -> None:
    url, _ = partitioned
    for other in (0, 8):
        result = serve(
            tmp_path, ["--listen", "127.0.0.1:0", "--database", url], env={"DIDMETA_DATABASE_PARTITIONS": str(other)}
        )
        line = one_clear_line(result, 2, "database_partitions", f"'{other}'", f"database_partitions = {PARTITIONS}")
        assert "created with" in line


def test_a_plain_catalogue_keeps_working_and_refuses_partitions(
    postgres_server: RunningBackend, start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    url = new_postgres_database(postgres_server.url)
    server = start_server({"database": url, "log_format": "text"})
    with server.client(timeout=30) as client:
        client.add_scope("plain")
        client.add_did("plain:f", "file")
    server.stop()
    assert partitions_of(url, "dids") == []
    result = serve(tmp_path, ["--listen", "127.0.0.1:0", "--database", url], env={"DIDMETA_DATABASE_PARTITIONS": "4"})
    one_clear_line(result, 2, "database_partitions", "'4'", "database_partitions = 0")
    again = start_server({"database": url, "log_format": "text"})
    with again.client(timeout=30) as client:
        assert list(client.list_dids("plain", type="all")) == ["plain:f"]


def test_sqlite_refuses_partitions_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = serve(tmp_path, ["--listen", "127.0.0.1:0", "--database", url], env={"DIDMETA_DATABASE_PARTITIONS": "4"})
    one_clear_line(result, 2, "database_partitions", "'4'", "PostgreSQL")
    assert not (tmp_path / "c.db").exists()


def test_a_catalogue_from_before_the_layout_step_is_recorded_as_plain(postgres_server: RunningBackend) -> None:
    url = new_postgres_database(postgres_server.url).replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a catalogue made by the release before step 9
        schema_version.create(conn)
        for number, _, step in MIGRATIONS[:-1]:
            step(conn)
            conn.execute(schema_version.insert().values(version=number, applied_at=datetime(2026, 1, 1)))
        assert recorded_partitions(conn) == 0
    wrong = Store(url, partitions=4)
    with pytest.raises(LayoutMismatch, match="created with database_partitions = 0, not 4"):
        wrong.migrate()
    wrong.dispose()
    store = Store(url)
    assert store.migrate() == [MIGRATIONS[-1][0]]
    with engine.connect() as conn:
        assert recorded_partitions(conn) == 0 and partition_count(conn) == 0
        assert conn.execute(sa.text("SELECT value FROM didmeta_layout")).scalar_one() == "0"
    store.dispose()
    engine.dispose()


@pytest.mark.parametrize("value", [1, -1, 1025])
def test_a_partition_count_out_of_range_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="database_partitions"):
        Settings.model_validate({"database": "postgresql://h/db", "database_partitions": value})


def test_a_catalogue_made_with_another_layout_during_start_up_is_a_startup_error(
    postgres_server: RunningBackend,
) -> None:
    """Another server created the catalogue between this one's layout check and its migration."""
    url = new_postgres_database(postgres_server.url).replace("postgresql://", "postgresql+psycopg://")
    other = Store(url, partitions=4)
    other.migrate()
    other.dispose()
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"database": url}), Store(url))
    with pytest.raises(StartupError, match=r"database_partitions = '0': the catalogue was created with .* = 4"):
        start_dispatcher(dispatcher)  # closes the dispatcher and its store
