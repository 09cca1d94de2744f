"""POSTGRES_JSON: metadata in an external PostgreSQL table, one JSONB document per DID (spec §3).

The table lives in a PostgreSQL database of its own (not the catalogue). Its shape, with the
column names configurable::

    CREATE TABLE did_meta (
        scope TEXT COLLATE "C", name TEXT COLLATE "C", meta JSONB NOT NULL,
        PRIMARY KEY (scope, name));
    CREATE INDEX did_meta_meta_gin ON did_meta USING gin (meta jsonb_path_ops);

With `managed: true` (the default) didmeta creates it; with `managed: false` an existing table is
used and its shape is checked: the three columns exist, meta is jsonb, scope and name are text or
varchar, and a primary key or unique index covers exactly (scope, name) (the writes are upserts and
the listing order must be unique). Listings order by `COLLATE "C"` whatever the columns' collation;
an existing table should have a `COLLATE "C"` index on (scope, name) to stream that order cheaply.

Filter clauses are the JSON plugin's (`JsonConditions`, PostgreSQL flavour), so both plugins
answer every filter identically. Documents use `didmeta.values.to_json`; doubles are written with
a decimal point so that PostgreSQL's numeric keeps them doubles (`1e16` would come back as an int).
A DID without keys has no row.

Writes run in their own transaction on the external database, committed before the request's
catalogue transaction: each write locks the rows it touches, snapshots the touched keys and
registers a compensation (`UnitOfWork.on_rollback`) that puts exactly those keys back, in a new
transaction, if the request fails later. Compensating per key rather than per document leaves
keys written meanwhile by other requests alone.

The server may be down when didmeta starts: `start` then only logs a warning, and the table is
created or checked on the first successful use. Until the server answers, calls raise
`Unavailable`; pooled connections are pinged before use, so the plugin recovers by itself.

Options (`plugin_options.POSTGRES_JSON`): url (required; `postgresql://` gets the psycopg 3
driver), table ("did_meta"), schema (none: the search path), scope_column ("scope"), name_column
("name"), meta_column ("meta"), managed (true), keys (every key), statement_timeout_ms (30000;
0 for none), pool_size (4).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

import psycopg
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Index,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    literal,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import make_url

from didmeta.errors import DidmetaError, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ALL_FEATURES, ExternalPlugin, ExternalQuery, QueryText, UnitOfWork, ValueCounts
from didmeta.plugins.sql_conditions import JsonConditions, pattern_match
from didmeta.plugins.sql_explain import explain_sql
from didmeta.plugins.sql_facets import json_value_counts
from didmeta.server.store.catalog import keys_in
from didmeta.values import Metadata, MetaValue, dump_json, from_json, to_json

if TYPE_CHECKING:
    from didmeta.server.store.engine import Store

log = logging.getLogger(__name__)

PLUGIN_NAME: Final = "POSTGRES_JSON"
_OPTIONS_FIELD: Final = f"plugin_options.{PLUGIN_NAME}"
_CHUNK: Final = 500
_FACET_CHUNK: Final = 5000
_MAX_IDENTIFIER_BYTES: Final = 63  # PostgreSQL silently truncates longer names
_HEALTH_TIMEOUT_MS: Final = 2000
_DEFAULT_CONNECT_TIMEOUT_S: Final = 5
_SCHEMA_REASON: Final = "BACKEND_SCHEMA_MISMATCH"

#: A key that a document does not have (distinct from a stored JSON null).
_ABSENT: Final[Any] = object()

Document = dict[str, Any]
#: Per DID, per key: the JSON value to store, or `_ABSENT` to remove the key.
Changes = dict[DidKey, dict[str, Any]]


# --- options -------------------------------------------------------------------------------------
def _option_error(option: str, description: str) -> InvalidArgument:
    return InvalidArgument.for_field(f"{_OPTIONS_FIELD}.{option}", description, reason="INVALID_PLUGIN_OPTION")


def _identifier(options: Mapping[str, Any], option: str, default: str | None) -> str | None:
    value = options.get(option, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _option_error(option, "must be a non-empty string")
    if len(value.encode()) > _MAX_IDENTIFIER_BYTES:
        raise _option_error(option, f"PostgreSQL names are at most {_MAX_IDENTIFIER_BYTES} bytes")
    return value


def _bool(options: Mapping[str, Any], option: str, default: bool) -> bool:
    value = options.get(option, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _option_error(option, f"must be true or false, not {value!r}")


def _int(options: Mapping[str, Any], option: str, default: int, minimum: int) -> int:
    value = options.get(option, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _option_error(option, f"must be an integer >= {minimum}, not {value!r}")
    return value


@dataclass(frozen=True)
class PostgresJsonOptions:
    """The validated options of the plugin."""

    url: str
    table: str
    schema: str | None
    scope_column: str
    name_column: str
    meta_column: str
    managed: bool
    statement_timeout_ms: int
    pool_size: int

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> PostgresJsonOptions:
        raw_url = options.get("url")
        if not isinstance(raw_url, str) or not raw_url.strip():
            raise _option_error("url", "required: the PostgreSQL URL, e.g. postgresql://user@host/db")
        try:
            url = make_url(raw_url.strip())
        except sa_exc.ArgumentError as exc:
            raise _option_error("url", "not a database URL") from exc
        if url.get_backend_name() != "postgresql":
            raise _option_error("url", f"must be a postgresql:// URL, not {url.drivername}://")
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        if url.get_driver_name() != "psycopg":
            raise _option_error("url", f"the driver must be psycopg (postgresql+psycopg://), not {url.drivername}")
        columns = {
            option: _identifier(options, option, default)
            for option, default in (
                ("scope_column", "scope"),
                ("name_column", "name"),
                ("meta_column", "meta"),
            )
        }
        if len(set(columns.values())) != len(columns):
            raise _option_error("meta_column", f"scope, name and meta columns must differ: {columns}")
        return cls(
            url=url.render_as_string(hide_password=False),
            table=_identifier(options, "table", "did_meta") or "did_meta",
            schema=_identifier(options, "schema", None),
            scope_column=columns["scope_column"] or "scope",
            name_column=columns["name_column"] or "name",
            meta_column=columns["meta_column"] or "meta",
            managed=_bool(options, "managed", True),
            statement_timeout_ms=_int(options, "statement_timeout_ms", 30000, 0),
            pool_size=_int(options, "pool_size", 4, 1),
        )


# --- errors ----------------------------------------------------------------------------------------
def _unavailable_cause(exc: BaseException) -> BaseException | None:
    """The driver error behind `exc` if it means "the server cannot be used now", else None."""
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return exc.orig or exc
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return exc.orig or exc
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return exc
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return exc
    return None


@contextmanager
def backend_errors() -> Iterator[None]:
    """Map driver and connection failures (and only those) to `Unavailable`."""
    try:
        yield
    except (sa_exc.SQLAlchemyError, psycopg.Error) as exc:
        cause = _unavailable_cause(exc)
        if cause is None:
            raise
        detail = " ".join(str(cause).split()) or type(cause).__name__
        raise Unavailable(f"{PLUGIN_NAME} backend unavailable: {detail}", metadata={"plugin": PLUGIN_NAME}) from exc


def _index_name(table: str, column: str) -> str:
    name = f"{table}_{column}_gin"
    if len(name.encode()) <= _MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f"{name.encode()[: _MAX_IDENTIFIER_BYTES - 15].decode(errors='ignore')}_{digest}_gin"


def _check_storable(value: MetaValue, field: str) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise InvalidArgument.for_field(
            field, f"{PLUGIN_NAME} (PostgreSQL JSONB) cannot store a NUL character", reason="INVALID_VALUE"
        )
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_storable(item, f"{field}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(item, f"{field}.{key}")


def _merge(current: Mapping[DidKey, Document], changes: Changes) -> tuple[dict[DidKey, Document], Changes]:
    """The new documents after `changes`, and the changes that undo them (the touched keys' old values)."""
    documents: dict[DidKey, Document] = {}
    undo: Changes = {}
    for did, change in changes.items():
        document = dict(current.get(did, {}))
        before = undo.setdefault(did, {})
        for key, value in change.items():
            before.setdefault(key, document.get(key, _ABSENT))
            if value is _ABSENT:
                document.pop(key, None)
            else:
                document[key] = value
        documents[did] = document
    return documents, undo


class PostgresJsonPlugin(ExternalPlugin):
    """One JSONB document per DID in a table of an external PostgreSQL database."""

    name = PLUGIN_NAME
    options_spec = {
        "url": "PostgreSQL URL (required)",
        "table": "table name (default did_meta)",
        "schema": "schema of the table (default: the search path)",
        "scope_column": "scope column (default scope)",
        "name_column": "name column (default name)",
        "meta_column": "JSONB column (default meta)",
        "managed": "true: didmeta creates the table and its GIN index; false: an existing table is checked",
        "statement_timeout_ms": "statement timeout in milliseconds (default 30000)",
        "pool_size": "connection pool size (default 4)",
    }
    description = "Metadata as a JSONB document per DID in an external PostgreSQL table (GIN-indexed)"
    features = ALL_FEATURES

    def __init__(self, options: Mapping[str, Any], store: Store) -> None:
        super().__init__(options, store)
        self.config = PostgresJsonOptions.parse(self.options)
        config = self.config
        url = make_url(config.url)
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = _DEFAULT_CONNECT_TIMEOUT_S
        if "application_name" not in url.query:
            connect_args["application_name"] = "didmeta-postgres-json"
        self.engine: Engine = create_engine(
            config.url,
            pool_size=config.pool_size,
            max_overflow=config.pool_size,
            pool_pre_ping=True,
            json_serializer=dump_json,
            connect_args=connect_args,
        )
        event.listen(self.engine, "connect", self._on_connect)
        self.table = Table(
            config.table,
            MetaData(),
            Column(config.scope_column, Text(collation="C"), primary_key=True),
            Column(config.name_column, Text(collation="C"), primary_key=True),
            Column(config.meta_column, JSONB, nullable=False),
            schema=config.schema,
        )
        self.scope_col: ColumnElement[Any] = self.table.c[config.scope_column]
        self.name_col: ColumnElement[Any] = self.table.c[config.name_column]
        self.meta_col: ColumnElement[Any] = self.table.c[config.meta_column]
        self.conditions = JsonConditions(self.meta_col, "postgresql")
        self.qualified_name = self.engine.dialect.identifier_preparer.format_table(self.table)
        self._ready = False
        self._ready_lock = threading.Lock()

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(self.config.statement_timeout_ms)}")
        dbapi_connection.commit()

    @contextmanager
    def _backend_errors(self) -> Iterator[None]:
        """`backend_errors`; after an outage the table is created/checked again (the server may be new)."""
        try:
            with backend_errors():
                yield
        except Unavailable:
            self._ready = False
            raise

    # --- lifecycle ----------------------------------------------------------------------------
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

    def close(self) -> None:
        self.engine.dispose()

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

    def check_values(self, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        for did, metadata in items:
            for key, value in metadata.items():
                _check_storable(value, f"{did}.{key}")

    # --- schema ---------------------------------------------------------------------------------
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

    # --- reads ------------------------------------------------------------------------------------
    def _key_in(self, chunk: Sequence[DidKey]) -> ColumnElement[bool]:
        # Per-scope `name IN (...)`: PostgreSQL plans row-value IN lists of parameters badly.
        return cast(ColumnElement[bool], keys_in(self.scope_col, self.name_col, chunk))

    def _read(self, conn: Connection, dids: Sequence[DidKey], *, lock: bool) -> dict[DidKey, Document]:
        """The documents of the DIDs that have a row (a non-object document reads as empty)."""
        documents: dict[DidKey, Document] = {}
        for start in range(0, len(dids), _CHUNK):
            query = (
                select(self.scope_col, self.name_col, self.meta_col)
                .where(self._key_in(dids[start : start + _CHUNK]))
                .order_by(self.scope_col.collate("C"), self.name_col.collate("C"))
            )
            if lock:
                query = query.with_for_update()
            for scope, name, meta in conn.execute(query):
                documents[DidKey(scope, name)] = dict(meta) if isinstance(meta, dict) else {}
        return documents

    def get_many(self, conn: Connection, dids: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        """`conn` is the catalogue's connection and is not used: the data lives in the external database."""
        if not dids:
            return {}
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.connect() as external:
                documents = self._read(external, list(dids), lock=False)
        return {
            did: {key: from_json(value) for key, value in document.items()}
            for did, document in documents.items()
            if document
        }

    def value_counts(self, conn: Connection, key: str, dids: Sequence[DidKey]) -> ValueCounts:
        """One GROUP BY per chunk of DIDs on the external table (`conn`, the catalogue's, is not used)."""
        result = ValueCounts()
        if not dids:
            return result
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.connect() as external:
                for start in range(0, len(dids), _FACET_CHUNK):
                    where = self._key_in(dids[start : start + _FACET_CHUNK])
                    result.add(json_value_counts(external, self.table, self.meta_col, key, where, "postgresql"))
        return result

    def _scope_condition(self, pattern: str) -> ColumnElement[bool]:
        scope = self.scope_col.collate("C")
        if pattern.strip("*") == "":
            return true()
        if "*" in pattern:
            return pattern_match(scope, pattern, dialect="postgresql", ignore_case=False)
        return scope == pattern

    def _select_statement(self, query: ExternalQuery) -> Select[Any]:
        scope, name = self.scope_col.collate("C"), self.name_col.collate("C")
        conditions = [self._scope_condition(query.scope_pattern)]
        conditions.extend(self.conditions.condition(clause, query.ignore_case) for clause in query.clauses)
        if query.after is not None:
            conditions.append(tuple_(scope, name) > tuple_(literal(query.after.scope), literal(query.after.name)))
        return select(self.scope_col, self.name_col).where(and_(*conditions)).order_by(scope, name)

    def explain_select(self, query: ExternalQuery) -> QueryText:
        """The SQL on the external table, with PostgreSQL's plan for it."""
        statement = self._select_statement(query)
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.connect() as external:
                return explain_sql(external, statement)

    def select(self, query: ExternalQuery) -> Iterator[list[DidKey]]:
        statement = self._select_statement(query)
        batch_size = max(1, query.batch_size)
        with self._backend_errors():
            self._ensure_ready()
            conn = self.engine.connect()
        try:
            with self._backend_errors():
                result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(statement)
                partitions = result.partitions()
            try:
                while True:
                    with self._backend_errors():
                        rows = next(partitions, None)
                    if not rows:
                        return
                    yield [DidKey(row[0], row[1]) for row in rows]
            finally:
                result.close()
        finally:
            conn.close()

    # --- writes -------------------------------------------------------------------------------------
    def _insert_missing(self, conn: Connection, dids: Sequence[DidKey]) -> None:
        """Insert an empty row for each DID without one, so that it is locked like the others.

        A concurrent writer of the same new DID waits on the unique key until this transaction
        ends, then merges onto what it committed: no lost keys, whichever request comes first.
        """
        for start in range(0, len(dids), _CHUNK):
            rows = [
                {
                    self.config.scope_column: did.scope,
                    self.config.name_column: did.name,
                    self.config.meta_column: {},
                }
                for did in dids[start : start + _CHUNK]
            ]
            conn.execute(
                insert(self.table).values(rows).on_conflict_do_nothing(index_elements=[self.scope_col, self.name_col])
            )

    def _write(self, conn: Connection, documents: Mapping[DidKey, Document]) -> None:
        """Store the documents of rows that exist (locked); an empty document deletes its row."""
        updates = [
            {"_scope": did.scope, "_name": did.name, "_meta": document}
            for did, document in documents.items()
            if document
        ]
        if updates:
            statement = (
                update(self.table)
                .where(self.scope_col == bindparam("_scope"), self.name_col == bindparam("_name"))
                .values({self.meta_col: bindparam("_meta", type_=JSONB)})
            )
            conn.execute(statement, updates)
        empty = [did for did, document in documents.items() if not document]
        for start in range(0, len(empty), _CHUNK):
            conn.execute(delete(self.table).where(self._key_in(empty[start : start + _CHUNK])))

    def _prepare(self, conn: Connection, changes: Changes) -> tuple[dict[DidKey, Document], Changes]:
        """Lock the rows of the changed DIDs (creating missing ones) and merge the changes."""
        dids = sorted(changes)  # one lock order for every writer
        self._insert_missing(conn, dids)
        return _merge(self._read(conn, dids, lock=True), changes)

    def _apply(self, changes: Changes) -> None:
        """Apply changes in a transaction of their own (compensations)."""
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                documents, _undo = self._prepare(conn, changes)
                self._write(conn, documents)

    def _register_undo(self, uow: UnitOfWork, undo: Changes) -> None:
        if any(undo.values()):
            uow.on_rollback(functools.partial(self._apply, undo))

    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        changes: Changes = {}
        for did, metadata in items:
            change = changes.setdefault(DidKey(*did), {})
            for key, value in metadata.items():
                change[key] = _ABSENT if value is None else to_json(value)
        if not any(changes.values()):
            return
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                documents, undo = self._prepare(conn, changes)
                self._register_undo(uow, undo)
                self._write(conn, documents)

    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        if not keys:
            return
        did = DidKey(*did)
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                current = self._read(conn, [did], lock=True)
                document = current.get(did, {})
                for key in keys:
                    if key not in document:
                        raise NotFound(
                            f"key {key!r} is not set on {did}", reason="KEY_NOT_FOUND", metadata={"key": key}
                        )
                documents, undo = _merge(current, {did: dict.fromkeys(keys, _ABSENT)})
                self._register_undo(uow, undo)
                self._write(conn, documents)

    def delete_dids(self, uow: UnitOfWork, dids: Sequence[DidKey]) -> None:
        if not dids:
            return
        ordered = sorted({DidKey(*did) for did in dids})
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                current = self._read(conn, ordered, lock=True)
                self._register_undo(uow, {did: dict(document) for did, document in current.items()})
                for start in range(0, len(ordered), _CHUNK):
                    conn.execute(delete(self.table).where(self._key_in(ordered[start : start + _CHUNK])))
