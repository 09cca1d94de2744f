"""Point reads and writes of one DID: GetMetadata and SetMetadata without the generic machinery.

The generic path (`Dispatcher.get_metadata` / `set_metadata`) builds SQLAlchemy statements per call,
asks every plugin in turn, checks existence, locks and reads old values in separate statements, and
runs in a worker thread. For the catalogue's own plugins (DID_COLUMN and JSON, both columns of the
`dids` row) one row holds everything, so this module answers with fixed SQL text, built once per
dialect, and one statement per step:

- GetMetadata: one `SELECT` of the row (the existence check, DID_COLUMN's columns and the JSON
  document at once). On a SQLite file the read runs on the event loop itself, over a connection of
  its own (a primary-key look-up in WAL mode takes microseconds and never waits for a writer). On
  PostgreSQL the event loop awaits it over an asyncpg connection of its own (`read_async`,
  store/loop_pool.py: autocommit, the statement prepared, one round trip, no thread hand-off); when
  that fails (connection lost, database unreachable) the call goes to a worker thread (`read`), over
  a connection that thread keeps, which answers or fails as the generic path does.
- SetMetadata (not recursive): in the same unit of work as the generic path (`Dispatcher._write`:
  retries, SQLite write lock), one `SELECT ... FOR NO KEY UPDATE` of the row (existence, old values
  for the history, the JSON document), then the `UPDATE` of the columns and the document and the
  history insert: on PostgreSQL one statement (`WITH changed AS (UPDATE ...) INSERT INTO history ...`,
  one round trip fewer), on SQLite two. On a SQLite file whose write lock is free it runs on the event
  loop (`write_on_loop`), its statements on the sqlite3 connection itself (no SQLAlchemy result set-up;
  any driver error rolls it back for a worker thread to redo); on PostgreSQL the event loop awaits the
  write over one of its own connections (`set_async`), in one statement when PostgreSQL can render the
  old values for the history (one_statement_write.py: the locking read, the update and the history
  insert, one round trip), else optimistically, from the row that statement returns or a read of its own:
  the row read with its version
  (`xmin`, no lock, autocommit), then one statement that updates it only if that version is still the
  row's and inserts its history rows only if it did; two round trips instead of a transaction's four
  (BEGIN, locking read, update, COMMIT). When another writer changed the row in between, that locking
  transaction runs on the same connection; the worker thread's unit of work is the fallback. (psycopg
  pipeline mode for BEGIN + SELECT was measured and not kept: its own Python work cost more than the
  round trips it saved, docs/performance.md.)

Values go through the same conversions as the plugins' own reads and writes (`did_column.row_metadata`,
the column types' bind and result processors, `to_json`/`from_json`), and errors are the same
(NOT_FOUND naming the DID, INVALID_ARGUMENT naming the field). What the fast path does not cover
falls back to the generic path: another plugin in the answer or the write, recursive writes, a SQLite
read that finds the database busy, and a caller who does not see every DID (embargoes: `Viewer`) except
for GetMetadata on the loop and SetMetadata: their row's read (for a write, its locking read) also asks
whether an embargo in force hides the DID from the caller (access/embargo.py `hidden_sql`, walking up
the DID's ancestors; on SQLite's event loop under a step budget), unless the caller holds a capability
that shows embargoed DIDs (the generic path applies those).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from didmeta.attributes import COLLECTION_ONLY
from didmeta.errors import NotFound
from didmeta.identifiers import DidKey, DidType
from didmeta.plugins.base import MetadataPlugin, UnitOfWork
from didmeta.plugins.did_column import READ_COLUMNS, DidColumnPlugin, column_metadata_value, row_metadata
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.plugins.sql_conditions import naive_utc
from didmeta.server.access.embargo import SEEING_RIGHTS, hidden_sql
from didmeta.server.access.identity import current_identity
from didmeta.server.history import COLUMNS as HISTORY_COLUMNS
from didmeta.server.history import Change, History
from didmeta.server.one_statement_write import OneStatementWrite
from didmeta.server.store.bulk import insert_sql
from didmeta.server.store.catalog import utcnow
from didmeta.server.store.checkpointer import Checkpointer
from didmeta.server.store.engine import READ_ONLY, Store
from didmeta.server.store.loop_pool import LoopFailure, LoopPool, Session
from didmeta.server.store.replicas import replica_reads_allowed
from didmeta.server.store.schema import dids, embargoes
from didmeta.values import Metadata, from_json, to_json

log = logging.getLogger(__name__)
Processor = Callable[[Any], Any] | None
#: The generic path's history records of a write: `changes_of(old values, applied items)`.
ChangesOf = Callable[[dict[DidKey, Metadata], list[tuple[DidKey, Metadata]]], list[Change]]
T = TypeVar("T")

#: Busy timeout of the event loop's own SQLite connection: past it the read goes to a worker thread.
LOOP_BUSY_TIMEOUT_MS = 50
#: SQLite virtual-machine steps between two calls of a loop read's progress handler (its step budget).
_PROGRESS_EVERY = 1000
#: Worker threads that keep a read connection of their own (the rest check one out per call); PostgreSQL
#: pools 8 + 8 overflow connections per process (store/engine.py), so half stays for everything else.
MAX_HELD = 8
#: PostgreSQL connections of the event loop's own reads (GetMetadata): the loop waits on at most this many
#: queries at once; more concurrent calls wait for one (each read holds its connection one round trip).
LOOP_CONNECTIONS = 8
#: SQLite virtual-machine steps a non-admin's point read (with its embargo check) may take on the event loop
#: (~1 ms); past them it goes to a worker thread.
MAX_CHECKED_STEPS = 30_000
#: History records a PostgreSQL SetMetadata inserts in its UPDATE statement (more: a separate insert).
MAX_INLINE_RECORDS = 100
#: The PostgreSQL type each history value is cast to in the optimistic write's VALUES list (the insert then
#: assigns it to the column's own type, which refuses a value too long as a plain insert does).
_HISTORY_CASTS = {"at": "timestamp"}
#: Optimistic-write statements kept per PointAccess (one per set of columns and count of history records).
MAX_VERSIONED_STATEMENTS = 256
_COLUMNS = (*READ_COLUMNS, "meta")
_META = len(READ_COLUMNS)  # index of `meta` in a row
_DID_TYPE = READ_COLUMNS.index("did_type")
#: The index in a row of each column `row_metadata` turns into a metadata key (not scope, name, did_type).
_META_INDEX = {name: i for i, name in enumerate(READ_COLUMNS) if name not in ("scope", "name", "did_type")}
_HISTORY_INSERT = insert_sql("history", HISTORY_COLUMNS, postgres=False)  # the loop writer's history rows


def _shown(key: DidKey, raw: Sequence[Any] | None, checked: bool) -> Sequence[Any] | None:
    """The row of a statement that checked embargoes, without its last column (whether one hides the row):
    NOT_FOUND when one does, as for a missing DID (access/embargo.py: a hidden DID must not be told apart)."""
    if not checked or raw is None:
        return raw
    if raw[-1]:
        raise not_found(key)
    return raw[:-1]


@contextmanager
def _step_budget(connection: sqlite3.Connection, max_steps: int) -> Iterator[list[int]]:
    """Interrupt the SQLite statements run in this block after about `max_steps` virtual-machine steps
    (about 30 per microsecond here); yields the count so far: above `max_steps`, an error was the budget."""
    steps = [0]

    def progress() -> int:
        steps[0] += _PROGRESS_EVERY
        return 1 if steps[0] > max_steps else 0  # non-zero interrupts the statement

    connection.set_progress_handler(progress, _PROGRESS_EVERY)
    try:
        yield steps
    finally:
        connection.set_progress_handler(None, 0)


class _TakeThreadPath(Exception):
    """A write the event loop leaves to the worker thread's path (rolled back, nothing written)."""


