"""POSTGRES_JSON's table: created (managed) or checked once the server answers; start and health."""

from __future__ import annotations

import hashlib
import logging
from typing import Final

from sqlalchemy import Connection, Index, text
from sqlalchemy import exc as sa_exc

from didmeta.errors import DidmetaError, FailedPrecondition, Unavailable
from didmeta.plugins.postgres_json.client import _MAX_IDENTIFIER_BYTES, PLUGIN_NAME, PostgresJsonConnection

log = logging.getLogger("didmeta.plugins.postgres_json")  # the name it had as one module

_HEALTH_TIMEOUT_MS: Final = 2000
_SCHEMA_REASON: Final = "BACKEND_SCHEMA_MISMATCH"


def _index_name(table: str, column: str) -> str:
    name = f"{table}_{column}_gin"
    if len(name.encode()) <= _MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f"{name.encode()[: _MAX_IDENTIFIER_BYTES - 15].decode(errors='ignore')}_{digest}_gin"


class PostgresJsonSchema(PostgresJsonConnection):
    """Lifecycle of POSTGRES_JSON: the table is ready before any read or write."""

    def start(self) -> None:
        try:
            self._ensure_ready()
        except Unavailable as exc:
            log.warning(
                "%s: %s; the table %s will be %s on first use",
                PLUGIN_NAME,
                exc,
                self.qualified_name,
                "created" if self.config.managed else "checked",
            )

    def check_health(self) -> bool:
        try:
            self._ensure_ready()
            with self._backend_errors(), self.engine.connect() as conn:
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {_HEALTH_TIMEOUT_MS}")
                conn.exec_driver_sql("SELECT 1").scalar_one()
        except (DidmetaError, sa_exc.SQLAlchemyError) as exc:
            log.warning("%s health check failed: %s", PLUGIN_NAME, exc)
            return False
        return True

    def _ensure_ready(self) -> None:
        """Create (managed) and check the table once the server answers; Unavailable until then."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            with self._backend_errors(), self.engine.begin() as conn:
                if self.config.managed:
                    self._create_schema(conn)
                else:
                    self._check_schema(conn)
            self._ready = True
            log.info("%s: using table %s", PLUGIN_NAME, self.qualified_name)

    def _create_schema(self, conn: Connection) -> None:
        """Create the schema, table and GIN index unless they exist; check an existing table first."""
        # Serialise concurrent creators (several didmeta servers starting at once).
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"didmeta:{self.qualified_name}"})
        try:
            if self.config.schema is not None:
                preparer = self.engine.dialect.identifier_preparer
                conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {preparer.quote_schema(self.config.schema)}")
            self.table.create(conn, checkfirst=True)
            self._check_schema(conn)
            index = Index(
                _index_name(self.config.table, self.config.meta_column),
                self.meta_col,
                postgresql_using="gin",
                postgresql_ops={self.config.meta_column: "jsonb_path_ops"},
            )
            index.create(conn, checkfirst=True)
        except sa_exc.ProgrammingError as exc:
            detail = " ".join(str(exc.orig).split())
            raise FailedPrecondition(
                f"{PLUGIN_NAME} cannot create the table {self.qualified_name}: {detail}",
                reason=_SCHEMA_REASON,
                metadata={"plugin": PLUGIN_NAME, "table": self.qualified_name},
            ) from exc

    def _schema_error(self, problem: str) -> FailedPrecondition:
        return FailedPrecondition(
            f"{PLUGIN_NAME}: table {self.qualified_name} {problem}",
            reason=_SCHEMA_REASON,
            metadata={"plugin": PLUGIN_NAME, "table": self.qualified_name},
        )

    def _check_schema(self, conn: Connection) -> None:
        params = {"table": self.qualified_name}
        kind = conn.execute(
            text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)"), params
        ).scalar_one_or_none()
        if kind is None:
            raise self._schema_error("does not exist (with managed=false it must be created beforehand)")
        if kind not in ("r", "p"):
            raise self._schema_error("is not a table")
        columns = conn.execute(
            text(
                "SELECT a.attname, t.typname, a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' "
                "AND a.attgenerated = '' FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped"
            ),
            params,
        ).all()
        types: dict[str, str] = {row[0]: row[1] for row in columns}
        config = self.config
        expected = (
            ("scope_column", config.scope_column, ("text", "varchar")),
            ("name_column", config.name_column, ("text", "varchar")),
            ("meta_column", config.meta_column, ("jsonb",)),
        )
        for option, column, allowed in expected:
            if column not in types:
                raise self._schema_error(
                    f"has no column {column!r} (option {option}); its columns: {', '.join(sorted(types))}"
                )
            if types[column] not in allowed:
                raise self._schema_error(f"column {column!r} has type {types[column]}, expected {' or '.join(allowed)}")
        ours = {column for _option, column, _allowed in expected}
        for column, _type, required in columns:
            if required and column not in ours:
                raise self._schema_error(f"column {column!r} is NOT NULL without a default, so rows cannot be inserted")
        unique = conn.execute(
            text(
                "SELECT count(*) FROM pg_index i WHERE i.indrelid = to_regclass(:table) AND i.indisunique "
                "AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnatts = 2 "
                "AND ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey::int2[])) @> CAST(:columns AS text[]) "
            ),
            {**params, "columns": [config.scope_column, config.name_column]},
        ).scalar_one()
        if not unique:
            raise self._schema_error(
                f"has no primary key or unique index on exactly ({config.scope_column}, {config.name_column})"
            )
