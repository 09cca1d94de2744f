"""SQLite's WAL checkpoints happen off the event loop (server/store/checkpointer.py), and the loop's own
writer keeps its settings to itself (server/point.py `write_on_loop`).

Real SQLite files, the dispatcher's own paths: writes on the event loop's writer as the servicer makes
them (`set_metadata_on_loop`, a worker thread's `set_metadata` when the loop does not take one).
"""

from __future__ import annotations

import asyncio
import sqlite3
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
    """Thousands of writes on the loop: its writer never checkpoints (wal_autocheckpoint 0), the checkpoint
    thread does, and the log starts over as with automatic checkpoints (a thread's passive checkpoint alone
    never catches up with a steady writer: the log grew to ~75 MB over 3,000 of these writes); every value
    lands. Checkpoints slower than the writes between two wake-ups run fewer times (wake-ups coalesce)."""
    writes = 4000
    on_loop = sum(write(dispatcher, i) for i in range(writes))
    point = dispatcher.point
    assert point is not None and point._loop_writer is not None and point._checkpointer is not None
    assert on_loop > writes * 0.9  # the loop took them (a few go to the thread while a checkpoint holds the lock)
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


async def test_concurrent_loop_writes_wait_out_the_checkpoint_on_the_loop(dispatcher: Dispatcher) -> None:
    """Concurrent SetMetadata calls as the servicer makes them (`set_metadata_async`, a worker thread when it
    says None): a write refused while the checkpoint thread holds the write lock waits for it on the loop and
    is made there, instead of queueing in a thread, where it would keep the lock busy and send the next
    writes to threads too (without the wait, most writes ended in threads). Every write lands."""
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
    assert taken > clients * each * 0.9, taken
    point = dispatcher.point
    assert point is not None and point._checkpointer is not None and point._checkpointer.runs >= 3
    events = [e for page in dispatcher.list_history(DidKey(SCOPE, "f7")) for e in page if e.action == "set"]
    assert len([e for e in events if e.key == "run_number"]) == clients * each // FILES


async def test_the_checkpoint_thread_wakes_the_writes_that_wait_for_it(dispatcher: Dispatcher) -> None:
    """`Checkpointer.finished`: None while the thread does not hold the lock; while it does, a future that
    resolves when it lets go."""
    point = dispatcher.point
    assert point is not None and point._checkpointer is not None
    checkpointer = point._checkpointer
    assert checkpointer.finished() is None and not await point.checkpoint_passed()
    checkpointer._hold(True)
    waiting = asyncio.ensure_future(point.checkpoint_passed())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await asyncio.to_thread(checkpointer._hold, False)
    assert await asyncio.wait_for(waiting, 5) is True
    assert checkpointer.finished() is None
