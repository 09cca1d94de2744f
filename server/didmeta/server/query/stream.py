"""A server-side cursor over one SQL query, fetched batch by batch from worker threads.

`cancel()` may be called from any thread: it interrupts a running statement through the driver
(`sqlite3.Connection.interrupt`, psycopg `cancel_safe`), so a cancelled or expired call stops the
query instead of letting it run on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Executable
from sqlalchemy.engine import CursorResult

from didmeta.errors import Cancelled
from didmeta.server.store.engine import Store
from didmeta.server.store.failures import as_sqlalchemy_error


def _unprocessed(result: CursorResult[Any]) -> bool:
    """Whether SQLAlchemy hands the result's rows over as the driver returns them (no column's type
    converts its values): only then may they be read from the cursor itself."""
    return getattr(getattr(result, "_metadata", None), "_effective_processors", True) is None


class RowStream(Protocol):
    """What the ListDids servicer reads rows from: one SQL cursor, or merged streams."""

    def fetch(self, count: int) -> Sequence[Any]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class QueryStream:
    """Rows of one query, in order, `fetch(n)` at a time; `close()` releases the connection."""

    def __init__(self, store: Store, statement: Executable, params: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._conn: Connection | None = store.reader()
        try:
            if store.dialect == "postgresql":
                self._conn = self._conn.execution_options(stream_results=True, max_row_buffer=5000)
            self._result: CursorResult[Any] | None = self._conn.execute(statement, params or {})
            # SQLite: rows straight from the driver's cursor (the listed columns, text and integers, need
            # no SQLAlchemy result processing; about a third faster per row). PostgreSQL streams through
            # a server-side cursor whose first row SQLAlchemy has already buffered: the first fetch reads
            # the result, the next ones the cursor itself when no column needs processing (`_read_cursor`).
            self._fetchmany: Callable[[int], Sequence[Any]] = (
                self._result.cursor.fetchmany if store.dialect == "sqlite" else self._result.fetchmany
            )
            self._cursor_next = store.dialect == "postgresql" and _unprocessed(self._result)
        except BaseException:
            self._conn.close()
            self._conn = None
            raise

    def fetch(self, count: int) -> Sequence[Any]:
        """Up to `count` rows; an empty sequence at the end."""
        with self._lock:
            if self._cancelled:
                raise Cancelled("the listing was cancelled")
            if self._result is None:
                return []
            rows: Sequence[Any] = self._fetchmany(count)
            if not rows:
                self._release()
            elif self._cursor_next:  # SQLAlchemy's buffer is empty after its first fetch
                self._cursor_next = False
                self._fetchmany = self._read_cursor
            return rows

    def _read_cursor(self, count: int) -> Sequence[Any]:
        """PostgreSQL: rows from the server-side cursor, without SQLAlchemy's row objects (a third of the
        fetch's CPU), its errors raised as SQLAlchemy raises them (cancelled, lost connection)."""
        import psycopg  # PostgreSQL only

        cursor = None if self._result is None else self._result.cursor
        if cursor is None or self._conn is None:  # SQLAlchemy closed it: its first fetch reached the end
            return []
        try:
            rows: Sequence[Any] = cursor.fetchmany(count)
        except psycopg.Error as error:
            raise as_sqlalchemy_error(self._conn, "FETCH", error, psycopg.Error) from error
        return rows

    def cancel(self) -> None:
        """Interrupt a running statement (any thread)."""
        self._cancelled = True
        conn = self._conn
        if conn is None:
            return
        try:
            dbapi = conn.connection.dbapi_connection
            if dbapi is None:
                return
            if hasattr(dbapi, "interrupt"):
                dbapi.interrupt()
            elif hasattr(dbapi, "cancel_safe"):
                dbapi.cancel_safe()
        except Exception:
            pass

    def close(self) -> None:
        with self._lock:
            self._release()

    def _release(self) -> None:
        if self._result is not None:
            self._result.close()
            self._result = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
