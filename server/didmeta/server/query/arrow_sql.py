"""Arrow listings straight from the database: the listing's SQL, metadata extracted in it, fetched with ADBC.

The planner's statement of a pure-SQL listing (filter, types, recursion, limit, resume key, unreadable
scopes and embargo all compiled in) gets one extra column per requested metadata key, the same as
long listings (query/meta_sql.py: an optimised DID_COLUMN column as `m<i>`, a JSON plugin
key as its JSON text `m<i>`).

The statement is compiled with its values inlined (`literal_binds`, the dialect's own quoting) and run
through `adbc-driver-postgresql`, whose record batches are the columns: no Python object per row. On
SQLite the same calls run over the process's own sqlite3 (query/sqlite_columns.py: the statement selects
each row as one CSV line, `printf` in SQLite, parsed into columns by pyarrow's CSV reader;
adbc-driver-sqlite links a second copy of SQLite, and two copies in one process break each other's file
locks). query/arrow.py turns the batches into the ARROW columns (typing each JSON key's column per
message from the JSON types of its texts).

`open_columns` returns None when the listing cannot take this path, and the caller builds batches from
row tuples instead (query/arrow.py `record_batch`): an in-memory SQLite catalogue, filters on external
plugins (merged streams), no ADBC driver installed (PostgreSQL), or a statement whose values cannot be
inlined.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import sqltypes

from didmeta.errors import Cancelled, DidmetaError
from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.query.meta_sql import MetaColumn, listing_statement
from didmeta.server.query.plan import ListQuery
from didmeta.server.query.sqlite_columns import LineQuery, line_statement
from didmeta.server.status import catalogue_unavailable
from didmeta.server.store.engine import Store
from didmeta.values import dump_json

log = logging.getLogger("didmeta.server.query.arrow_sql")

_IDLE_CONNECTIONS = 4  # ADBC connections kept open per database between listings


def _json_literal(cast_to: str) -> Callable[[Any], str]:
    """The literal of a JSON value: its storage text (values.dump_json, as the engine serialises), quoted."""

    def render(value: Any) -> str:
        return "'" + dump_json(value).replace("'", "''") + "'::" + cast_to

    return render


class _InlineJSONB(postgresql.JSONB):
    def literal_processor(self, dialect: Any) -> Callable[[Any], str]:
        return _json_literal("jsonb")


class _InlineJSON(postgresql.JSON):
    def literal_processor(self, dialect: Any) -> Callable[[Any], str]:
        return _json_literal("json")


class _InlinePostgreSQL(postgresql.dialect):  # type: ignore[misc,valid-type]
    """PostgreSQL's dialect with JSON values rendered as literals (the JSON plugin's conditions bind some)."""

    colspecs = {**postgresql.dialect.colspecs, postgresql.JSONB: _InlineJSONB, sqltypes.JSON: _InlineJSON}


def compile_inline(statement: Select[Any], dialect: str) -> str:
    """The SQL text of `statement` with every value inlined by the dialect's literal rendering."""
    target: Any = sqlite.dialect() if dialect == "sqlite" else _InlinePostgreSQL(paramstyle="numeric_dollar")
    return str(statement.compile(dialect=target, compile_kwargs={"literal_binds": True, "render_postcompile": True}))


def _driver(dialect: str) -> Any | None:
    """ADBC's PostgreSQL driver; on SQLite the same calls over the process's own sqlite3 (sqlite_columns.py)."""
    name = "didmeta.server.query.sqlite_columns" if dialect == "sqlite" else "adbc_driver_postgresql.dbapi"
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


class ConnectionPool:
    """A few idle ADBC connections to one database, reused across listings (autocommit, read only)."""

    def __init__(self, store: Store) -> None:
        self.dialect = store.dialect
        url = make_url(store.url)
        if self.dialect == "sqlite":
            self.target = str(url.database)
        else:
            self.target = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def get(self, fresh: bool = False) -> tuple[Any, bool]:
        """(an open connection, whether it was reused from the pool)."""
        if not fresh:
            with self._lock:
                if self._idle:
                    return self._idle.pop(), True
        driver = _driver(self.dialect)
        assert driver is not None
        return driver.connect(self.target, autocommit=True), False

    def put(self, conn: Any, healthy: bool) -> None:
        with self._lock:
            if healthy and len(self._idle) < _IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        with contextlib.suppress(Exception):
            conn.close()


_pools: dict[str, ConnectionPool] = {}  # by database URL
_pools_lock = threading.Lock()


