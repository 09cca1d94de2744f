"""POSTGRES_JSON's client: validated options, the SQLAlchemy engine and table, and the mapping of
connection failures to `Unavailable`."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import psycopg
from sqlalchemy import Column, ColumnElement, Engine, MetaData, Table, Text, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url

from didmeta.errors import InvalidArgument, Unavailable
from didmeta.plugins.base import ExternalPlugin
from didmeta.plugins.sql_conditions import JsonConditions
from didmeta.values import dump_json

if TYPE_CHECKING:
    from didmeta.server.store.engine import Store

PLUGIN_NAME: Final = "POSTGRES_JSON"
_OPTIONS_FIELD: Final = f"plugin_options.{PLUGIN_NAME}"
_MAX_IDENTIFIER_BYTES: Final = 63  # PostgreSQL silently truncates longer names
_DEFAULT_CONNECT_TIMEOUT_S: Final = 5


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


class PostgresJsonConnection(ExternalPlugin):
    """The options, engine and table of POSTGRES_JSON."""

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

    def close(self) -> None:
        self.engine.dispose()
