"""Faults: the server killed with SIGKILL during bulk loads, and PostgreSQL stopped and started under a live server.

- kill -9 during `LoadDids`: every chunk of an acknowledged call is present; every chunk is all there or
  not there at all (DIDs, metadata, attachments and counters together); the chunks of the interrupted
  call that are there are its first ones (chunks apply in order).
- PostgreSQL stopped mid-stream: calls answer UNAVAILABLE while it is down (Arrow listings, whose columnar
  path keeps ADBC connections of its own, and the Arrow Flight endpoint too); once it is back, the same
  server process serves again without a restart, and nothing committed is lost.
- The server's sessions ended in the middle of an Arrow listing: UNAVAILABLE, and a client resumes it.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyarrow import flight
from sqlalchemy import Engine, text

from didmeta.client import Client, DidmetaError, LoadChunk, NewDid
from tests.support.backends import RunningBackend, start_backend, stop_backend
from tests.support.checks import engine_for, expect_error, free_port
from tests.support.databases import new_postgres_database
from tests.support.faults import start_postgres, stop_postgres
from tests.support.server import ServerProcess

CHUNKS_PER_CALL = 4
FILES_PER_CHUNK = 40
KILLS = 2


def chunk_of(call: int, number: int) -> LoadChunk:
    """One chunk: a dataset, its files (with metadata), the attachments and a DID_COLUMN key on the dataset."""
    dataset = f"k:c{call}_{number}"
    files = [
        NewDid(f"{dataset}_f{j:02d}", "file", bytes=j + 1, events=1, metadata={"call": call, "chunk": number})
        for j in range(FILES_PER_CHUNK)
    ]
    return LoadChunk(
        dids=[NewDid(dataset, "dataset"), *files],
        metadata=[(dataset, {"run_number": call * 100 + number})],
        attachments=[(dataset, f.did) for f in files],
    )


def chunk_state(engine: Engine, call: int, number: int) -> str:
    """'present', 'absent' or a description of a half-applied chunk."""
    dataset = f"c{call}_{number}"
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT length, bytes, events, run_number FROM dids WHERE scope = 'k' AND name = :n"),
            {"n": dataset},
        ).first()
        files = conn.execute(
            text("SELECT count(*) FROM dids WHERE scope = 'k' AND name LIKE :p ESCAPE '\\' AND did_type = 'F'"),
            {"p": f"{dataset}\\_f%"},
        ).scalar_one()
        attached = conn.execute(
            text("SELECT count(*) FROM contents WHERE scope = 'k' AND name = :n"), {"n": dataset}
        ).scalar_one()
    if row is None and files == 0 and attached == 0:
        return "absent"
    complete = (FILES_PER_CHUNK, sum(range(1, FILES_PER_CHUNK + 1)), FILES_PER_CHUNK, call * 100 + number)
    if row is not None and tuple(row) == complete and files == FILES_PER_CHUNK and attached == FILES_PER_CHUNK:
        return "present"
    return f"half-applied: dataset {tuple(row) if row else None}, {files} files, {attached} attachments"


def test_kill_9_during_bulk_loads_loses_no_acknowledged_chunk(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"database": make_catalogue_url(catalogue_kind), "log_format": "text", "grace_seconds": 0})
    with server.client(timeout=30) as client:
        client.add_scope("k")
    calls = itertools.count()
    started: list[int] = []
    acknowledged: list[int] = []
    rng = random.Random(11)

    def loader() -> None:
        with server.client(timeout=60) as client:
            while True:
                call = next(calls)
                started.append(call)
                try:
                    client.load(chunk_of(call, n) for n in range(CHUNKS_PER_CALL))
                except DidmetaError:
                    return  # the server is gone
                acknowledged.append(call)

    for _kill in range(KILLS):
        before = len(acknowledged)
        thread = threading.Thread(target=loader)
        thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) <= before:
            assert time.monotonic() < deadline, "no load was acknowledged"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.2))  # somewhere inside a later call
        server.kill()  # SIGKILL
        thread.join(60)
        assert not thread.is_alive()
        server.start()

    interrupted = sorted(set(started) - set(acknowledged))
    assert interrupted, "no call was interrupted by the kills"
    engine = engine_for(server)
    try:
        states_of = {call: [chunk_state(engine, call, n) for n in range(CHUNKS_PER_CALL)] for call in started}
    finally:
        engine.dispose()
    for call, states in states_of.items():
        assert all(s in ("present", "absent") for s in states), f"call {call}: {states}"
        if call in acknowledged:
            assert states == ["present"] * CHUNKS_PER_CALL, f"acknowledged call {call} lost chunks: {states}"
        else:
            applied = states.count("present")
            assert states == ["present"] * applied + ["absent"] * (CHUNKS_PER_CALL - applied), (
                f"interrupted call {call}: chunks not applied in order: {states}"
            )
    with server.client(timeout=30) as client:  # the restarted server serves the loaded data
        first = acknowledged[0]
        assert client.get_did(f"k:c{first}_0").length == FILES_PER_CHUNK
        assert client.get_metadata(f"k:c{first}_0_f00", "JSON") == {"call": first, "chunk": 0}


# --- PostgreSQL stopped and started under a live server -------------------------------------------------------------
@pytest.fixture()
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
    """A PostgreSQL server of this test alone (the shared one must not go down)."""
    backend = start_backend("postgres", tmp_path_factory.mktemp("postgres_restart"))
    try:
        yield backend
    finally:
        stop_backend(backend)


def wait_until_served(client: Client, did: str, limit_s: float = 30.0) -> float:
    """Seconds until a call succeeds again; only UNAVAILABLE is acceptable meanwhile."""
    started = time.monotonic()
    while True:
        try:
            client.get_did(did)
            return time.monotonic() - started
        except DidmetaError as error:
            assert error.code == grpc.StatusCode.UNAVAILABLE, f"{error.code.name}: {error.message}"
            assert time.monotonic() - started < limit_s, "service not restored after PostgreSQL came back"
            time.sleep(0.2)


def test_postgres_restart_mid_stream_is_unavailable_then_served_again(
    own_postgres: RunningBackend, start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    flight_address = f"127.0.0.1:{free_port()}"
    server = start_server(
        {
            "database": new_postgres_database(own_postgres.url),
            "log_format": "text",
            "grace_seconds": 0,
            "flight_listen": flight_address,
        }
    )
    flight_client = flight.connect(f"grpc://{flight_address}")
    ticket = flight.Ticket(json.dumps({"scope": "pr", "type": "DID_TYPE_SELECTOR_ALL", "metadataKeys": ["i"]}).encode())
    assert server.process is not None
    pid = server.process.pid
    names = [f"d{i:05d}" for i in range(3000)]
    with server.client(timeout=15, resume_attempts=0) as client:
        client.add_scope("pr")
        client.add_dids([NewDid(f"pr:{n}", "dataset", metadata={"i": i}) for i, n in enumerate(names)])

        # GetMetadata has used the event loop's own connection (server/point.py), which dies with the database.
        assert client.get_metadata("pr:d00001", "JSON") == {"i": 1}

        # An Arrow listing: its columnar path (ADBC, query/arrow_sql.py) keeps a connection of its own.
        assert client.list_dids_table("pr", metadata_keys=["i"]).num_rows == len(names)
        assert flight_client.do_get(ticket).read_all().num_rows == len(names)  # the Flight endpoint too

        # A long listing in flight when the database goes away.
        listed: list[str] = []
        batches = client.list_dids_batches("pr", long=True, metadata_keys=["i"], batch_size=100)
        listed.extend(next(batches).batch.names)
        stop_postgres(own_postgres)
        try:
            for batch in batches:
                listed.extend(batch.batch.names)
            assert listed == names, "a listing that completed must be complete"
        except DidmetaError as error:  # the rows not fetched yet are gone with the database
            assert error.code == grpc.StatusCode.UNAVAILABLE, f"{error.code.name}: {error.message}"

        # While it is down: UNAVAILABLE, quickly, for reads and writes alike.
        started = time.monotonic()
        expect_error(lambda: client.get_did("pr:d00001"), grpc.StatusCode.UNAVAILABLE)
        expect_error(lambda: client.add_did("pr:during", "dataset"), grpc.StatusCode.UNAVAILABLE)
        expect_error(lambda: client.set_metadata("pr:d00001", {"x": 1}), grpc.StatusCode.UNAVAILABLE)
        expect_error(lambda: client.count_dids("pr"), grpc.StatusCode.UNAVAILABLE)
        expect_error(lambda: client.list_dids_table("pr", metadata_keys=["i"]), grpc.StatusCode.UNAVAILABLE)
        with pytest.raises(flight.FlightUnavailableError, match=r"^UNAVAILABLE: the catalogue database"):
            flight_client.do_get(ticket).read_all()
        for _ in range(2):  # the loop's dead connection, then no new one: the thread path's UNAVAILABLE
            expect_error(lambda: client.get_metadata("pr:d00001", "JSON"), grpc.StatusCode.UNAVAILABLE)
        assert time.monotonic() - started < 10, "calls must fail fast while the database is down"
        with grpc.insecure_channel(server.address) as channel:  # the process itself still serves
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING

        start_postgres(own_postgres)
        wait_until_served(client, "pr:d00001")
        assert server.process.poll() is None and server.process.pid == pid, "didmeta was restarted"
        client.add_did("pr:after", "dataset")
        client.set_metadata("pr:d00001", {"x": 2})
        assert client.get_metadata("pr:d00001", "JSON") == {"i": 1, "x": 2}
        assert client.count_dids("pr") == len(names) + 1
        assert list(client.list_dids("pr", limit=2)) == ["pr:after", "pr:d00000"]
        # the Arrow path's pooled connection died with the database: a new one serves
        assert client.list_dids_table("pr", metadata_keys=["i"]).num_rows == len(names) + 1
        assert flight_client.do_get(ticket).read_all().num_rows == len(names) + 1


# --- the server's PostgreSQL sessions ended in the middle of an Arrow listing ---------------------------------------
BIG = 200_000  # rows: more than ADBC's first record batch (~16 MB) with the two keys listed


def test_sessions_ended_mid_arrow_listing_are_unavailable_and_the_client_resumes(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    """The Arrow listing's columnar path reads over ADBC, whose errors carry no SQLSTATE: a read that fails
    because the session was ended is UNAVAILABLE, as on the row path (it was INTERNAL, with a traceback in
    the log), so a client resumes it from its last token on a new connection and gets every DID once."""
    server = start_server({"database": make_catalogue_url("postgresql"), "log_format": "text"})
    with server.client(timeout=60) as client:
        client.add_scope("big")
        client.add_did("big:seed", "file", metadata={"i": 0})
    engine = engine_for(server)
    try:
        with engine.begin() as conn:  # rows straight in SQL: a load of this size would take the test's time
            conn.execute(
                text(
                    "INSERT INTO dids (scope, name, did_type, account, bytes, length, events, is_open, suppressed,"
                    " hidden, created_at, updated_at, meta) SELECT scope, 'f' || lpad(g::text, 7, '0'), did_type,"
                    " account, g, 0, 0, is_open, suppressed, hidden, created_at, updated_at,"
                    " jsonb_build_object('i', g, 'note', repeat('x', 200)) FROM dids, generate_series(1, :n) g"
                    " WHERE scope = 'big' AND name = 'seed'"
                ),
                {"n": BIG},
            )

        def end_the_servers_sessions() -> None:
            with engine.connect() as conn:
                ended = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            assert ended >= 1

        keys = ["i", "note"]
        with server.client(timeout=60, resume_attempts=0) as client:
            batches = client.list_dids_arrow("big", metadata_keys=keys, batch_size=1000, type="all")
            received = next(batches).num_rows
            end_the_servers_sessions()
            with pytest.raises(DidmetaError) as raised:
                for batch in batches:
                    received += batch.num_rows
            assert raised.value.code == grpc.StatusCode.UNAVAILABLE, raised.value.message
            assert 0 < received < BIG + 1

        with server.client(timeout=60) as client:  # resumes from its last token (client default)
            batches = client.list_dids_arrow("big", metadata_keys=keys, batch_size=1000, type="all")
            first = next(batches)
            names = first.column("name").to_pylist()
            end_the_servers_sessions()
            for batch in batches:
                names.extend(batch.column("name").to_pylist())
        assert names == [*(f"f{g:07d}" for g in range(1, BIG + 1)), "seed"]  # every DID once, in order
    finally:
        engine.dispose()
    assert "internal error" not in server.log_path.read_text()
