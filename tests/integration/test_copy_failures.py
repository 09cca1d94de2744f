"""PostgreSQL failing inside a bulk COPY gets the statuses and retries of any other statement.

LoadDids writes its history rows (and other append-only rows) with COPY on the driver's connection
(server/store/bulk.py). A trigger on `history` makes the database fail inside that COPY, for the DIDs of
one scope only: once with a deadlock (SQLSTATE 40P01), which the server retries as it retries any
conflict (INTERNAL before the driver's errors were turned into SQLAlchemy's), and by terminating the
server's own session, which is UNAVAILABLE with nothing of the chunk written, after which the server's
next load uses a new connection (so it was before too: the rollback on the dead connection reports it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest
from sqlalchemy import Engine, text

from didmeta.client import Client, LoadChunk, NewDid
from tests.support.checks import engine_for, expect_error
from tests.support.server import ServerProcess

#: Files per chunk: their history rows go in with COPY (bulk.COPY_MIN_ROWS is 20).
FILES = 40

#: Fails the first history row of file `f000` of a chunk: inside the COPY of the chunk's history rows.
TRIGGER = (
    "CREATE SEQUENCE copy_deadlocks",
    """
    CREATE FUNCTION fail_inside_copy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.name = 'f000' AND NEW.scope = 'deadlock_once' AND nextval('copy_deadlocks') = 1 THEN
            RAISE EXCEPTION 'simulated deadlock inside COPY' USING ERRCODE = '40P01';  -- nextval stays 1 once
        END IF;
        IF NEW.name = 'f000' AND NEW.scope = 'session_lost' THEN
            PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER fail_inside_copy BEFORE INSERT ON history FOR EACH ROW EXECUTE FUNCTION fail_inside_copy()",
)


@pytest.fixture(scope="module")
def server(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> Iterator[ServerProcess]:
    server = start_server({"database": make_catalogue_url("postgresql"), "log_format": "text"})
    engine = engine_for(server)
    try:
        with engine.begin() as conn:
            for statement in TRIGGER:
                conn.execute(text(statement))
        yield server
    finally:
        engine.dispose()


@pytest.fixture()
def client(server: ServerProcess) -> Iterator[Client]:
    with server.client(timeout=60, resume_attempts=0) as client:
        yield client


def chunk(scope: str) -> LoadChunk:
    files = [NewDid(f"{scope}:f{i:03d}", "file", bytes=i + 1, metadata={"run_number": i}) for i in range(FILES)]
    return LoadChunk(
        dids=[NewDid(f"{scope}:ds", "dataset"), *files], attachments=[(f"{scope}:ds", f.did) for f in files]
    )


def rows_of(engine: Engine, scope: str) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(text(f"SELECT count(*) FROM {table} WHERE scope = :s"), {"s": scope}).scalar_one()
            for table in ("dids", "contents", "history")
        )


def log_since(server: ServerProcess, start: int) -> str:
    return server.log_path.read_text()[start:]


def test_a_deadlock_inside_copy_is_retried_and_the_load_succeeds(server: ServerProcess, client: Client) -> None:
    """Fails without the driver's errors turned into SQLAlchemy's: INTERNAL, the conflict never retried."""
    start = len(server.log_path.read_text())
    client.add_scope("deadlock_once")
    result = client.load([chunk("deadlock_once")])
    assert (result.created, result.attached) == (FILES + 1, FILES)
    engine = engine_for(server)
    try:
        assert rows_of(engine, "deadlock_once") == (FILES + 1, FILES, 2 * FILES + 1)  # add each, attach each file
    finally:
        engine.dispose()
    assert "retrying a unit of work after a conflict (DEADLOCK" in log_since(server, start)


def test_a_session_lost_inside_copy_is_unavailable_and_nothing_is_written(
    server: ServerProcess, client: Client
) -> None:
    start = len(server.log_path.read_text())
    client.add_scope("session_lost")
    error = expect_error(lambda: client.load([chunk("session_lost")]), grpc.StatusCode.UNAVAILABLE)
    assert "internal error" not in error.message
    engine = engine_for(server)
    try:
        assert rows_of(engine, "session_lost") == (0, 0, 0)
        client.add_scope("after_lost")
        assert client.load([chunk("after_lost")]).created == FILES + 1  # a new connection, not the dead one
        assert rows_of(engine, "after_lost")[0] == FILES + 1
    finally:
        engine.dispose()
    assert "internal error" not in log_since(server, start)