def not_found(key: DidKey) -> NotFound:
    """The error of a missing DID, as catalog.require_dids words it."""
    return NotFound(f"DID {key} does not exist", reason="DID_NOT_FOUND", metadata={"did": str(key)})


def caller_sees_everything() -> bool:
    """True for admins and in-process callers (no identity): no embargo condition applies (access.embargo)."""
    identity = current_identity.get(None)
    return identity is None or identity.is_admin


def embargo_check() -> bool | None:
    """How this path treats the caller's view: False, it sees every DID; True, embargoes apply and the
    statement's own check (`hidden_sql`, the scopes the caller owns exempt) decides; None, the caller holds a
    capability that shows the embargoed DIDs of some scopes: the generic path (`Viewer`) matches its patterns."""
    identity = current_identity.get(None)
    if identity is None or identity.is_admin:
        return False
    if any(capability.right in SEEING_RIGHTS for capability in identity.capabilities):
        return None
    return True


class PointAccess:
    """Fixed-SQL point reads and writes on the `dids` row; `None` from `for_plugins` when it does not apply."""

    def __init__(self, store: Store, did_column: DidColumnPlugin, json: JsonColumnPlugin | None) -> None:
        self.store = store
        self.did_column = did_column
        self.json = json
        dialect = store.engine.dialect
        mark = "?" if store.is_sqlite else "%s"
        # For a caller who does not see every DID: the same row and, in the same statement (one snapshot),
        # whether an embargo hides it from that caller (access/embargo.py; named parameters).
        param: Callable[[str], str] = (lambda n: f":{n}") if store.is_sqlite else (lambda n: f"%({n})s")
        hidden = hidden_sql(*map(param, ("scope", "name", "now", "account")))

        def selects(select_list: str) -> tuple[str, str]:
            """The row's read for any caller, and for one embargoes apply to (the embargo flag last)."""
            return (
                f"SELECT {select_list} FROM dids WHERE scope = {mark} AND name = {mark}",
                f"SELECT {select_list}, {hidden} FROM dids WHERE scope = {param('scope')} AND name = {param('name')}",
            )

        self._select, self._select_viewer = selects(", ".join(_COLUMNS))
        # The event loop's optimistic PostgreSQL write: the row with its version (xmin, before the embargo flag).
        self._select_versioned, self._select_viewer_versioned = selects(f"{', '.join(_COLUMNS)}, xmin")
        self._until = embargoes.c.until.type.dialect_impl(dialect).bind_processor(dialect)
        self._versioned_updates: dict[tuple[tuple[str, ...], int], str] = {}
        lock = "" if store.is_sqlite else " FOR NO KEY UPDATE"
        self._select_for_update = self._select + lock
        self._select_viewer_for_update = self._select_viewer + lock
        self._mark = mark
        self._results: list[Processor] = [
            dids.c[name].type.dialect_impl(dialect).result_processor(dialect, None) for name in _COLUMNS
        ]
        self._binds: dict[str, Processor] = {
            column.name: column.type.dialect_impl(dialect).bind_processor(dialect) for column in dids.c
        }
        self._updates: dict[tuple[str, ...], str] = {}
        self._local = threading.local()
        self._held: set[Connection] = set()
        self._held_lock = threading.Lock()
        self._loop_connection: sqlite3.Connection | None = None
        self._loop_writer: Connection | None = None
        self._loop_lock = threading.Lock()
        database = store.engine.url.database
        # The event loop reads SQLite files directly; an in-memory database has one shared connection.
        self.reads_on_loop = store.is_sqlite and database not in (None, "", ":memory:")
        # The loop's SQLite writer does not checkpoint the WAL itself: a thread does (store/checkpointer.py).
        write_lock = store.sqlite_write_lock
        self._checkpointer = (
            Checkpointer(database, write_lock) if self.reads_on_loop and database and write_lock is not None else None
        )
        # On PostgreSQL the loop awaits its reads and writes over asyncpg connections of its own.
        self._loop_pool = None if store.is_sqlite else LoopPool(store.engine, LOOP_CONNECTIONS)
        # ... and writes one row in one statement when PostgreSQL can render its old values (one_statement_write.py).
        self._one_statement: OneStatementWrite | None = None if store.is_sqlite else OneStatementWrite(_COLUMNS, hidden)

    @classmethod
    def for_plugins(cls, store: Store, plugins: Sequence[MetadataPlugin]) -> PointAccess | None:
        """The fast path when the enabled plugins allow it (DID_COLUMN, optionally JSON, and others after)."""
        if not plugins or type(plugins[0]) is not DidColumnPlugin:
            return None
        json = next((p for p in plugins if type(p) is JsonColumnPlugin), None)
        return cls(store, plugins[0], json)

    # --- which calls it takes -------------------------------------------------------------------
    def reads(self, selected: Sequence[MetadataPlugin], *, on_loop: bool = False) -> bool:
        """Whether a GetMetadata of these plugins can be answered from the row alone (on the primary: a read
        that may go to a read replica takes the general path, store/replicas.py). A caller who does not see
        every DID is answered only on the loop, whose statement checks embargoes (`_statement`)."""
        if self.store.replicas is not None and replica_reads_allowed():
            return False
        return all(p is self.did_column or p is self.json for p in selected) and (on_loop or caller_sees_everything())

    def writes(self, owners: Sequence[str]) -> bool:
        """Whether a write whose keys belong to these plugins (by name) touches the row alone, for this caller
        (one who does not see every DID: the locking read checks embargoes, `_statement`)."""
        names = {self.did_column.name} | ({self.json.name} if self.json is not None else set())
        return set(owners) <= names and embargo_check() is not None

    # --- reads ----------------------------------------------------------------------------------
    def _metadata(self, key: DidKey, raw: Sequence[Any] | None, selected: Sequence[MetadataPlugin]) -> Metadata:
        if raw is None:
            raise not_found(key)
        row = [value if process is None else process(value) for process, value in zip(self._results, raw, strict=True)]
        merged: Metadata = {}
        for plugin in selected:
            if plugin is self.did_column:
                merged.update(row_metadata(row[:_META]))
            elif row[_META]:
                merged.update({name: from_json(value) for name, value in row[_META].items()})
        return merged

    def _sqlite_on_loop(self) -> sqlite3.Connection:
        """The event loop's own SQLite connection (call with `_loop_lock` held)."""
        connection = self._loop_connection
        if connection is None:
            connection = sqlite3.connect(
                self.store.engine.url.database or "", check_same_thread=False, isolation_level=None
            )
            connection.execute(f"PRAGMA busy_timeout={LOOP_BUSY_TIMEOUT_MS}")
            self._loop_connection = connection
        return connection

    def _statement(
        self, key: DidKey, *, locking: bool = False
    ) -> tuple[str, Sequence[Any] | Mapping[str, Any], bool] | None:
        """The SQL reading the row (`locking`: under its lock, for a write), its parameters, and whether it
        checks embargoes (a caller who does not see every DID); None when this path does not serve the
        caller (`embargo_check`)."""
        check = embargo_check()
        if check is None:
            return None
        if not check:
            return (self._select_for_update if locking else self._select), (key.scope, key.name), False
        identity = current_identity.get()
        params = {"scope": key.scope, "name": key.name, "now": self.embargo_time(), "account": identity.account}
        return (self._select_viewer_for_update if locking else self._select_viewer), params, True

    def _versioned_statement(self, key: DidKey) -> tuple[str, Sequence[Any] | Mapping[str, Any], bool] | None:
        """`_statement` for the optimistic write (PostgreSQL): the row, its version (xmin) last, no lock."""
        statement = self._statement(key)
        if statement is None:
            return None
        _, params, checked = statement
        return (self._select_viewer_versioned if checked else self._select_versioned), params, checked

    def embargo_time(self) -> Any:
        """Now, as the `until` column of `embargoes` compares it (naive UTC, in the driver's form)."""
        now = utcnow()
        return now if self._until is None else self._until(now)

    def _loop_answer(
        self, key: DidKey, raw: Sequence[Any] | None, checked: bool, selected: Sequence[MetadataPlugin]
    ) -> Metadata:
        """The metadata of a loop read. A missing DID, and one an embargo hides from the caller, are NOT_FOUND
        alike, as on the general path (access/embargo.py: a hidden DID must not be told apart)."""
        return self._metadata(key, _shown(key, raw, checked), selected)

    def read_on_loop(self, key: DidKey, selected: Sequence[MetadataPlugin]) -> Metadata | None:
        """The metadata from the event loop's own SQLite connection; None if the database is busy, or the
        caller's read is not one the loop answers (`_statement`, the step budget of the embargo check)."""
        statement = self._statement(key)
        if statement is None:
            return None
        sql, params, checked = statement
        if checked:  # the embargo check walks up the DID's ancestors: bounded like the quick listings
            rows = self.rows_on_loop(sql, params, MAX_CHECKED_STEPS)
            return None if rows is None else self._loop_answer(key, rows[0] if rows else None, checked, selected)
        try:
            with self._loop_lock:  # the loop is one thread; the lock only guards against misuse
                raw = self._sqlite_on_loop().execute(sql, params).fetchone()
        except sqlite3.Error as error:
            log.debug("point read on the event loop failed (%s); using a worker thread", error)
            self.close_loop_connection()
            return None
        return self._loop_answer(key, raw, checked, selected)

    def rows_on_loop(self, sql: str, params: Sequence[Any] | Mapping[str, Any], max_steps: int) -> list[Any] | None:
        """The rows of a read-only statement on the event loop's own SQLite connection, or None when it
        would take more than `max_steps` SQLite virtual-machine steps (about 30 per microsecond here:
        the statement is interrupted) or the database is busy or failing: the caller goes elsewhere."""
        steps = [0]
        with self._loop_lock:
            try:
                connection = self._sqlite_on_loop()
                with _step_budget(connection, max_steps) as steps:
                    return connection.execute(sql, params).fetchall()
            except sqlite3.OperationalError as error:
                if steps[0] > max_steps:
                    return None  # interrupted by the step budget: the connection is fine
                log.debug("a read on the event loop failed (%s); using a worker thread", error)
            except sqlite3.Error as error:
                log.debug("a read on the event loop failed (%s); using a worker thread", error)
        self.close_loop_connection()
        return None

    @property
    def reads_async(self) -> bool:
        """Whether `read_async` may answer (PostgreSQL)."""
        return self._loop_pool is not None

    async def read_async(self, key: DidKey, selected: Sequence[MetadataPlugin]) -> Metadata | None:
        """The metadata over one of the event loop's PostgreSQL connections (one prepared statement, no
        worker thread); None when the connection fails or none can be had: the caller uses `read` instead,
        which answers, or fails as the generic path does (UNAVAILABLE when the database is down).

        A cancelled call (deadline, client gone) raises CancelledError; asyncpg asks PostgreSQL to cancel the
        query, and the connection's next statement waits for that first (store/loop_pool.py)."""
        pool = self._loop_pool
        if pool is None:
            return None
        statement = self._statement(key)
        if statement is None:
            return None
        sql, params, checked = statement
        try:
            raw = await pool.fetchone(sql, params)
        except LoopFailure as error:
            log.debug("point read on the event loop failed (%s); using a worker thread", error)
            return None
        return self._loop_answer(key, raw, checked, selected)

    async def rows_async(self, sql: str, params: Sequence[Any]) -> list[Any] | None:
        """The rows of a read-only statement over one of the event loop's PostgreSQL connections, or None
        when the connection fails or none can be had (the caller goes elsewhere, as `read_async`'s does)."""
        pool = self._loop_pool
        if pool is None:
            return None
        try:
            return await pool.fetchall(sql, params)
        except LoopFailure as error:
            log.debug("a read on the event loop failed (%s); using a worker thread", error)
            return None

    def _thread_connection(self) -> Connection | None:
        """This worker thread's own read connection; None once `MAX_HELD` threads hold one (the pool's share)."""
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed and not connection.invalidated:
            return connection
        with self._held_lock:
            if connection is not None:
                self._held.discard(connection)
            if len(self._held) >= MAX_HELD:
                return None
            options: dict[str, Any] = {READ_ONLY: True}
            if not self.store.is_sqlite:
                options["isolation_level"] = "AUTOCOMMIT"
            connection = self.store.engine.connect().execution_options(**options)
            self._held.add(connection)
        self._local.connection = connection
        return connection

    def read(self, key: DidKey, selected: Sequence[MetadataPlugin]) -> Metadata:
        """The metadata in one statement, over this worker thread's own connection if it has one."""
        connection = self._thread_connection()
        if connection is None:
            with self.store.read() as conn:
                return self._metadata(
                    key, conn.exec_driver_sql(self._select, (key.scope, key.name)).fetchone(), selected
                )
        try:
            raw = connection.exec_driver_sql(self._select, (key.scope, key.name)).fetchone()
            if self.store.is_sqlite:
                connection.rollback()  # ends SQLAlchemy's implicit transaction (no statement: autocommit driver)
        except BaseException:
            self._drop(connection)
            raise
        return self._metadata(key, raw, selected)

    def _drop(self, connection: Connection) -> None:
        self._local.connection = None
        with self._held_lock:
            self._held.discard(connection)
        connection.close()

    def close(self) -> None:
        """Close the connections this path holds (at server shutdown)."""
        self.close_loop_connection()
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._loop_pool is not None:
            self._loop_pool.close()
        with self._held_lock:
            held, self._held = list(self._held), set()
        for connection in held:
            try:
                connection.close()
            except Exception:
                log.debug("closing a point-read connection failed", exc_info=True)

    def close_loop_connection(self) -> None:
        with self._loop_lock:
            if self._loop_connection is not None:
                self._loop_connection.close()
                self._loop_connection = None
            if self._loop_writer is not None:
                self._loop_writer.close()
                self._loop_writer = None

    def write_on_loop(self, work: Callable[[UnitOfWork], T]) -> tuple[bool, T | None]:
        """(True, result) if `work` ran on the event loop: SQLite file, its write lock free at this moment.

        (False, None), with nothing begun, when another writer holds the lock (a thread of this process,
        another process): the caller then runs the write in a worker thread, where it may wait. The
        loop never waits for a lock (busy timeout 0), so it only ever pays for the write itself.
        """
        if not self.reads_on_loop or (self._checkpointer is not None and self._checkpointer.pending):
            return False, None  # not on a SQLite file, or the checkpoint thread's turn (`checkpoint_passed`)
        with self._loop_lock:
            if self._loop_writer is None:
                writer = self.store.engine.connect()
                # Its own connection, never handed back to the pool: its settings are the loop's alone (a
                # worker thread must wait for the write lock, and checkpoint when its commit calls for it).
                writer.detach()
                dbapi = writer.connection.dbapi_connection
                dbapi.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
                dbapi.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]  # store/checkpointer.py
                self._loop_writer = writer
            writer = self._loop_writer
        driver: sqlite3.Connection = writer.connection.dbapi_connection  # type: ignore[assignment]
        try:
            with self.store.driver_write_nowait(driver) as started:
                if not started:
                    return False, None
                result = work(UnitOfWork(writer))
        except _TakeThreadPath:  # rolled back by the transaction's block, nothing written
            return False, None
        except sqlite3.Error as error:  # its COMMIT failed: rolled back, nothing written
            log.warning("a write on the event loop failed to commit (%s); using a worker thread", error)
            return False, None
        if self._checkpointer is not None:
            self._checkpointer.wrote()
        return True, result

    async def checkpoint_passed(self) -> bool:
        """After a refused `write_on_loop`: if the checkpoint thread holds the write lock (store/checkpointer.py),
        wait for it to let go and say True (try the loop again); False at once otherwise."""
        finished = None if self._checkpointer is None else self._checkpointer.finished()
        if finished is None:
            return False
        await finished
        return True

    # --- writes ---------------------------------------------------------------------------------
    def _update_sql(self, columns: tuple[str, ...]) -> str:
        sql = self._updates.get(columns)
        if sql is None:
            assignments = ", ".join(f"{column} = {self._mark}" for column in columns)
            sql = f"UPDATE dids SET {assignments} WHERE scope = {self._mark} AND name = {self._mark}"
            self._updates[columns] = sql
        return sql

    def _bind(self, column: str, value: Any) -> Any:
        process = self._binds[column]
        return value if process is None else process(value)

    def _update_with_history_sql(self, columns: tuple[str, ...], records: int) -> str:
        """PostgreSQL: the row's UPDATE and its history rows' INSERT as one statement (a data-modifying CTE
        always runs in full)."""
        row = f"({', '.join(['%s'] * len(HISTORY_COLUMNS))})"
        values = ", ".join([row] * records)
        insert = f"INSERT INTO history ({', '.join(HISTORY_COLUMNS)}) VALUES {values}"
        return f"WITH changed AS ({self._update_sql(columns)}) {insert}"

    def _own_shares(self, key: DidKey, shares: dict[str, Metadata]) -> tuple[Metadata, Metadata, dict[str, Any]]:
        """A write's DID_COLUMN and JSON keys, and DID_COLUMN's column values of its keys (`updated_at` with them;
        INVALID_ARGUMENT naming the field of a value its column cannot hold)."""
        column_share = shares.get(self.did_column.name, {})
        json_share = shares.get(self.json.name, {}) if self.json is not None else {}
        values = self.did_column.column_values(column_share, f"metadata[{key}]") if column_share else {}
        if values:
            values["updated_at"] = naive_utc(datetime.now(UTC))
        return column_share, json_share, values

    def _row_write(
        self,
        key: DidKey,
        raw: Sequence[Any] | None,
        shares: dict[str, Metadata],
        changes_of: ChangesOf,
    ) -> tuple[tuple[str, ...], tuple[Any, ...], list[Change]]:
        """From the locked row: the columns to set, the statement's parameters (their values bound, then
        scope and name) and the history records (`changes_of(old values, applied items)`)."""
        if raw is None:
            raise not_found(key)
        if len(raw) != len(_COLUMNS):
            raise RuntimeError(f"a row of {len(raw)} columns, {len(_COLUMNS)} expected")
        column_share, json_share, values = self._own_shares(key, shares)
        before = self._columns_before(raw, column_share) if column_share else {}
        if json_share:
            document: dict[str, Any] = dict(self._decoded(raw, _META) or {})
            for name in json_share:
                if name in document:
                    before[name] = from_json(document[name])
            for name, value in json_share.items():
                if value is None:
                    document.pop(name, None)
                else:
                    document[name] = to_json(value)
            values["meta"] = document or None
        changes = changes_of({key: before}, [(key, {**column_share, **json_share})])
        columns = tuple(sorted(values))
        return columns, (*(self._bind(c, values[c]) for c in columns), key.scope, key.name), changes

    def _decoded(self, raw: Sequence[Any], index: int) -> Any:
        """One column of a row as SQLAlchemy returns it (its type's result processor applied)."""
        process = self._results[index]
        return raw[index] if process is None else process(raw[index])

    def _columns_before(self, raw: Sequence[Any], names: Iterable[str]) -> Metadata:
        """The values `row_metadata` gives for the DID_COLUMN keys `names` of a row, decoding only their columns
        (a write's old values for its history: a row's 33 columns decoded cost as much as its UPDATE)."""
        is_file = raw[_DID_TYPE] == DidType.FILE.value
        before: Metadata = {}
        for name in names:
            index = _META_INDEX.get(name)
            if index is None or (is_file and name in COLLECTION_ONLY):
                continue  # not a column of the row (e.g. `lifetime`), or one a file does not show
            value = self._decoded(raw, index)
            if value is not None:
                before[name] = column_metadata_value(value)
        return before

    def _versioned_update_sql(self, columns: tuple[str, ...], records: int) -> str:
        """PostgreSQL: the row's UPDATE only if its version (xmin) is still the one read, and its history rows'
        INSERT only if that UPDATE changed the row: one statement (autocommit, atomic). Its status tells
        which happened (`UPDATE 0`, `INSERT 0 0`: the row changed since it was read, nothing written)."""
        sql = self._versioned_updates.get((columns, records))
        if sql is None:
            update = f"{self._update_sql(columns)} AND xmin = %s::xid"
            if records:
                casts = [_HISTORY_CASTS.get(column, "text") for column in HISTORY_COLUMNS]
                row = f"({', '.join(f'%s::{cast}' for cast in casts)})"
                values = ", ".join([row] * records)
                sql = (
                    f"WITH changed AS ({update} RETURNING 1) INSERT INTO history ({', '.join(HISTORY_COLUMNS)}) "
                    f"SELECT v.* FROM changed, (VALUES {values}) AS v"
                )
            else:
                sql = update
            if len(self._versioned_updates) >= MAX_VERSIONED_STATEMENTS:
                self._versioned_updates.clear()
            self._versioned_updates[(columns, records)] = sql
        return sql

    def _inline_history(
        self, columns: tuple[str, ...], parameters: tuple[Any, ...], changes: list[Change], history: History
    ) -> tuple[str, tuple[Any, ...]] | None:
        """PostgreSQL: the UPDATE with its history insert as one statement and its parameters; None when
        there is nothing to update, nothing to record or too much to record inline."""
        if not columns or not changes or len(changes) > MAX_INLINE_RECORDS or self.store.is_sqlite:
            return None
        rows = history.rows("postgresql", changes)
        return self._update_with_history_sql(columns, len(rows)), (*parameters, *(v for row in rows for v in row))

    def set_one(
        self,
        uow: UnitOfWork,
        key: DidKey,
        shares: dict[str, Metadata],
        history: History,
        changes_of: ChangesOf,
    ) -> None:
        """Apply one DID's keys, split by owner (plugin name -> keys), and record the changes in `history`
        (`changes_of(old values, applied items)`: the generic path's records).

        The row is read under its lock (PostgreSQL) before anything changes, as the generic path does. On
        PostgreSQL the update and the history insert are one statement (one round trip); on the event
        loop's SQLite writer the three statements run on its sqlite3 connection itself.
        """
        statement = self._statement(key, locking=True)
        if statement is None:
            raise RuntimeError("set_one for a caller the point path does not serve (see `writes`)")
        sql, params, checked = statement
        loop = self._loop_driver(uow.conn)
        if loop is not None:
            self._set_on_driver(loop, key, (sql, params, checked), shares, history, changes_of)
            return
        raw = _shown(key, uow.conn.exec_driver_sql(sql, params).fetchone(), checked)
        columns, parameters, changes = self._row_write(key, raw, shares, changes_of)
        inline = self._inline_history(columns, parameters, changes, history)
        if inline is not None:
            uow.conn.exec_driver_sql(*inline)
            history.maybe_prune(uow.conn)
            return
        if columns:
            uow.conn.exec_driver_sql(self._update_sql(columns), parameters)
        history.record(uow.conn, changes)

    def _loop_driver(self, conn: Connection) -> sqlite3.Connection | None:
        """The sqlite3 connection under `conn` when `conn` is the event loop's SQLite writer, else None."""
        writer = self._loop_writer
        if writer is None or conn is not writer:
            return None
        return writer.connection.dbapi_connection  # type: ignore[return-value]

    def _set_on_driver(
        self,
        loop: sqlite3.Connection,
        key: DidKey,
        statement: tuple[str, Sequence[Any] | Mapping[str, Any], bool],
        shares: dict[str, Metadata],
        history: History,
        changes_of: ChangesOf,
    ) -> None:
        """`set_one` on the event loop's SQLite writer: the row's locking read, its UPDATE and its history
        rows on the sqlite3 connection itself, in the transaction `write_on_loop` began on it
        (`Store.driver_write_nowait`; SQLAlchemy's result set-up for the row's 33 columns cost as much as the
        rest of the write, and its BEGIN and COMMIT as much as the history insert). Of the row, only the
        columns of the keys written are decoded (`_columns_before`), and the JSON document when a JSON key
        is. An embargo check (a walk up the DID's ancestors) runs under the loop's step budget, as the point
        reads do. Any driver error, the budget's included, is `_TakeThreadPath`: the whole write is rolled
        back and done in a worker thread, whose errors are the general path's. `set_metadata_on_loop` never
        runs when the history is due for pruning, so there is nothing to prune here."""
        sql, params, checked = statement
        try:
            with _step_budget(loop, MAX_CHECKED_STEPS) if checked else nullcontext():
                raw = loop.execute(sql, params).fetchone()
            columns, parameters, changes = self._row_write(key, _shown(key, raw, checked), shares, changes_of)
            if columns:
                loop.execute(self._update_sql(columns), parameters)
            if changes:
                loop.executemany(_HISTORY_INSERT, history.rows("sqlite", changes))
        except sqlite3.Error as error:  # the step budget's interruption or a failure: the worker thread's turn
            log.debug("a write on the event loop failed (%s); using a worker thread", error)
            raise _TakeThreadPath from None

    async def set_async(
        self,
        key: DidKey,
        shares: dict[str, Metadata],
        history: History,
        changes_of: ChangesOf,
    ) -> bool:
        """`set_one` awaited by the event loop over one of its PostgreSQL connections (no worker thread, no
        SQLAlchemy pool), optimistic first (`_set_optimistic`: one statement, or two round trips, no
        transaction block); when another writer changed the row in between, the locking transaction
        (`_set_locked`: four round trips) on the same connection, which waits for its turn as the generic
        path does.

        False, with nothing written, when the write has more history records than one statement takes or
        the connection fails: the caller then takes the worker thread's path (`Dispatcher.set_metadata`),
        which retries as every write does. A connection lost during the writing statement or the COMMIT
        leaves the outcome unknown; the thread path then sets the same values again, so the row ends right
        and the history may hold that change twice. NOT_FOUND and INVALID_ARGUMENT are raised as by
        `set_one`."""
        pool = self._loop_pool
        if pool is None or embargo_check() is None:
            return False
        try:
            async with pool.connection() as conn:
                if not await self._set_optimistic(conn, key, shares, history, changes_of):
                    async with conn.transaction():
                        await self._set_locked(conn, key, shares, history, changes_of)
        except (LoopFailure, _TakeThreadPath) as error:
            log.debug("point write on the event loop not taken (%r); using a worker thread", error)
            return False
        return True

    async def _set_optimistic(
        self,
        conn: Session,
        key: DidKey,
        shares: dict[str, Metadata],
        history: History,
        changes_of: ChangesOf,
    ) -> bool:
        """The write without a transaction block (autocommit): in one statement when it can
        (`_write_in_one_statement`); otherwise the row read with its version (xmin), then the UPDATE and its
        history insert as one statement that applies only if the row still has that version
        (`_versioned_update_sql`). True when written (or nothing to write); False, nothing written, when the
        row has a new version: another writer (any path, any process) changed it after the read, and the
        history chain must continue from that writer's values. PostgreSQL checks the version on the row's
        latest one when the statement waited for another writer's lock."""
        statement = self._versioned_statement(key)
        if statement is None:
            raise _TakeThreadPath
        sql, params, checked = statement
        view = params if isinstance(params, Mapping) else None  # the embargo check's (named) parameters
        written, raw = await self._write_in_one_statement(conn, key, shares, view)
        if written:
            return True
        if raw is None:
            raw = _shown(key, await conn.fetchone(sql, params), checked)
        row, version = (None, None) if raw is None else (raw[:-1], raw[-1])
        columns, parameters, changes = self._row_write(key, row, shares, changes_of)
        if not columns:
            if changes:
                raise _TakeThreadPath  # records with no row change: the generic path's case
            return True
        if len(changes) > MAX_INLINE_RECORDS:
            raise _TakeThreadPath  # more records than one statement takes
        rows = history.rows("postgresql", changes)
        update = self._versioned_update_sql(columns, len(rows))
        status = await conn.execute(update, (*parameters, version, *(v for r in rows for v in r)))
        return not status.endswith(" 0")  # `UPDATE 1`, `INSERT 0 n`: written

    async def _write_in_one_statement(
        self, conn: Session, key: DidKey, shares: dict[str, Metadata], view: Mapping[str, Any] | None
    ) -> tuple[bool, Sequence[Any] | None]:
        """The write as one statement (one_statement_write.py): (True, None) when written; (False, the row
        with its version last) when PostgreSQL cannot render an old value, for the versioned update to carry
        on from; (False, None) when the write is not one it takes, or the row is missing or hidden from the
        caller (the versioned read then tells which). `view`: the embargo check's parameters, None for a
        caller who sees every DID."""
        if self._one_statement is None:  # SQLite, or turned off (bench/pg_set_paths.py measures both ways)
            return False, None
        column_share, json_share, values = self._own_shares(key, shares)
        checked_view = None if view is None else {"now": view["now"], "account": view["account"]}
        plan = self._one_statement.plan(key, column_share, json_share, values, self._bind, checked_view)
        if plan is None:
            return False, None
        result = await conn.fetchone(plan.sql, plan.params)
        if result is None:
            return False, None
        return bool(result[0]), result[1:]

    async def _set_locked(
        self,
        conn: Session,
        key: DidKey,
        shares: dict[str, Metadata],
        history: History,
        changes_of: ChangesOf,
    ) -> None:
        """The write in the caller's transaction: the locking read, then the UPDATE with its history insert."""
        statement = self._statement(key, locking=True)
        if statement is None:
            raise _TakeThreadPath
        sql, params, checked = statement
        raw = _shown(key, await conn.fetchone(sql, params), checked)
        columns, parameters, changes = self._row_write(key, raw, shares, changes_of)
        inline = self._inline_history(columns, parameters, changes, history)
        if inline is not None:
            await conn.execute(*inline)
        elif changes:
            raise _TakeThreadPath  # more records than one statement takes
        elif columns:
            await conn.execute(self._update_sql(columns), parameters)  # values as they were