def close_pools() -> None:
    """Close every idle ADBC connection (at exit: a connection left to the interpreter's teardown makes
    adbc_driver_manager print "Exception ignored in Connection.__del__")."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        with pool._lock:
            idle, pool._idle = pool._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()


atexit.register(close_pools)


def pool_for(store: Store) -> ConnectionPool:
    with _pools_lock:
        pool = _pools.get(store.url)
        if pool is None:
            pool = _pools[store.url] = ConnectionPool(store)
        return pool


class ColumnStream:
    """The record batches of one listing query, `fetch(n)` rows at a time; bounded by the driver's batches."""

    def __init__(self, pool: ConnectionPool, sql: str | LineQuery) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._cancelled = False
        self._healthy = True
        self._conn: Any | None = None
        self._cursor: Any | None = None
        self._reader: Any | None = None
        self._held: list[Any] = []  # batches read but not yet returned, in order
        self._statement = sql.sql if isinstance(sql, LineQuery) else sql
        conn, reused = self._connect(fresh=False)
        try:
            self._start(conn, sql)
        except Exception:
            if not reused:
                raise
            # A pooled connection may have gone stale (server restart, idle timeout): one fresh try.
            conn, _ = self._connect(fresh=True)
            self._start(conn, sql)

    def _connect(self, fresh: bool) -> tuple[Any, bool]:
        try:
            return self._pool.get(fresh=fresh)
        except Exception as error:  # no connection: the database cannot be reached (as status.py reports a lost one)
            raise catalogue_unavailable(error) from error

    def _start(self, conn: Any, sql: str | LineQuery) -> None:
        self._conn, self._healthy = conn, True
        try:
            self._cursor = conn.cursor()
            self._cursor.execute(sql)
            self._reader = self._cursor.fetch_record_batch()
        except Exception as error:
            self._healthy = False
            failure = self._explained(error)  # before the connection is closed: it may be asked
            self._release()
            raise failure from error
        except BaseException:
            self._healthy = False
            self._release()
            raise

    def _explained(self, error: Exception) -> Exception:
        """A failed statement or read as the row path reports it (status.py): sqlite3's errors as SQLAlchemy's
        (a busy file: ABORTED, an unusable one: UNAVAILABLE); ADBC's, which carry no SQLSTATE, UNAVAILABLE when
        the listing's connection no longer answers (the database went away or ended the session), else the
        error itself (a failing statement: INTERNAL)."""
        if isinstance(error, sqlite3.Error):
            return cast(Exception, sa_exc.DBAPIError.instance(self._statement, None, error, sqlite3.Error))
        if isinstance(error, DidmetaError) or self._conn is None or _answers(self._conn):
            return error
        return catalogue_unavailable(error)

    def fetch(self, count: int) -> Any | None:
        """A record batch of up to `count` rows (the raw SQL columns); None at the end.

        A slice of one driver batch, never a concatenation: no copy (a message may then hold fewer
        than `count` DIDs, which the contract allows)."""
        with self._lock:
            if self._cancelled:
                raise Cancelled("the listing was cancelled")
            while not self._held and self._reader is not None:
                try:
                    batch = self._reader.read_next_batch()
                except StopIteration:
                    self._release(finished=True)
                    break
                except Exception as error:
                    self._healthy = False
                    if self._cancelled:
                        raise Cancelled("the listing was cancelled") from None
                    raise self._explained(error) from error
                except BaseException:
                    self._healthy = False
                    raise
                if batch.num_rows:
                    self._held.append(batch)
            if not self._held:
                return None
            batch = self._held.pop(0)
            if batch.num_rows > count:
                self._held.insert(0, batch.slice(count))
                batch = batch.slice(0, count)
            return batch

    def push_back(self, batch: Any) -> None:
        """Return rows (the tail of the last fetch) to be fetched first next time (bytes cap)."""
        with self._lock:
            if batch.num_rows:
                self._held.insert(0, batch)

    def cancel(self) -> None:
        """Stop the running query (any thread)."""
        self._cancelled = True
        cursor = self._cursor
        if cursor is not None and self._reader is not None:
            self._healthy = False
            with contextlib.suppress(Exception):
                cursor.adbc_cancel()

    def close(self) -> None:
        with self._lock:
            self._held = []
            self._release()

    def _release(self, finished: bool = False) -> None:
        reader, self._reader = self._reader, None
        cursor, self._cursor = self._cursor, None
        conn, self._conn = self._conn, None
        try:
            if reader is not None:
                if not finished:
                    self._healthy = False  # an unfinished result: do not reuse the connection
                reader.close()
            if cursor is not None:
                cursor.close()
        except Exception:
            self._healthy = False
        if conn is not None:
            self._pool.put(conn, self._healthy)


def _answers(conn: Any) -> bool:
    """Whether a connection still runs a statement (after one of its reads failed)."""
    try:
        with contextlib.closing(conn.cursor()) as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()
    except Exception:
        return False
    return True


def open_columns(
    dispatcher: Dispatcher,
    query: ListQuery,
    *,
    after: DidKey | None,
    limit: int | None,
    columns: Sequence[MetaColumn],
) -> ColumnStream | None:
    """The columnar stream of a listing, or None when it must be built from rows (module doc)."""
    store = dispatcher.store
    if store.dialect == "sqlite" and make_url(store.url).database in (None, "", ":memory:"):
        return None  # an in-memory catalogue: only the store's own connection sees it
    if _driver(store.dialect) is None:
        return None
    if not dispatcher.planner.is_pure_sql(query):
        return None
    statement = listing_statement(
        dispatcher.planner.select_page(query, long=True, after=after, limit=limit, wide=True), store.dialect, columns
    )
    sql: str | LineQuery
    try:
        if store.dialect == "sqlite":
            lines, names, integers = line_statement(statement)
            sql = LineQuery(compile_inline(lines, "sqlite"), names, integers)
        else:
            sql = compile_inline(statement, store.dialect)
    except SQLAlchemyError as error:  # a value without a literal rendering: the row path handles it
        log.debug("arrow listing built from rows: %s", error)
        return None
    return ColumnStream(pool_for(store), sql)
