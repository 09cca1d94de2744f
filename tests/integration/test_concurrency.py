"""Concurrent writers through several server processes on one catalogue database (SQLite and PostgreSQL).

Each test races real requests against two or three `didmeta serve` processes sharing one database
(docs/architecture.md, "Concurrent writers"): attaches that would close a cycle, attaches and detaches
on one dataset and its container, storms of bulk metadata sets in different orders, unary sets racing on
one DID, thousands of unary sets without pause (SQLite's write-ahead log bounded), the same DID added by
many callers at once, and LoadDids streams into the same datasets. Every test is bounded (a few seconds
per backend).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import grpc
import pytest
from sqlalchemy import Engine, text

from didmeta.client import Client, DidmetaError, LoadChunk, NewDid
from didmeta.identifiers import DidKey
from didmeta.values import Metadata
from tests.support.checks import engine_for
from tests.support.server import ServerProcess

#: Server processes on one database: three on PostgreSQL; two on SQLite (one file, one writer at a time).
PROCESSES = {"postgresql": 3, "sqlite": 2}


@dataclass
class Cluster:
    """Server processes on one catalogue database, a client for each, and direct SQL on the database."""

    servers: list[ServerProcess]
    clients: list[Client]
    engine: Engine

    def client(self, index: int) -> Client:
        return self.clients[index % len(self.clients)]

    def retries(self) -> int:
        """Units of work the servers ran again after a deadlock or serialization failure (their logs)."""
        return sum(s.log_path.read_text().count("retrying a unit of work") for s in self.servers)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()


@pytest.fixture(scope="module")
def cluster(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> Iterator[Cluster]:
    url = make_catalogue_url(catalogue_kind)
    servers = [
        start_server({"database": url, "log_format": "text", "grace_seconds": 1})
        for _ in range(PROCESSES[catalogue_kind])
    ]
    clients = [s.client(timeout=60) for s in servers]
    engine = engine_for(servers[0])
    try:
        yield Cluster(servers, clients, engine)
    finally:
        engine.dispose()
        for c in clients:
            c.close()
        for s in servers:
            s.stop()


_scopes = iter(range(10**6))


def new_scope(cluster: Cluster) -> str:
    name = f"c{next(_scopes)}"
    cluster.client(0).add_scope(name)
    return name


def together(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at one moment; each call's result or the DidmetaError it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except DidmetaError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def errors_of(results: Sequence[Any]) -> list[DidmetaError]:
    return [r for r in results if isinstance(r, DidmetaError)]


def describe(errors: Sequence[DidmetaError]) -> list[str]:
    return [f"{e.code.name} {e.reason}: {e.message}" for e in errors]


# --- the graph: no cycle, ever ----------------------------------------------------------------------------------
CYCLES_SQL = """
WITH RECURSIVE walk(start_scope, start_name, scope, name, depth) AS (
    SELECT scope, name, child_scope, child_name, 1 FROM contents WHERE scope = :scope
    UNION ALL
    SELECT w.start_scope, w.start_name, c.child_scope, c.child_name, w.depth + 1
    FROM walk w JOIN contents c ON c.scope = w.scope AND c.name = w.name
    WHERE w.depth < 8
)
SELECT count(*) FROM walk WHERE scope = start_scope AND name = start_name
"""


def test_racing_attaches_never_make_a_cycle(cluster: Cluster) -> None:
    """200 rounds of A->B against B->A (and A->B, B->C, C->A): exactly one attach of each ring is refused."""
    scope = new_scope(cluster)
    rounds = 200

    def ring(round_: int) -> list[str]:
        return [f"{scope}:r{round_}_{i}" for i in range(2 if round_ % 2 else 3)]

    cluster.client(0).add_dids([NewDid(n, "container") for r in range(rounds) for n in ring(r)])

    def play(round_: int) -> None:
        names = ring(round_)
        size = len(names)
        calls = [partial(cluster.client(round_ + i).attach, names[i], [names[(i + 1) % size]]) for i in range(size)]
        results = together(calls)
        errors = errors_of(results)
        assert len(errors) == 1, f"round {round_}: {size - len(errors)} of {size} attaches of a ring succeeded"
        assert errors[0].code == grpc.StatusCode.FAILED_PRECONDITION, describe(errors)
        assert errors[0].reason == "CYCLE", describe(errors)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(play, range(rounds)))
    assert cluster.scalar(CYCLES_SQL, scope=scope) == 0
    assert cluster.scalar("SELECT count(*) FROM contents WHERE scope = :s", s=scope) == sum(
        (2 if r % 2 else 3) - 1 for r in range(rounds)
    )


# --- counters: exact under concurrent attaches and detaches ------------------------------------------------------
def test_concurrent_attaches_and_detaches_keep_counters_exact(cluster: Cluster) -> None:
    scope = new_scope(cluster)
    c = cluster.client(0)
    container, first, second = f"{scope}:box", f"{scope}:ds1", f"{scope}:ds2"
    files = [NewDid(f"{scope}:f{i:03d}", "file", bytes=1000 + i, events=i + 1) for i in range(160)]
    sizes = {f.did: (f.bytes or 0, f.events or 0) for f in files}
    c.add_dids([NewDid(container, "container"), NewDid(first, "dataset"), NewDid(second, "dataset"), *files])
    c.attach(container, [first, second])
    contents: dict[str, set[str]] = {first: set(), second: set()}
    second_attached = True
    unused = [str(f.did) for f in files]
    for round_ in range(12):
        calls: list[Callable[[], Any]] = []
        for i, dataset in enumerate((first, second)):  # one detach from each dataset (of an earlier round's file)
            if contents[dataset]:
                gone = sorted(contents[dataset])[round_ % len(contents[dataset])]
                contents[dataset].discard(gone)
                calls.append(partial(cluster.client(i + 1).detach, dataset, [gone]))
        for i in range(8):  # eight single-file attaches, to both datasets, through every process
            dataset = first if i % 2 else second
            child = unused.pop()
            contents[dataset].add(child)
            calls.append(partial(cluster.client(i).attach, dataset, [child]))
        # the container loses and regains a dataset meanwhile
        if second_attached:
            calls.append(lambda: cluster.client(2).detach(container, [second]))
        else:
            calls.append(lambda: cluster.client(2).attach(container, [second]))
        second_attached = not second_attached
        errors = errors_of(together(calls))
        assert not errors, describe(errors)

        expected: dict[str, tuple[int, int, int]] = {}
        for dataset, children in contents.items():
            expected[dataset] = (
                sum(sizes[f][0] for f in children),
                len(children),
                sum(sizes[f][1] for f in children),
            )
        members = [first, second] if second_attached else [first]
        expected[container] = (
            sum(expected[d][0] for d in members),
            sum(expected[d][1] for d in members),
            sum(expected[d][2] for d in members),
        )
        for did, (size, length, events) in expected.items():
            info = c.get_did(did)
            assert (info.bytes, info.length, info.events) == (size, length, events), f"round {round_}: {did}"
        for dataset, children in contents.items():
            assert {f"{d.scope}:{d.name}" for d in c.list_content(dataset)} == children


# --- metadata storms: bulk sets in different orders ---------------------------------------------------------------
def test_storm_of_bulk_sets_in_different_orders(cluster: Cluster) -> None:
    """Writers set the same 60 DIDs in shuffled orders: no error at all, and each DID ends with one writer's values."""
    scope = new_scope(cluster)
    names = [f"{scope}:d{i:02d}" for i in range(60)]
    cluster.client(0).add_dids([NewDid(n, "dataset") for n in names])
    writers, iterations = 6, 12

    def write(writer: int) -> list[DidmetaError]:
        rng = random.Random(writer)
        failures: list[DidmetaError] = []
        for iteration in range(iterations):
            value = writer * 1000 + iteration
            order = names[:]
            rng.shuffle(order)
            items: list[tuple[str, Metadata]] = [
                (n, {"run_number": value, "storm": value, "who": f"w{value}"}) for n in order
            ]
            try:
                cluster.client(writer + iteration).set_metadata_bulk(items)
            except DidmetaError as error:
                failures.append(error)
        return failures

    retries_before = cluster.retries()
    with ThreadPoolExecutor(writers) as pool:
        failures = [e for errors in pool.map(write, range(writers)) for e in errors]
    assert not failures, describe(failures)
    # rows are locked in one order: the writers waited for one another, they never deadlocked
    assert cluster.retries() == retries_before
    written = {w * 1000 + i for w in range(writers) for i in range(iterations)}
    for name in names:
        metadata = cluster.client(1).get_metadata(name, "ALL")
        value = metadata["run_number"]
        assert value in written
        # one request's values, not a mix of two: DID_COLUMN and JSON wrote in one transaction
        assert metadata["storm"] == value and metadata["who"] == f"w{value}", metadata


