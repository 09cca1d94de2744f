"""Versioned schema migrations: an ordered list of steps, each applied once, in one transaction.

`didmeta_schema` records the applied versions. A new step is appended to `MIGRATIONS` (never
edited in place once released); `migrate()` applies every step above the recorded version. This
is the small equivalent of Alembic that the embedded default needs, with no extra tool to run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, inspect, select, text

from didmeta.server.store.schema import (
    INDEXED_COLUMNS,
    declared_keys,
    embargoes,
    history,
    metadata,
    saved_queries,
    schema_version,
)

Step = Callable[[Connection], None]
#: pg_advisory_xact_lock key held while migrating ("didmigr" in ASCII).
_MIGRATION_LOCK_KEY = 0x6469646D696772


def _v1_initial(conn: Connection) -> None:
    """Create the catalogue tables and their indexes."""
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables if t.name != "didmeta_schema"])


def _v2_json_gin(conn: Connection) -> None:
    """PostgreSQL: a GIN index on the JSONB metadata for containment (equality, contains) look-ups."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("CREATE INDEX IF NOT EXISTS dids_meta_gin ON dids USING gin (meta jsonb_path_ops)"))


def _v3_scope_first_indexes(conn: Connection) -> None:
    """Indexes on optimised columns lead with scope (v1 databases had single-column ones)."""
    for key in INDEXED_COLUMNS:
        conn.execute(text(f"DROP INDEX IF EXISTS dids_{key}_idx"))
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS dids_scope_{key}_idx ON dids (scope, {key}, name)"))


def _v4_covering_column_indexes(conn: Connection) -> None:
    """The column indexes also carry suppressed and did_type, so short listings need no table look-ups."""
    for key in INDEXED_COLUMNS:
        conn.execute(text(f"DROP INDEX IF EXISTS dids_scope_{key}_idx"))
        conn.execute(
            text(f"CREATE INDEX IF NOT EXISTS dids_scope_{key}_cov ON dids (scope, {key}, name, suppressed, did_type)")
        )


def _v5_collection_events(conn: Connection) -> None:
    """A collection's `events` starts at 0 (spec §1): collections never attached to held NULL."""
    conn.execute(text("UPDATE dids SET events = 0 WHERE events IS NULL AND did_type IN ('D', 'C')"))


def _v6_embargo_and_history(conn: Connection) -> None:
    """The embargo table and the audit history (with its indexes)."""
    metadata.create_all(conn, tables=[embargoes, history])


def _v7_declared_keys(conn: Connection) -> None:
    """The table of declared metadata keys."""
    metadata.create_all(conn, tables=[declared_keys])


def _v8_saved_queries(conn: Connection) -> None:
    """The table of saved queries."""
    metadata.create_all(conn, tables=[saved_queries])


MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "initial catalogue", _v1_initial),
    (2, "GIN index on JSON metadata", _v2_json_gin),
    (3, "scope-first indexes on optimised columns", _v3_scope_first_indexes),
    (4, "covering indexes on optimised columns", _v4_covering_column_indexes),
    (5, "events of collections start at 0", _v5_collection_events),
    (6, "embargoes and audit history", _v6_embargo_and_history),
    (7, "declared metadata keys", _v7_declared_keys),
    (8, "saved queries", _v8_saved_queries),
]
LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one())


def migrate(engine: Engine) -> list[int]:
    """Apply the pending steps; return the versions applied."""
    applied: list[int] = []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several server processes may start at once on one database: one migrates, the others
            # wait and then find nothing to do. (SQLite: BEGIN IMMEDIATE serialises already.)
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
        for number, _description, step in MIGRATIONS:
            if number <= version:
                continue
            step(conn)
            conn.execute(
                insert(schema_version).values(version=number, applied_at=datetime.now(UTC).replace(tzinfo=None))
            )
            applied.append(number)
    return applied
