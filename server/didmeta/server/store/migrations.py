"""Versioned schema migrations: an ordered list of steps, each applied once, in one transaction.

`didmeta_schema` records the applied versions. A new step is appended to `MIGRATIONS` (never
edited in place once released); `migrate()` applies every step above the recorded version. This
is the small equivalent of Alembic that the embedded default needs, with no extra tool to run.

The physical layout is chosen once, when step 1 creates the catalogue: with `partitions` > 0
(PostgreSQL only, `database_partitions`) `dids` and `contents` are `PARTITION BY HASH (scope)`
with that many partitions; same names, columns and indexes (made on the parent, PostgreSQL makes
them on every partition), so no query changes. Step 9 records the layout in `didmeta_layout`;
`migrate()` refuses (LayoutMismatch) to open a catalogue with another layout than the one asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, MetaData, func, insert, inspect, select, text

from didmeta.server.store.schema import (
    INDEXED_COLUMNS,
    PARTITIONED_TABLES,
    declared_keys,
    embargoes,
    history,
    layout,
    metadata,
    saved_queries,
    schema_version,
    scopes,
)

Step = Callable[[Connection], None]
#: pg_advisory_xact_lock key held while migrating ("didmigr" in ASCII).
_MIGRATION_LOCK_KEY = 0x6469646D696772
#: `Connection.info` key: the partition count `migrate()` was asked for (read by step 1).
_PARTITIONS_INFO = "didmeta_partitions"
PARTITIONS_SETTING = "database_partitions"


class LayoutMismatch(ValueError):
    """The catalogue was created with `recorded` partitions; `requested` were asked for."""

    def __init__(self, recorded: int, requested: int) -> None:
        super().__init__(
            f"the catalogue was created with {PARTITIONS_SETTING} = {recorded}, not {requested}: "
            f"the layout is fixed when the catalogue is created (set {PARTITIONS_SETTING} = {recorded}, "
            "or load the DIDs into a new catalogue)"
        )
        self.recorded, self.requested = recorded, requested


def _create_partitioned(conn: Connection, partitions: int) -> None:
    """`dids` and `contents` as PARTITION BY HASH (scope) with `partitions` partitions, indexes on the parent."""
    copies = MetaData()
    scopes.to_metadata(copies)  # referenced by dids' foreign key (already created, not created again)
    for name in PARTITIONED_TABLES:
        table = metadata.tables[name].to_metadata(copies)
        table.dialect_kwargs["postgresql_partition_by"] = "HASH (scope)"
        table.create(conn)
        for remainder in range(partitions):
            conn.execute(
                text(
                    f"CREATE TABLE {name}_p{remainder} PARTITION OF {name}"
                    f" FOR VALUES WITH (MODULUS {partitions}, REMAINDER {remainder})"
                )
            )


def _v1_initial(conn: Connection) -> None:
    """Create the catalogue tables and their indexes (dids and contents partitioned if asked: module doc)."""
    partitions = int(conn.info.get(_PARTITIONS_INFO, 0))
    split = partitions > 0 and conn.dialect.name == "postgresql"
    skipped = {"didmeta_schema", *(PARTITIONED_TABLES if split else ())}
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables if t.name not in skipped])
    if split:
        _create_partitioned(conn, partitions)


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


def partition_count(conn: Connection) -> int:
    """Partitions of `dids` in the database (0: a plain table, and always on SQLite)."""
    if conn.dialect.name != "postgresql":
        return 0
    query = "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('dids')"
    return int(conn.execute(text(query)).scalar_one())


def _v9_layout(conn: Connection) -> None:
    """Record the layout the catalogue has (catalogues created before this step are plain: 0)."""
    layout.create(conn, checkfirst=True)
    conn.execute(insert(layout).values(setting=PARTITIONS_SETTING, value=str(partition_count(conn))))


MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "initial catalogue", _v1_initial),
    (2, "GIN index on JSON metadata", _v2_json_gin),
    (3, "scope-first indexes on optimised columns", _v3_scope_first_indexes),
    (4, "covering indexes on optimised columns", _v4_covering_column_indexes),
    (5, "events of collections start at 0", _v5_collection_events),
    (6, "embargoes and audit history", _v6_embargo_and_history),
    (7, "declared metadata keys", _v7_declared_keys),
    (8, "saved queries", _v8_saved_queries),
    (9, "recorded layout (database_partitions)", _v9_layout),
]
LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one())


def recorded_partitions(conn: Connection) -> int | None:
    """The catalogue's `database_partitions` (None: no catalogue yet)."""
    if current_version(conn) == 0:
        return None
    if inspect(conn).has_table(layout.name):
        value = conn.execute(select(layout.c.value).where(layout.c.setting == PARTITIONS_SETTING)).scalar_one_or_none()
        if value is not None:
            return int(value)
    return partition_count(conn)


def migrate(engine: Engine, partitions: int = 0) -> list[int]:
    """Apply the pending steps (a new catalogue gets `partitions`); return the versions applied.

    An existing catalogue created with another partition count raises LayoutMismatch, and nothing is changed.
    """
    applied: list[int] = []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several server processes may start at once on one database: one migrates, the others
            # wait and then find nothing to do. (SQLite: BEGIN IMMEDIATE serialises already.)
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        recorded = recorded_partitions(conn)
        if recorded is not None and recorded != partitions:
            raise LayoutMismatch(recorded, partitions)
        conn.info[_PARTITIONS_INFO] = partitions  # the pooled connection's: removed below
        try:
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
        finally:
            conn.info.pop(_PARTITIONS_INFO, None)
    return applied