def test_racing_point_writes_on_one_did_keep_one_history_chain(cluster: Cluster) -> None:
    """Unary SetMetadata of one DID's row from writers spread over the server processes (the point path: on
    SQLite written by a server's event loop when the write lock is free at that moment, else in a worker
    thread that waits for it; on PostgreSQL awaited by the loop, optimistically: its update applies only to the
    row version it read, else the write is redone under the row's lock): no error, every write recorded once,
    in one chain of old and new values per key, and the row ends with the last values."""
    scope = new_scope(cluster)
    did = f"{scope}:hot"
    cluster.client(0).add_dids([NewDid(did, "dataset", metadata={"run_number": 0, "note": "n0"})])
    writers, each = 6, 20

    def write(writer: int) -> list[DidmetaError]:
        failures: list[DidmetaError] = []
        for i in range(each):
            value = 1 + writer * each + i  # every write a new value: each one is recorded
            try:
                cluster.client(writer).set_metadata(did, {"run_number": value, "note": f"n{value}"})
            except DidmetaError as error:
                failures.append(error)
        return failures

    with ThreadPoolExecutor(writers) as pool:
        failures = [e for errors in pool.map(write, range(writers)) for e in errors]
    assert not failures, describe(failures)
    events = [e for e in cluster.client(0).list_history(did) if e.action == "set"]
    for key, first in (("run_number", 0), ("note", "n0")):
        chain = [(e.old, e.new) for e in events if e.key == key]
        assert len(chain) == writers * each, key
        assert chain[0][0] == first
        assert all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1)), key
    last = [e.new for e in events if e.key == "run_number"][-1]
    final = cluster.client(1).get_metadata(did, "ALL")
    assert final["run_number"] == last and final["note"] == f"n{last}"


