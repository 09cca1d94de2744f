"""The relational store: one SQLAlchemy engine, dialect quirks, and the SQLite write lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import QueuePool, StaticPool

from didmeta.errors import InvalidArgument
from didmeta.filters.regex import REGEX_FUNCTION, regex_matches
from didmeta.server.store.migrations import migrate
from didmeta.server.store.replicas import ReplicaSet, replica_reads_allowed
from didmeta.server.store.schema import MAX_PARTITIONS, MIN_PARTITIONS
from didmeta.values import dump_json

#: Execution option marking a read-only connection (no explicit BEGIN on SQLite).
READ_ONLY = "didmeta_read_only"


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for a bare `postgresql://` URL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidArgument.for_field("database", f"not a SQLAlchemy URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _unicode_lower(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    return value.lower() if isinstance(value, str) else value


def _regex_match(pattern: str, value: object) -> int:
    return 1 if regex_matches(pattern, value) else 0


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for write transactions; reads (`Store.read`, listings) run statement by statement in WAL mode.

    IMMEDIATE takes the database's write lock at BEGIN (waiting up to busy_timeout), so a write
    transaction's reads already see every earlier commit, of this process or another one: writers
    are serialised across processes, not only by `Store._write_lock` within one.
    """
    if not conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN, so reads inside a write transaction are isolated.
    dbapi_connection.isolation_level = None
    # Unicode lower-casing, as on PostgreSQL (ICU) and in the other plugins; SQLite's own is ASCII-only.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    # `key.regex=`: the pattern arrives in Python's form, already checked against the subset.
    dbapi_connection.create_function(REGEX_FUNCTION, 2, _regex_match, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class Store:
    """The catalogue database. Thread-safe; SQLite writes are serialised by `_write_lock` in a process
    and by BEGIN IMMEDIATE across processes."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 8,
        replicas: Sequence[str] = (),
        replica_max_lag_seconds: float = 10.0,
        replica_check_seconds: float = 1.0,
        partitions: int = 0,
    ) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database in (None, "", ":memory:"):
                kwargs["poolclass"] = StaticPool
        elif self.dialect == "postgresql":
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        else:
            raise InvalidArgument.for_field(
                "database", f"unsupported database {self.dialect!r}: use sqlite or postgresql"
            )
        # Doubles keep a decimal point in the JSON text, so PostgreSQL's numeric hands them back as doubles.
        self.engine: Engine = create_engine(self.url, json_serializer=dump_json, **kwargs)
        pool = self.engine.pool
        #: Connections the engine's pool lends at most at once (None: one shared connection, never waited for):
        #: on a SQLite file SQLAlchemy's defaults (5 and 10 more on demand), on PostgreSQL `pool_size` twice.
        self.max_connections = pool.size() + pool._max_overflow if isinstance(pool, QueuePool) else None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        if partitions and (self.dialect != "postgresql" or not MIN_PARTITIONS <= partitions <= MAX_PARTITIONS):
            raise InvalidArgument.for_field(
                "database_partitions",
                f"{partitions}: partitioned tables need PostgreSQL and {MIN_PARTITIONS}..{MAX_PARTITIONS} partitions",
            )
        #: Hash partitions of dids and contents of a catalogue created by `migrate` (0: plain tables).
        self.partitions = partitions
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None
        self.replicas: ReplicaSet | None = None
        if replicas:
            if self.dialect != "postgresql":
                raise InvalidArgument.for_field("database_replicas", "read replicas need a PostgreSQL catalogue")
            self.replicas = ReplicaSet(
                self.engine,
                [normalise_url(replica) for replica in replicas],
                max_lag_seconds=replica_max_lag_seconds,
                check_seconds=replica_check_seconds,
                pool_size=pool_size,
            )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; on SQLite also refresh the planner's statistics.

        SQLite keeps no statistics by itself; without them it may walk a whole scope through the
        primary key instead of using a column index. `analysis_limit` keeps ANALYZE to a sample, so
        this costs milliseconds even on millions of rows. (PostgreSQL's autovacuum analyses.)
        A catalogue created with another `partitions` raises LayoutMismatch (migrations.py).
        """
        applied = migrate(self.engine, self.partitions)
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")
        return applied

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (committed on success, rolled back on error)."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @property
    def sqlite_write_lock(self) -> threading.Lock | None:
        """The lock that serialises this process's SQLite writes (None on PostgreSQL)."""
        return self._write_lock

    @contextmanager
    def driver_write_nowait(self, driver: sqlite3.Connection) -> Iterator[bool]:
        """SQLite: a write transaction on the sqlite3 connection `driver` if the write lock is free now, in this
        process and in the database (False, and nothing begun, if not; `driver` should have a busy timeout of
        0). For a writer whose statements all go to the driver (the event loop's, server/point.py): `BEGIN
        IMMEDIATE` and `COMMIT` are the driver's too, not SQLAlchemy's (its begin event and commit cost a
        small write as much as its history insert). The block raising rolls the transaction back; a failed
        `COMMIT` too, and its error is raised (nothing written)."""
        if self._write_lock is None or not self._write_lock.acquire(blocking=False):
            yield False
            return
        try:
            try:
                driver.execute("BEGIN IMMEDIATE")  # SQLITE_BUSY at once if another process writes
            except sqlite3.OperationalError:
                yield False
                return
            try:
                yield True
                driver.execute("COMMIT")
            except BaseException:
                if driver.in_transaction:
                    driver.execute("ROLLBACK")
                raise
        finally:
            self._write_lock.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads only (each statement sees the latest committed data)."""
        with self.reader() as conn:
            yield conn

    def reader(self) -> Connection:
        """An open read-only connection; the caller closes it (streams that outlive a `with` block).

        A fresh read replica's, when the current request allows replica reads (store/replicas.py)."""
        conn = self.replicas.connect() if self.replicas is not None and replica_reads_allowed() else None
        return (conn or self.engine.connect()).execution_options(**{READ_ONLY: True})

    def start_replica_checks(self) -> None:
        """Check the read replicas now and then periodically (none configured: nothing to do)."""
        if self.replicas is not None:
            self.replicas.start()

    def dispose(self) -> None:
        if self.replicas is not None:
            self.replicas.close()
        self.engine.dispose()
