"""SQLite's WAL checkpoints happen off the event loop (server/store/checkpointer.py), and the loop's own
writer keeps its settings to itself (server/point.py `write_on_loop`).

Real SQLite files, the dispatcher's own paths: writes on the event loop's writer as the servicer makes
them (`set_metadata_on_loop`, a worker thread's `set_metadata` when the loop does not take one).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy.pool import QueuePool

from didmeta.identifiers import DidKey, DidType
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.checkpointer import CHECKPOINT_EVERY
from didmeta.server.store.engine import Store
from didmeta.values import Metadata

SCOPE = "ck"
FILES = 200


@pytest.fixture()
def dispatcher(make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), Store(make_catalogue_url("sqlite")))
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    dispatcher.add_dids(
        [NewDid(NewDidSpec(DidKey(SCOPE, f"f{i}"), DidType.FILE, "root", bytes=1), {"note": "x"}) for i in range(FILES)]
    )
    yield dispatcher
    dispatcher.close()


def write(dispatcher: Dispatcher, i: int) -> bool:
    """One SetMetadata of file i % FILES as the servicer makes it; True when the event loop took it."""
    key = DidKey(SCOPE, f"f{i % FILES}")
    metadata: Metadata = {"run_number": i, "note": "n" * 200 + str(i)}
    if dispatcher.set_metadata_on_loop(key, metadata, "metadata") == 1:
        return True
    assert dispatcher.set_metadata([(key, metadata)], fields=["metadata"]) == 1
    return False


def database_path(dispatcher: Dispatcher) -> Path:
    return Path(str(dispatcher.store.engine.url.database))


def test_the_loop_writer_leaves_checkpoints_to_a_thread_and_the_log_stays_bounded(dispatcher: Dispatcher) -> None:
    """Thousands of writes on the loop: its writer never checkpoints as it commits (wal_autocheckpoint 0), the
    checkpoint thread copies the bulk of the log and the writer finishes each checkpoint between two writes,
    and the log starts over as with automatic checkpoints (a thread's passive checkpoint alone never catches
    up with a steady writer: the log grew to ~75 MB over 3,000 of these writes); every value lands, every
    write on the loop. Checkpoints slower than the writes between two wake-ups run fewer times (wake-ups
    coalesce)."""
    writes = 4000
    on_loop = sum(write(dispatcher, i) for i in range(writes))
    point = dispatcher.point
    assert point is not None and point._loop_writer is not None and point._checkpointer is not None
    assert on_loop == writes  # no checkpoint keeps a write from the loop
    loop_writer = point._loop_writer.connection.dbapi_connection
    assert loop_writer is not None
    assert loop_writer.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert point._checkpointer.runs >= 3
    assert point._checkpointer.every == CHECKPOINT_EVERY
    wal = database_path(dispatcher).with_name(database_path(dispatcher).name + "-wal")
    assert wal.stat().st_size < 40 * 2**20, wal.stat().st_size  # its largest so far: it is not truncated
    check = sqlite3.connect(database_path(dispatcher))
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        last = {f"f{i % FILES}": i for i in range(writes)}
        rows = dict(check.execute("SELECT name, lumiblocknr FROM dids WHERE scope = ?", (SCOPE,)).fetchall())
        assert len(rows) == FILES and all(v is None for v in rows.values())  # run_number is not a column key
        found = {name: dispatcher.get_metadata(DidKey(SCOPE, name), "ALL")["run_number"] for name in last}
        assert found == last
    finally:
        check.close()


def test_the_loop_writer_is_not_handed_back_to_the_pool(dispatcher: Dispatcher) -> None:
    """The loop's writer has a busy timeout of 0 and no automatic checkpoints; when it is closed (after a
    failed loop read, at shutdown) it must not go back to the pool, where a worker thread would take it and
    fail at once on a lock it should wait for. Every pooled connection keeps the engine's settings."""
    assert write(dispatcher, 1)
    point = dispatcher.point
    assert point is not None and point._loop_writer is not None
    point.close_loop_connection()
    pool = dispatcher.store.engine.pool
    assert isinstance(pool, QueuePool)
    with ExitStack() as stack:  # every pooled connection at once (and one more), no transaction begun
        connections = [dispatcher.store.engine.raw_connection() for _ in range(pool.checkedin() + 1)]
        for conn in connections:
            stack.callback(conn.close)
        settings = {
            tuple(conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("busy_timeout", "wal_autocheckpoint"))
            for conn in connections
        }
    assert settings == {(30000, 1000)}
    assert write(dispatcher, 2)  # a new loop writer, with its own settings again


async def test_concurrent_loop_writes_all_land_on_the_loop(dispatcher: Dispatcher) -> None:
    """Concurrent SetMetadata calls as the servicer makes them (`set_metadata_async`, a worker thread when it
    says None), through a dozen checkpoints: the loop takes every write (no checkpoint holds the write lock
    against it), and every write lands in the row and the history."""
    clients, each = 16, 150
    taken = 0

    async def client(c: int) -> None:
        nonlocal taken
        for j in range(each):
            key = DidKey(SCOPE, f"f{(c * each + j) % FILES}")
            metadata: Metadata = {"run_number": c * each + j, "note": "n" * 200}
            if await dispatcher.set_metadata_async(key, metadata, "metadata") == 1:
                taken += 1
            else:
                await asyncio.to_thread(dispatcher.set_metadata, [(key, metadata)], fields=["metadata"])
            await asyncio.sleep(0)

    await asyncio.gather(*(client(c) for c in range(clients)))
    assert taken == clients * each
    point = dispatcher.point
    assert point is not None and point._checkpointer is not None and point._checkpointer.runs >= 3
    events = [e for page in dispatcher.list_history(DidKey(SCOPE, "f7")) for e in page if e.action == "set"]
    assert len([e for e in events if e.key == "run_number"]) == clients * each // FILES


def log_restarts(dispatcher: Dispatcher) -> int:
    """The write-ahead log's checkpoint sequence number (its header's bytes 12-15, big-endian), which SQLite
    increments each time a writer starts the log over at its beginning."""
    wal = database_path(dispatcher).with_name(database_path(dispatcher).name + "-wal")
    with wal.open("rb") as log:
        return int.from_bytes(log.read(16)[12:16], "big")


def test_the_loop_writer_finishes_the_checkpoint_and_the_log_starts_over(dispatcher: Dispatcher) -> None:
    """When the thread has copied the bulk of the log, the loop's writer finishes the checkpoint after its next
    commit (the log copied to its end), and a writer starts the log over at its beginning at once (the next
    write at the latest)."""
    point = dispatcher.point
    assert point is not None and point._checkpointer is not None
    checkpointer = point._checkpointer
    i = 0
    while not checkpointer.finish_due:  # writes until the thread's step is done (it is woken every 200)
        assert write(dispatcher, i)
        i += 1
        if i % CHECKPOINT_EVERY == 0:
            time.sleep(0.05)  # the thread's turn
        assert i < 20 * CHECKPOINT_EVERY, "the checkpoint thread never ran"
    runs, restarts = checkpointer.runs, log_restarts(dispatcher)
    assert write(dispatcher, i)  # committed, then the checkpoint finished by the loop's writer
    assert not checkpointer.finish_due and checkpointer.runs == runs + 1
    assert write(dispatcher, i + 1)
    assert log_restarts(dispatcher) > restarts