def test_sustained_point_writes_from_every_process_land_and_keep_the_log_bounded(cluster: Cluster) -> None:
    """Thousands of unary SetMetadata without pause from 16 writers spread over the server processes, each on
    files of its own: none fails, each file ends with its writer's last values and one unbroken history chain.
    On SQLite the write-ahead log stays bounded while another process goes on writing: each process's
    checkpoint thread (its loop writer's pages, server/store/checkpointer.py) and the worker threads' own
    automatic checkpoints copy it back, and it starts over (~10 MB measured after 4,000 to 24,000 of these
    writes; with no checkpoint in any process it passes 40 MB here: checked by switching them off)."""
    scope = new_scope(cluster)
    writers, files_each, writes_each = 16, 4, 250
    names = [[f"{scope}:w{w}f{f}" for f in range(files_each)] for w in range(writers)]
    cluster.client(0).add_dids([NewDid(did, "file", bytes=1, metadata={"note": "n0"}) for row in names for did in row])

    def values(writer: int, i: int) -> Metadata:
        return {"run_number": writer * writes_each + i, "note": "n" * 200 + f"{writer}.{i}"}

    def write(writer: int) -> list[DidmetaError]:
        failures: list[DidmetaError] = []
        for i in range(writes_each):
            try:
                cluster.client(writer).set_metadata(names[writer][i % files_each], values(writer, i))
            except DidmetaError as error:
                failures.append(error)
        return failures

    with ThreadPoolExecutor(writers) as pool:
        failures = [e for errors in pool.map(write, range(writers)) for e in errors]
    assert not failures, describe(failures[:5])
    for writer in range(writers):
        for f, did in enumerate(names[writer]):
            mine = [values(writer, i) for i in range(f, writes_each, files_each)]
            found = cluster.client(writer + 1).get_metadata(did, "ALL")
            assert {key: found.get(key) for key in ("run_number", "note")} == mine[-1], did
            events = [e for e in cluster.client(0).list_history(did) if e.action == "set"]
            for key, first in (("run_number", None), ("note", "n0")):
                chain = [(e.old, e.new) for e in events if e.key == key]
                assert [new for _, new in chain] == [m[key] for m in mine], (did, key)
                assert [old for old, _ in chain] == [first] + [m[key] for m in mine[:-1]], (did, key)
    if cluster.engine.dialect.name == "sqlite":
        database = Path(str(cluster.engine.url.database))
        log = database.with_name(database.name + "-wal")
        assert log.stat().st_size < 40 * 2**20, log.stat().st_size  # its largest so far: it is not truncated


