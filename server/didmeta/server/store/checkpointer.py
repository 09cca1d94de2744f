"""WAL checkpoints of a SQLite catalogue, off the event loop.

In WAL mode a commit that takes the write-ahead log past `wal_autocheckpoint` pages (1,000 by default)
runs a checkpoint in the committing call: it copies the log's pages into the database file and syncs
it, some milliseconds on this machine, every 100-200 SetMetadata calls. The event loop's own SQLite
writer (server/point.py `write_on_loop`) commits on the loop, so that checkpoint stopped every call the
loop was serving (in process, the p99 of a loop write was 9.4 ms and 40 of 4,000 took over 2 ms; with
this thread 0.6 ms and none: docs/performance.md "SQLite checkpoints off the event loop").

The loop's writer therefore runs with `wal_autocheckpoint=0`, and tells a `Checkpointer` of each write;
every `every` writes it wakes a thread of its own, which checkpoints over a connection of its own in two
steps:

1. `PRAGMA wal_checkpoint(PASSIVE)` with no lock: it copies the log's pages while the loop goes on
   writing (a passive checkpoint neither takes the write lock nor waits for readers);
2. the same again holding the process's SQLite write lock (`Store._write_lock`), which copies the few
   pages written meanwhile. SQLite starts the log over at its beginning only when a writer begins after a
   checkpoint that copied all of it; under a steady stream of writes the first step alone never catches
   up, and the log would grow without end (75 MB over 3,000 writes in the test, against a few MB).

From the moment the thread asks for the lock until it lets go (`pending`), the loop's writer stands aside
(taking the lock between two of its own writes at once, it would keep it from the thread for as long as
writes come), and a SetMetadata it refuses awaits the end of that step on the loop (`finished`, an asyncio
future the thread resolves) and is made there. Sent to a worker thread instead, as for any other writer,
the refused writes queued for the lock in threads, kept it busy, and every later write went to a thread
as well (measured: twice the server's CPU per SetMetadata, half the rate).

The other connections (worker threads, other processes) keep their automatic checkpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

#: Loop writes between two checkpoints (a SetMetadata dirties ~4-5 pages of the log: ~1,000 pages).
CHECKPOINT_EVERY = 200
_PASSIVE = "PRAGMA wal_checkpoint(PASSIVE)"


class Checkpointer:
    """Runs passive WAL checkpoints of one SQLite file in a daemon thread, when `wrote` says it is time."""

    def __init__(self, database: str, write_lock: threading.Lock, every: int = CHECKPOINT_EVERY) -> None:
        self.database = database
        self.write_lock = write_lock
        self.every = every
        #: Checkpoints run so far (tests and logs).
        self.runs = 0
        self._writes = 0
        self._due = threading.Event()
        self._holding = False  # the thread wants or holds the write lock (the second step)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wrote(self) -> None:
        """One more write committed by the loop's writer (called on the loop: a counter, at times a wake-up)."""
        self._writes += 1
        if self._writes >= self.every:
            self._writes = 0
            if self._thread is None:
                self._start()
            self._due.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="didmeta-sqlite-checkpoint", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self.database, isolation_level=None)
        try:
            while True:
                self._due.wait()
                self._due.clear()
                if self._stopping:
                    return
                try:
                    connection.execute(_PASSIVE).fetchone()  # the bulk of the log, writers going on
                    self._hold(True)  # from now the loop's writer stands aside (`pending`), or it would keep the lock
                    try:
                        with self.write_lock:  # the rest, no writer of this process appending meanwhile
                            busy, pages, copied = connection.execute(_PASSIVE).fetchone()
                    finally:
                        self._hold(False)
                    self.runs += 1
                    log.debug("WAL checkpoint: %s of %s pages copied (busy: %s)", copied, pages, busy)
                except sqlite3.Error as error:  # the next wake-up tries again; automatic ones go on elsewhere
                    log.warning("a WAL checkpoint of %s failed: %s", self.database, error)
        finally:
            connection.close()

    def _hold(self, holding: bool) -> None:
        """Mark the second step begun or ended; at its end, wake the loop writes that wait for it."""
        with self._lock:
            self._holding = holding
            waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
            if not holding:
                waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, future)

    @property
    def pending(self) -> bool:
        """Whether the thread wants or holds the write lock for the second step: the loop's writer must not
        take the lock now (it takes it between two of its own writes at once, and the thread would wait)."""
        return self._holding

    def finished(self) -> asyncio.Future[None] | None:
        """While the thread wants or holds the write lock: a future of the running loop resolved when it lets
        go; otherwise None (the lock is held by another writer: the caller goes its usual way)."""
        with self._lock:
            if not self._holding:
                return None
            loop = asyncio.get_running_loop()
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, future))
            return future

    def close(self) -> None:
        """Stop the thread (at shutdown); the last connection to close checkpoints the log itself."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._due.set()
        if thread is not None:
            thread.join(timeout=10)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
