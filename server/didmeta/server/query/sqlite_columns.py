"""Arrow listings on SQLite: the few ADBC calls query/arrow_sql.py makes, over the process's own SQLite.

adbc-driver-sqlite links a second copy of SQLite, and two copies in one process break each other's POSIX
file locks (closing a file in one drops the other's locks; writes after an ADBC read failed with "disk
I/O error"). This module gives `ConnectionPool` and `ColumnStream` the same calls (`connect`, `cursor`,
`execute`, `fetchall`, `fetch_record_batch`, `read_next_batch`, `adbc_cancel`, `close`) on Python's
`sqlite3`, the library the catalogue's own connections use. A record batch is `BATCH_ROWS` rows of the
driver, turned into Arrow columns with one `pyarrow.array` call per column: the listing's SQL selects
text, integers and nulls only (its text columns that may be NULL are coalesced and flagged, arrow_sql.py),
so each column has one Arrow type. Cancelling interrupts the running statement (`Connection.interrupt`).
"""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Any

import pyarrow as pa

#: Rows per record batch: the default cap on a message's DIDs (as the ADBC SQLite driver was set to).
BATCH_ROWS = 5000
#: How long a listing waits for a writer's lock, as didmeta's own connections do (store/engine.py).
BUSY_TIMEOUT_MS = 30000


class Reader:
    """The record batches of one executed query."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor: sqlite3.Cursor | None = cursor
        self._names = [column[0] for column in cursor.description or ()]

    def read_next_batch(self) -> pa.RecordBatch:
        """The next `BATCH_ROWS` rows as columns; StopIteration at the end."""
        rows = self._cursor.fetchmany(BATCH_ROWS) if self._cursor is not None else []
        if not rows:
            raise StopIteration
        columns = zip(*rows, strict=True)
        return pa.RecordBatch.from_arrays([pa.array(column) for column in columns], names=self._names)

    def close(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            cursor.close()


class Cursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._cursor = connection.cursor()

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def execute(self, sql: str) -> None:
        self._cursor.execute(sql)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetch_record_batch(self) -> Reader:
        return Reader(self._cursor)

    def adbc_cancel(self) -> None:
        """Interrupt the running statement (any thread): the reader's next fetch fails."""
        self._connection.interrupt()

    def close(self) -> None:
        self._cursor.close()


class Connection:
    """A read-only connection to the catalogue file, usable from any thread (one at a time)."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._connection.execute("PRAGMA query_only=1")

    def cursor(self) -> Cursor:
        return Cursor(self._connection)

    def close(self) -> None:
        self._connection.close()


def connect(path: str, autocommit: bool = True) -> Connection:
    """A connection to the SQLite file at `path` (statements run in autocommit: each read sees the latest
    committed data)."""
    return Connection(path)