# --- one winner ---------------------------------------------------------------------------------------------------
def test_the_same_did_added_concurrently_has_one_winner(cluster: Cluster) -> None:
    scope = new_scope(cluster)
    for round_ in range(15):
        did = f"{scope}:same{round_}"
        calls = [partial(cluster.client(i).add_dids, [NewDid(did, "dataset", metadata={"by": i})]) for i in range(6)]
        results = together(calls)
        winners = [i for i, r in enumerate(results) if not isinstance(r, DidmetaError)]
        errors = errors_of(results)
        assert len(winners) == 1, describe(errors)
        assert all(e.code == grpc.StatusCode.ALREADY_EXISTS and e.reason == "DID_EXISTS" for e in errors), describe(
            errors
        )
        assert cluster.client(round_).get_metadata(did, "JSON") == {"by": winners[0]}


# --- bulk loads: concurrent LoadDids streams into the same collections ------------------------------------------
def test_concurrent_loaders_into_the_same_datasets(cluster: Cluster) -> None:
    """Loaders stream chunks of files into shared datasets through every process; two of them race on the same DIDs.

    Every chunk is all there or not at all, each contested chunk has one winner (DID_EXISTS for the
    other, naming a DID of the chunk), and the counters of the datasets and their container are exact.
    """
    scope = new_scope(cluster)
    container, datasets = f"{scope}:box", [f"{scope}:ds{d}" for d in range(3)]
    cluster.client(0).load(
        [
            LoadChunk(
                dids=[NewDid(container, "container"), *(NewDid(d, "dataset") for d in datasets)],
                attachments=[(container, d) for d in datasets],
            )
        ]
    )

    def chunk(loader: int, number: int) -> LoadChunk:
        # loaders 0 and 1 send the same DIDs (contested); the others their own
        owner = "shared" if loader < 2 else f"l{loader}"
        new = [
            NewDid(f"{scope}:{owner}_{number}_{i:02d}", "file", bytes=1 + i + 100 * number, events=i, metadata={"k": i})
            for i in range(30)
        ]
        pairs: list[tuple[str | DidKey, str | DidKey]] = [
            (datasets[(i + number) % 3], str(n.did)) for i, n in enumerate(new)
        ]
        return LoadChunk(dids=new, attachments=pairs)

    def load(loader: int) -> list[Any]:
        outcomes: list[Any] = []
        for number in range(4):  # one chunk per call: a refused chunk does not stop the loader
            outcomes.append(outcome(partial(cluster.client(loader + number).load, [chunk(loader, number)])))
        return outcomes

    loaders = 6
    results = together([partial(load, i) for i in range(loaders)])
    for loader, outcomes in enumerate(results):
        assert not isinstance(outcomes, DidmetaError), outcomes
        if loader >= 2:  # uncontested: every chunk applied
            assert not errors_of(outcomes), describe(errors_of(outcomes))
    for number in range(4):
        pair = [results[0][number], results[1][number]]
        errors = errors_of(pair)
        assert len(errors) == 1, f"chunk {number}: {describe(errors)}"
        assert errors[0].code == grpc.StatusCode.ALREADY_EXISTS and errors[0].reason == "DID_EXISTS", describe(errors)
    c = cluster.client(0)
    present = {str(d) for d in c.list_dids(scope, type="file")}
    expected: dict[str, list[int]] = {d: [0, 0, 0] for d in datasets}
    wanted: set[str] = set()
    for loader in range(1, loaders):  # loader 0 sent loader 1's DIDs
        for number in range(4):
            for i, (parent, child) in enumerate(chunk(loader, number).attachments):
                wanted.add(str(child))
                totals = expected[str(parent)]
                totals[0] += 1 + i + 100 * number
                totals[1] += 1
                totals[2] += i
    assert present == wanted, f"{len(present)} files present, {len(wanted)} expected"
    for dataset, (size, length, events) in expected.items():
        info = c.get_did(dataset)
        assert (info.bytes, info.length, info.events) == (size, length, events), dataset
    info = c.get_did(container)
    assert (info.bytes, info.length, info.events) == tuple(sum(t[i] for t in expected.values()) for i in range(3))


