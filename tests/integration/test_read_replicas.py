"""Read RPCs served by a real PostgreSQL streaming replica (issue 18, `database_replicas`).

The primary is a PostgreSQL server of this module (a small cluster copies fast); each test gets a new
replica of it, made by `pg_basebackup -R` (tools/backends/postgres.sh replica). Pausing the replica's WAL
replay makes it visibly stale, which shows where each read went.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from didmeta.client import Client, DidmetaError, NotFound
from tests.support.backends import RunningBackend, start_backend, start_postgres_replica, stop_backend
from tests.support.checks import wait_until
from tests.support.databases import new_postgres_database
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
    started = start_backend("postgres", tmp_path_factory.mktemp("primary"))
    try:
        yield started
    finally:
        stop_backend(started)


@pytest.fixture()
def replica(primary: RunningBackend, tmp_path: Path) -> Iterator[RunningBackend]:
    started = start_postgres_replica(primary, tmp_path / "replica")
    try:
        yield started
    finally:
        stop_backend(started)


def same_database_on(server: RunningBackend, url: str) -> str:
    """`url`'s database name on another server (the replica has every database of its primary)."""
    return server.url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]


@pytest.fixture()
def catalogue(primary: RunningBackend, replica: RunningBackend) -> tuple[str, str]:
    """A new catalogue database on the primary, and its URL on the replica."""
    primary_url = new_postgres_database(primary.url)
    return primary_url, same_database_on(replica, primary_url)


def start(tmp_path: Path, name: str, primary_url: str, replica_url: str, max_lag: float) -> ServerProcess:
    settings: dict[str, Any] = {
        "database": primary_url,
        "database_replicas": [replica_url],
        "replica_max_lag_seconds": max_lag,
        "replica_check_seconds": 0.2,
        "log_format": "text",
    }
    return ServerProcess(tmp_path / name, settings).start()


def set_replay(replica_url: str, paused: bool) -> None:
    engine = sa.create_engine(replica_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"))
    engine.dispose()


def found(client: Client, did: str) -> bool:
    try:
        client.get_did(did)
    except NotFound:
        return False
    return True


def test_reads_go_to_the_replica_and_clients_can_ask_for_the_primary(
    catalogue: tuple[str, str], tmp_path: Path
) -> None:
    primary_url, replica_url = catalogue
    server = start(tmp_path, "server", primary_url, replica_url, max_lag=300)
    try:
        with server.client(timeout=30) as client, server.client(timeout=30, primary_reads=True) as primary:
            client.add_scope("r")
            client.add_did("r:before", "dataset")
            wait_until(lambda: found(client, "r:before"), "the replica to replay the first write")
            set_replay(replica_url, paused=True)
            try:
                client.add_did("r:during", "dataset")
                client.set_metadata("r:before", {"tier": "gold"})
                # The stale replica answers the read RPCs: the new DID and value are not there yet ...
                assert not found(client, "r:during")
                assert client.get_metadata("r:before", plugin="JSON") == {}
                assert list(client.list_dids("r", type="all")) == ["r:before"]
                assert client.count_dids("r", type="all") == 1
                # ... while a client asking for primary reads sees its writes at once.
                assert found(primary, "r:during")
                assert primary.get_metadata("r:before", plugin="JSON") == {"tier": "gold"}
                assert list(primary.list_dids("r", type="all")) == ["r:before", "r:during"]
            finally:
                set_replay(replica_url, paused=False)
            # the value was written after the DID: waiting for it waits for both
            wait_until(lambda: client.get_metadata("r:before", plugin="JSON") == {"tier": "gold"}, "the catch-up")
            assert found(client, "r:during")
    finally:
        server.stop()


def test_a_replica_lagging_too_far_is_skipped(catalogue: tuple[str, str], tmp_path: Path) -> None:
    primary_url, replica_url = catalogue
    server = start(tmp_path, "server", primary_url, replica_url, max_lag=1.0)
    try:
        with server.client(timeout=30) as client:
            client.add_scope("l")
            client.add_did("l:first", "dataset")
            set_replay(replica_url, paused=True)
            try:
                client.add_did("l:second", "dataset")
                # Within about a second the replica counts as lagging; reads then see the primary.
                wait_until(lambda: found(client, "l:second"), "reads to move to the primary")
                assert list(client.list_dids("l", type="all")) == ["l:first", "l:second"]
            finally:
                set_replay(replica_url, paused=False)
    finally:
        server.stop()


def test_a_replica_stopping_under_load_degrades_to_the_primary_without_errors(
    catalogue: tuple[str, str], replica: RunningBackend, tmp_path: Path
) -> None:
    primary_url, replica_url = catalogue
    server = start(tmp_path, "server", primary_url, replica_url, max_lag=300)
    try:
        with server.client(timeout=60) as client:
            client.add_scope("d")
            for i in range(20):
                client.add_did(f"d:x{i:02d}", "dataset", metadata={"n": i})
            wait_until(lambda: found(client, "d:x19"), "the replica to replay the writes")
        failures: list[DidmetaError] = []
        calls = [0]
        stop = threading.Event()

        def read_repeatedly() -> None:
            with server.client(timeout=60) as reader:
                while not stop.is_set():
                    try:
                        assert len(list(reader.list_dids("d", "n>=10", type="all"))) == 10
                        assert reader.get_metadata("d:x03", plugin="JSON") == {"n": 3}
                        assert reader.count_dids("d", type="all") == 20
                        calls[0] += 1
                    except DidmetaError as error:
                        failures.append(error)

        threads = [threading.Thread(target=read_repeatedly) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            wait_until(lambda: calls[0] >= 10, "reads before the replica stops")
            stop_backend(replica)
            before = calls[0]
            wait_until(lambda: calls[0] >= before + 20, "reads after the replica stopped")
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        assert not failures, [f"{type(error).__name__}: {error}" for error in failures[:3]]
    finally:
        server.stop()


def test_replicas_need_a_postgresql_catalogue(tmp_path: Path) -> None:
    from didmeta.server.config import Settings

    with pytest.raises(ValueError, match="database_replicas need a PostgreSQL database"):
        Settings.model_validate({"database": f"sqlite:///{tmp_path}/c.db", "database_replicas": ["postgresql://h/db"]})
