"""WAL checkpoints of a SQLite catalogue, off the event loop.

In WAL mode a commit that takes the write-ahead log past `wal_autocheckpoint` pages (1,000 by default)
runs a checkpoint in the committing call: it copies the log's pages into the database file and syncs
it, some milliseconds on this machine, every 100-200 SetMetadata calls. The event loop's own SQLite
writer (server/point.py `write_on_loop`) commits on the loop, so that checkpoint stopped every call the
loop was serving (in process, the p99 of a loop write was 9.4 ms and 40 of 4,000 took over 2 ms; with
this thread 0.6 ms and none: docs/performance.md "SQLite checkpoints off the event loop").

The loop's writer therefore runs with `wal_autocheckpoint=0`, and tells a `Checkpointer` of each write;
every `every` writes it wakes a thread of its own, and the checkpoint is made in two steps:

1. the thread runs `PRAGMA wal_checkpoint(PASSIVE)` over a connection of its own: it copies the bulk of the
   log's pages while the loop goes on writing (a passive checkpoint neither takes the write lock nor waits
   for readers);
2. the loop's writer, right after its next commit, runs the same on its own connection (`finish`): it
   copies the few pages written meanwhile and syncs. No write of the loop can come in between, so the log
   is copied to its end, and SQLite starts it over at its beginning with the next write. Under a steady
   stream of writes the first step alone never catches up, and the log would grow without end (75 MB over
   3,000 writes in the test, against a few MB).

A first version made the second step in the thread too, holding the process's write lock while the loop's
writes waited on the loop. That step took 6-7 ms in process for a few pages and a sync of a fraction of a
millisecond: the thread needed the GIL back after each SQLite call, and the loop, busy in Python, gave it
up only when the interpreter's switch interval (5 ms) made it. Every write of the moment waited that long
(docs/performance.md, "SQLite's checkpoint finished by the loop's writer"). Made by the loop itself, the
second step holds the loop for the copy and the sync alone.

The other connections (worker threads, other processes) keep their automatic checkpoints.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

#: Loop writes between two checkpoints (a SetMetadata dirties ~4-5 pages of the log: ~1,000 pages).
CHECKPOINT_EVERY = 200
_PASSIVE = "PRAGMA wal_checkpoint(PASSIVE)"


class Checkpointer:
    """Runs the bulk of the WAL checkpoints of one SQLite file in a daemon thread, when `wrote` says it is
    time; the loop's writer finishes each (`finish`)."""

    def __init__(self, database: str, every: int = CHECKPOINT_EVERY) -> None:
        self.database = database
        self.every = every
        #: Checkpoints finished so far (tests and logs).
        self.runs = 0
        self._writes = 0
        self._due = threading.Event()
        #: The thread's step is done: the loop's writer finishes the checkpoint after its next commit.
        self.finish_due = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wrote(self, writes: int = 1) -> None:
        """More writes committed by the loop's writer (called on the loop: a counter, at times a wake-up)."""
        self._writes += writes
        if self._writes >= self.every:
            self._writes = 0
            if self._thread is None:
                self._start()
            self._due.set()

    def finish(self, writer: sqlite3.Connection) -> None:
        """The checkpoint's second step, on the loop's writer between two of its writes (no transaction open):
        the pages written since the thread's step, then the sync. A failure is logged; the next one tries."""
        self.finish_due = False
        try:
            busy, pages, copied = writer.execute(_PASSIVE).fetchone()
        except sqlite3.Error as error:
            log.warning("finishing a WAL checkpoint of %s failed: %s", self.database, error)
            return
        self.runs += 1
        log.debug("WAL checkpoint: %s of %s pages copied (busy: %s)", copied, pages, busy)

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
                    connection.execute(_PASSIVE).fetchone()  # the bulk of the log, the loop writing on
                except sqlite3.Error as error:  # the next wake-up tries again; automatic ones go on elsewhere
                    log.warning("a WAL checkpoint of %s failed: %s", self.database, error)
                    continue
                self.finish_due = True
        finally:
            connection.close()

    def close(self) -> None:
        """Stop the thread (at shutdown); the last connection to close checkpoints the log itself."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._due.set()
        if thread is not None:
            thread.join(timeout=10)