# --- deadlocks: retried inside the server, ABORTED when the retries run out (PostgreSQL) -----------------------
WAITING_ON_A_LOCK = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
"""


def deadlock_a_bulk_set(server: ServerProcess, names: list[str], values: Metadata) -> Any:
    """Hold the second DID's row in another session, let the server lock the first and wait, then take the first.

    The server's transaction waits longest, so PostgreSQL's deadlock detector aborts it (40P01); the
    other session has a long deadlock_timeout and wins. Returns the bulk set's result or error.
    """
    scope, first, second = names[0].split(":")[0], names[0].split(":")[1], names[1].split(":")[1]
    engine = engine_for(server)
    result: list[Any] = []
    try:
        with engine.connect() as other:
            other.execute(text("SET deadlock_timeout = '20s'"))
            other.execute(
                text("UPDATE dids SET hidden = hidden WHERE scope = :s AND name = :n"), {"s": scope, "n": second}
            )
            with server.client(timeout=60) as client:
                call = threading.Thread(
                    target=lambda: result.append(
                        outcome(partial(client.set_metadata_bulk, [(n, values) for n in names]))
                    )
                )
                call.start()
                with engine.connect() as probe:
                    deadline = time.monotonic() + 30
                    while probe.execute(text(WAITING_ON_A_LOCK)).scalar_one() == 0:
                        assert time.monotonic() < deadline, "the server never waited for the held row"
                        time.sleep(0.02)
                # closes the cycle; blocks until the server's transaction is aborted and releases the first row
                other.execute(
                    text("UPDATE dids SET hidden = hidden WHERE scope = :s AND name = :n"), {"s": scope, "n": first}
                )
                other.commit()
                call.join(60)
    finally:
        engine.dispose()
    return result[0]


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except DidmetaError as error:
        return error


@pytest.fixture(scope="module")
def postgres_pair(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two servers on one PostgreSQL catalogue: the default retries, and none (write_attempts = 1)."""
    url = make_catalogue_url("postgresql")
    settings = {"database": url, "log_format": "text", "log_level": "INFO", "grace_seconds": 1}
    retrying_server = start_server(settings)
    single_shot = start_server({**settings, "write_attempts": 1})
    with retrying_server.client() as client:
        client.add_scope("dl")
        client.add_dids([NewDid(f"dl:d{i}", "dataset") for i in range(4)])
    yield retrying_server, single_shot
    retrying_server.stop()
    single_shot.stop()


def test_a_deadlock_is_retried_inside_the_server(postgres_pair: tuple[ServerProcess, ServerProcess]) -> None:
    server, _ = postgres_pair
    result = deadlock_a_bulk_set(server, ["dl:d0", "dl:d1"], {"run_number": 7, "colour": "green"})
    assert result == 2, result
    with server.client() as client:
        assert client.get_metadata("dl:d0", "ALL")["colour"] == "green"
        assert client.get_metadata("dl:d1", "ALL")["run_number"] == 7
    assert "retrying a unit of work after a conflict (DEADLOCK" in server.log_path.read_text()


def test_a_deadlock_past_the_retries_is_aborted_not_unavailable(
    postgres_pair: tuple[ServerProcess, ServerProcess],
) -> None:
    _, server = postgres_pair
    error = deadlock_a_bulk_set(server, ["dl:d2", "dl:d3"], {"run_number": 8, "colour": "red"})
    assert isinstance(error, DidmetaError), error
    assert error.code == grpc.StatusCode.ABORTED and error.reason == "DEADLOCK", describe([error])
    with server.client() as client:  # nothing of the aborted request was written
        assert "colour" not in client.get_metadata("dl:d2", "ALL")
        assert "colour" not in client.get_metadata("dl:d3", "ALL")
