"""Driver-level bulk writes of the catalogue: `COPY` on PostgreSQL, one prepared `executemany` on SQLite.

The load path (LoadDids, AddDids) writes thousands of rows per request; statement compilation and
per-row parameter processing in SQLAlchemy cost more than the database does. Rows here are tuples
in a fixed column order, already in the driver's types (`driver_value`).

New DIDs on PostgreSQL go through a staging table: `COPY` into a session-local temporary table
(`LIKE dids`, emptied at commit), then one `INSERT ... SELECT ... ORDER BY scope, name` into `dids`
(the canonical order, so concurrent loads do not deadlock). No existence check precedes the insert:
the primary key refuses a DID that exists, the insert runs under a savepoint, and only then is the
offending DID looked up, to name it (ALREADY_EXISTS, nothing of the chunk written). Attachments go
the same way into `contents` (a duplicate is ATTACHMENT_EXISTS naming the pair). History rows and
other append-only rows are copied straight into their table (`write_rows`). Fewer than
`COPY_MIN_ROWS` rows (AddDids of one DID, a unary write's history) go in with one plain INSERT
instead: COPY and staging cost round trips that only pay off on bulk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc

from didmeta.errors import AlreadyExists
from didmeta.identifiers import DidKey
from didmeta.server.store.failures import as_sqlalchemy_error
from didmeta.values import dump_json

#: Session-local staging tables (PostgreSQL): created once per connection, emptied at every commit.
_STAGING = {
    "dids": "didmeta_stage_dids",
    "contents": "didmeta_stage_contents",
}
#: Fewer rows than this go in with one INSERT (executemany) on PostgreSQL too: COPY costs an extra round trip.
COPY_MIN_ROWS = 20
CONTENT_COLUMNS = ("scope", "name", "child_scope", "child_name", "child_type")


def driver_value(dialect: str, column: str, value: Any) -> Any:
    """A value as the DB driver takes it, the way SQLAlchemy's column types would bind it."""
    if value is None:
        return None
    if column == "meta":  # JSON text; COPY parses it as jsonb on PostgreSQL
        return dump_json(value)
    if isinstance(value, datetime) and dialect == "sqlite":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool) and dialect == "sqlite":
        return int(value)
    return value


def _raw(conn: Connection) -> Any:
    """The driver connection under `conn` (same transaction)."""
    return conn.connection.driver_connection


def _copy(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into `table` on the driver's connection, in `conn`'s transaction.

    The driver's errors come out as SQLAlchemy's, as a statement run through `conn` raises them, so that
    a deadlock is retried (store/failures.py `retrying`), a lost connection is UNAVAILABLE and is not
    handed out again, and a duplicate key is ALREADY_EXISTS (status.py)."""
    import psycopg  # the COPY path runs on PostgreSQL only

    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with _raw(conn).cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as error:
        raise as_sqlalchemy_error(conn, statement, error, psycopg.Error) from error


def write_rows(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Append rows (driver values, `columns` order): COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    postgres = conn.dialect.name == "postgresql"
    if postgres and len(rows) >= COPY_MIN_ROWS:
        _copy(conn, table, columns, rows)
        return
    conn.exec_driver_sql(insert_sql(table, columns, postgres), list(rows))


def insert_sql(table: str, columns: Sequence[str], postgres: bool) -> str:
    """The driver-level INSERT of one row of `columns` (an executemany's statement)."""
    placeholders = ", ".join(("%s" if postgres else "?") for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"


def _stage(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """COPY rows into the session's staging table of `table`; its name."""
    staging = _STAGING[table]
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql(f"DELETE FROM {staging}")  # empty unless an earlier statement of this transaction used it
    _copy(conn, staging, columns, rows)
    return staging


def _merge(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], order: str) -> None:
    """Insert rows into `table` in `order`, under a savepoint (IntegrityError leaves the transaction usable)."""
    names = ", ".join(columns)
    postgres = conn.dialect.name == "postgresql"
    if postgres and len(rows) >= COPY_MIN_ROWS:
        staging = _stage(conn, table, columns, rows)
        with conn.begin_nested():
            conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ORDER BY {order}")
        return
    # A few rows (AddDids of one DID, say): one INSERT, rows already in order, no staging round trips.
    placeholders = ", ".join(("%s" if postgres else "?") for _ in columns)
    with conn.begin_nested():
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", list(rows))


def insert_dids(
    conn: Connection, columns: Sequence[str], rows: Sequence[Sequence[Any]], keys: Sequence[DidKey]
) -> None:
    """Insert new `dids` rows (`columns` start with scope, name; rows sorted by key); ALREADY_EXISTS names a clash.

    `keys` are the rows' DIDs, without duplicates (the caller refuses those, naming them).
    """
    if not rows:
        return
    try:
        _merge(conn, "dids", columns, rows, "scope, name")
    except sa_exc.IntegrityError:
        from didmeta.server.store.catalog import existing_keys  # catalog imports this module

        clash = existing_keys(conn, keys)
        if not clash:
            raise  # a concurrent request's DID: status.py answers ALREADY_EXISTS
        first = min(clash)
        raise AlreadyExists(f"DID {first} exists", reason="DID_EXISTS", metadata={"did": str(first)}) from None


def insert_contents(conn: Connection, pairs: Sequence[tuple[DidKey, DidKey]], child_types: Sequence[str]) -> None:
    """Insert attachments (parent, child) with the children's types; ALREADY_EXISTS names an existing pair."""
    if not pairs:
        return
    order = sorted(range(len(pairs)), key=lambda i: pairs[i])  # canonical order
    rows = [(pairs[i][0].scope, pairs[i][0].name, pairs[i][1].scope, pairs[i][1].name, child_types[i]) for i in order]
    try:
        _merge(conn, "contents", CONTENT_COLUMNS, rows, "scope, name, child_scope, child_name")
    except sa_exc.IntegrityError:
        from didmeta.server.store.catalog import child_types as existing_children

        existing = existing_children(conn, sorted({parent for parent, _ in pairs}))
        clash = next(((p, c) for p, c in pairs if c in existing.get(p, {})), None)
        if clash is None:
            raise
        parent, child = clash
        raise AlreadyExists(
            f"{child} is already attached to {parent}",
            reason="ATTACHMENT_EXISTS",
            metadata={"parent": str(parent), "child": str(child)},
        ) from None
