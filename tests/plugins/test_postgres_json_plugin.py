"""POSTGRES_JSON against a real PostgreSQL server (started by tests/support/backends.py).

Every test works on tables of its own in one module-scoped cluster. The catalogue is an in-memory
SQLite `Store`; writes get a `UnitOfWork` from `store.write()`, and a failing request runs the
plugin's compensations the way the dispatcher does.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from didmeta.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from didmeta.filters.model import Clause, Op
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ALL_FEATURES, ExternalQuery, UnitOfWork
from didmeta.plugins.postgres_json import PostgresJsonPlugin
from didmeta.server.store.engine import Store
from didmeta.values import Metadata, MetaValue
from tests.support.backends import SCRIPTS_DIR, RunningBackend, start_backend, stop_backend

pytestmark = pytest.mark.postgres

TS = datetime(2024, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)
TS_NEXT = datetime(2024, 3, 1, 12, 30, 45, 123457, tzinfo=UTC)  # one microsecond later
APP = "didmeta-postgres-json"

MakePlugin = Callable[..., PostgresJsonPlugin]


# --- fixtures and helpers ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
    backend = start_backend("postgres", tmp_path_factory.mktemp("pg"))
    try:
        yield backend
    finally:
        stop_backend(backend)


def _engine(url: str) -> Engine:
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


@pytest.fixture(scope="module")
def admin(pg: RunningBackend) -> Iterator[Engine]:
    """A connection of its own to inspect and prepare the database, independent of the plugin."""
    engine = _engine(pg.url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def store() -> Iterator[Store]:
    catalogue = Store("sqlite:///:memory:")
    try:
        yield catalogue
    finally:
        catalogue.dispose()


@pytest.fixture
def make_plugin(pg: RunningBackend, store: Store) -> Iterator[MakePlugin]:
    plugins: list[PostgresJsonPlugin] = []

    def make(**options: Any) -> PostgresJsonPlugin:
        options.setdefault("url", pg.url)
        options.setdefault("table", f"t_{uuid.uuid4().hex[:12]}")
        plugin = PostgresJsonPlugin(options, store)
        plugins.append(plugin)
        plugin.start()
        return plugin

    yield make
    for plugin in plugins:
        plugin.close()


def new_table() -> str:
    return f"x_{uuid.uuid4().hex[:12]}"


def execute(admin: Engine, *statements: str) -> None:
    with admin.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def rows(admin: Engine, plugin: PostgresJsonPlugin) -> dict[DidKey, Any]:
    """The stored documents, raw JSON, read with SQL of the test's own."""
    config = plugin.config
    sql = f'SELECT "{config.scope_column}", "{config.name_column}", "{config.meta_column}" FROM {plugin.qualified_name}'
    with admin.connect() as conn:
        return {DidKey(scope, name): meta for scope, name, meta in conn.exec_driver_sql(sql)}


def request(store: Store, work: Callable[[UnitOfWork], None]) -> UnitOfWork:
    """A request that succeeds."""
    with store.write() as conn:
        uow = UnitOfWork(conn)
        work(uow)
        return uow


class LaterStepFailed(Exception):
    pass


def failing_request(store: Store, work: Callable[[UnitOfWork], None]) -> UnitOfWork:
    """A request whose later step fails: compensations run in reverse, as in Dispatcher._write."""
    holder: list[UnitOfWork] = []
    with pytest.raises(LaterStepFailed):
        try:
            with store.write() as conn:
                holder.append(UnitOfWork(conn))
                work(holder[0])
                raise LaterStepFailed
        except LaterStepFailed:
            for undo in reversed(holder[0].compensations):
                undo()
            raise
    return holder[0]


def set_all(store: Store, plugin: PostgresJsonPlugin, items: Iterable[tuple[DidKey, Metadata]]) -> None:
    request(store, lambda uow: plugin.set_many(uow, list(items)))


def found(plugin: PostgresJsonPlugin, *clauses: Clause, scope: str = "*", ignore_case: bool = False) -> set[str]:
    return {
        did.name for batch in plugin.select(ExternalQuery(scope, clauses, ignore_case=ignore_case)) for did in batch
    }


def get(plugin: PostgresJsonPlugin, dids: list[DidKey]) -> dict[DidKey, Metadata]:
    """get_many with a closed catalogue connection: the plugin must read its own database."""
    closed = plugin.store.engine.connect()
    closed.close()
    return plugin.get_many(closed, dids)


def typed(value: MetaValue) -> Any:
    """A value with the type of every part spelled out, so that 5 and 5.0 differ."""
    if isinstance(value, list):
        return ["list", [typed(item) for item in value]]
    if isinstance(value, dict):
        return ["map", {key: typed(item) for key, item in value.items()}]
    return [type(value).__name__, value]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgres_on(port: int, directory: Path) -> RunningBackend:
    proc = subprocess.run(
        [str(SCRIPTS_DIR / "postgres.sh"), "start", str(directory), str(port)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return RunningBackend("postgres", proc.stdout.strip().splitlines()[-1], directory)


# --- options ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "url"),
        ({"url": "sqlite:///x.db"}, "url"),
        ({"url": "postgresql+asyncpg://h/db"}, "url"),
        ({"url": "postgresql://h/db", "managed": "maybe"}, "managed"),
        ({"url": "postgresql://h/db", "pool_size": 0}, "pool_size"),
        ({"url": "postgresql://h/db", "statement_timeout_ms": -1}, "statement_timeout_ms"),
        ({"url": "postgresql://h/db", "statement_timeout_ms": True}, "statement_timeout_ms"),
        ({"url": "postgresql://h/db", "table": ""}, "table"),
        ({"url": "postgresql://h/db", "table": "t" * 64}, "table"),
        ({"url": "postgresql://h/db", "name_column": "scope"}, "meta_column"),
    ],
)
def test_invalid_options_are_refused(options: dict[str, Any], field: str, store: Store) -> None:
    with pytest.raises(InvalidArgument) as info:
        PostgresJsonPlugin(options, store)
    assert info.value.metadata["field"] == f"plugin_options.POSTGRES_JSON.{field}"


def test_options_defaults_and_driver(store: Store) -> None:
    plugin = PostgresJsonPlugin({"url": "postgresql://u@h:5/db", "managed": "false", "pool_size": "3"}, store)
    try:
        assert plugin.engine.url.drivername == "postgresql+psycopg"
        assert plugin.config.managed is False
        assert plugin.engine.pool.size() == 3  # type: ignore[attr-defined]
        assert (plugin.config.table, plugin.config.schema) == ("did_meta", None)
        assert (plugin.config.scope_column, plugin.config.name_column, plugin.config.meta_column) == (
            "scope",
            "name",
            "meta",
        )
        assert plugin.config.statement_timeout_ms == 30000
        assert plugin.name == "POSTGRES_JSON"
        assert plugin.features == ALL_FEATURES
    finally:
        plugin.close()


def test_statement_timeout_is_set_on_connections(make_plugin: MakePlugin) -> None:
    plugin = make_plugin(statement_timeout_ms=1234)
    with plugin.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "1234ms"
    default = make_plugin()
    with default.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "30s"


# --- schema ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [{}, {"schema": "didmeta_ext", "scope_column": "s", "name_column": "n", "meta_column": "doc"}],
    ids=["defaults", "schema-and-custom-columns"],
)
def test_managed_table_has_c_collated_key_and_gin_index(
    options: dict[str, str], make_plugin: MakePlugin, admin: Engine, store: Store
) -> None:
    plugin = make_plugin(**options)
    schema, table = options.get("schema", "public"), plugin.config.table
    scope, name, meta = (
        options.get(k, d) for k, d in (("scope_column", "scope"), ("name_column", "name"), ("meta_column", "meta"))
    )
    with admin.connect() as conn:
        indexes = [
            row[0]
            for row in conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = :t ORDER BY indexname"),
                {"s": schema, "t": table},
            )
        ]
        columns = {
            row[0]: (row[1], row[2], row[3])
            for row in conn.execute(
                text(
                    "SELECT column_name, data_type, collation_name, is_nullable FROM information_schema.columns "
                    "WHERE table_schema = :s AND table_name = :t"
                ),
                {"s": schema, "t": table},
            )
        }
        primary_key = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(:q) AND i.indisprimary "
                    "ORDER BY array_position(i.indkey::int2[], a.attnum)"
                ),
                {"q": plugin.qualified_name},
            )
        ]
    assert primary_key == [scope, name]
    assert columns == {scope: ("text", "C", "NO"), name: ("text", "C", "NO"), meta: ("jsonb", None, "NO")}
    gin = [index for index in indexes if "USING gin" in index]
    assert len(gin) == 1 and f"USING gin ({meta} jsonb_path_ops)" in gin[0]
    assert len(indexes) == 2  # the primary key and the GIN index, nothing else

    # A second plugin on the same (now existing) table starts and sees the first one's data.
    set_all(store, plugin, [(DidKey("sc", "a"), {"k": 1})])
    again = make_plugin(**options, table=table)
    assert get(again, [DidKey("sc", "a")]) == {DidKey("sc", "a"): {"k": 1}}
    assert rows(admin, again) == {DidKey("sc", "a"): {"k": 1}}


def test_existing_table_with_custom_columns(make_plugin: MakePlugin, admin: Engine, store: Store) -> None:
    table = new_table()
    # en-x-icu sorts "a" before "B"; the plugin must still stream in (scope, name) code point order.
    execute(
        admin,
        "CREATE SCHEMA IF NOT EXISTS legacy",
        f'CREATE TABLE legacy.{table} (did_scope varchar(25) COLLATE "en-x-icu", '
        f'did_name text COLLATE "en-x-icu", attrs jsonb, extra int, PRIMARY KEY (did_scope, did_name))',
        f"""INSERT INTO legacy.{table} VALUES ('user', 'B', '{{"k": 1}}', 7)""",
    )
    plugin = make_plugin(
        table=table,
        schema="legacy",
        managed=False,
        scope_column="did_scope",
        name_column="did_name",
        meta_column="attrs",
    )
    a, b = DidKey("user", "a"), DidKey("user", "B")

    set_all(store, plugin, [(a, {"k": 2}), (b, {"j": "x"})])
    assert rows(admin, plugin) == {a: {"k": 2}, b: {"k": 1, "j": "x"}}
    assert get(plugin, [a, b]) == {a: {"k": 2}, b: {"k": 1, "j": "x"}}

    with admin.connect() as conn:
        icu_order = [r[0] for r in conn.exec_driver_sql(f"SELECT did_name FROM legacy.{table} ORDER BY did_name")]
        extra = conn.exec_driver_sql(f"SELECT extra FROM legacy.{table} WHERE did_name = 'B'").scalar_one()
    assert icu_order == ["a", "B"]  # so the next assertion can tell the two orders apart
    assert extra == 7  # only the meta column is written
    query = ExternalQuery("user", (Clause("k", Op.GTE, 1),))
    assert list(plugin.select(query)) == [[b, a]]
    assert list(plugin.select(ExternalQuery("user", (Clause("k", Op.GTE, 1),), after=b))) == [[a]]
    assert list(plugin.select(ExternalQuery("us*", (Clause("j", Op.EQ, "x"),)))) == [[b]]

    request(store, lambda uow: plugin.delete_keys(uow, b, ["j"]))
    assert rows(admin, plugin) == {a: {"k": 2}, b: {"k": 1}}
    failing_request(store, lambda uow: plugin.delete_dids(uow, [a, b]))
    assert rows(admin, plugin) == {a: {"k": 2}, b: {"k": 1}}
    request(store, lambda uow: plugin.delete_dids(uow, [a]))
    assert rows(admin, plugin) == {b: {"k": 1}}

    with admin.connect() as conn:
        created = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'legacy' AND tablename <> :t"), {"t": table}
        ).all()
        indexes = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE schemaname = 'legacy' AND tablename = :t"), {"t": table}
        ).all()
    assert created == [] and len(indexes) == 1  # managed=false creates nothing


def test_existing_table_with_unique_index_and_defaulted_columns(
    make_plugin: MakePlugin, admin: Engine, store: Store
) -> None:
    table = new_table()
    execute(
        admin,
        f"CREATE TABLE {table} (scope varchar(25), name varchar(250), meta jsonb, "
        "n int NOT NULL DEFAULT 0, id int GENERATED ALWAYS AS IDENTITY, n2 int GENERATED ALWAYS AS (n * 2) STORED)",
        f"CREATE UNIQUE INDEX ON {table} (name, scope)",
    )
    plugin = make_plugin(table=table, managed=False)
    set_all(store, plugin, [(DidKey("s", "n"), {"k": 1})])
    set_all(store, plugin, [(DidKey("s", "n"), {"k": 2})])
    assert rows(admin, plugin) == {DidKey("s", "n"): {"k": 2}}


@pytest.mark.parametrize(
    ("ddl", "problem"),
    [
        (None, "does not exist"),
        ("CREATE TABLE {t} (scope text, name text, PRIMARY KEY (scope, name))", "has no column 'meta'"),
        (
            "CREATE TABLE {t} (scope text, name text, meta json, PRIMARY KEY (scope, name))",
            "column 'meta' has type json, expected jsonb",
        ),
        (
            "CREATE TABLE {t} (scope int, name text, meta jsonb, PRIMARY KEY (scope, name))",
            "column 'scope' has type int4, expected text or varchar",
        ),
        (
            "CREATE TABLE {t} (scope text, name char(10), meta jsonb, PRIMARY KEY (scope, name))",
            "column 'name' has type bpchar",
        ),
        ("CREATE TABLE {t} (scope text, name text, meta jsonb)", "no primary key or unique index"),
        (
            "CREATE TABLE {t} (scope text, name text, meta jsonb, v int, UNIQUE (scope, name, v))",
            "no primary key or unique index",
        ),
        (
            "CREATE TABLE {t} (scope text, name text, meta jsonb); "
            "CREATE UNIQUE INDEX ON {t} (scope, name) WHERE meta IS NOT NULL",
            "no primary key or unique index",
        ),
        ("CREATE VIEW {t} AS SELECT 'a'::text AS scope, 'b'::text AS name, '{{}}'::jsonb AS meta", "is not a table"),
        (
            "CREATE TABLE {t} (scope text, name text, meta jsonb, owner text NOT NULL, PRIMARY KEY (scope, name))",
            "column 'owner' is NOT NULL without a default",
        ),
    ],
    ids=[
        "missing",
        "no-meta",
        "json",
        "int-scope",
        "char-name",
        "no-key",
        "wider-key",
        "partial-key",
        "view",
        "not-null-extra",
    ],
)
def test_existing_table_of_wrong_shape_is_refused(
    ddl: str | None, problem: str, make_plugin: MakePlugin, admin: Engine
) -> None:
    table = new_table()
    if ddl is not None:
        execute(admin, *ddl.format(t=table).split("; "))
    with pytest.raises(FailedPrecondition) as info:
        make_plugin(table=table, managed=False)
    assert problem in info.value.message
    assert table in info.value.message
    assert info.value.metadata["plugin"] == "POSTGRES_JSON"


def test_managed_mode_checks_an_existing_table_too(make_plugin: MakePlugin, admin: Engine) -> None:
    table = new_table()
    execute(admin, f"CREATE TABLE {table} (scope text, name text, meta json, PRIMARY KEY (scope, name))")
    with pytest.raises(FailedPrecondition, match="expected jsonb"):
        make_plugin(table=table)


# --- values ------------------------------------------------------------------------------------------
def test_type_round_trips(make_plugin: MakePlugin, admin: Engine, store: Store) -> None:
    plugin = make_plugin()
    did = DidKey("data", "file.root")
    metadata: Metadata = {
        "int": 5,
        "double": 5.0,
        "big_double": 1e16,
        "huge_double": 1e300,
        "tiny_double": -2.5e-7,
        "int_max": 2**63 - 1,
        "int_min": -(2**63),
        "yes": True,
        "no": False,
        "empty": "",
        "text": 'ünïcödé ✓ "quoted" \\ back',
        "when": TS,
        "list": [1, 2.0, "x", TS_NEXT, [True, None]],
        "map": {"a": {"b": [1, {"c": TS}]}, "d": 5.0, "e": None},
    }
    set_all(store, plugin, [(did, metadata)])
    assert typed(get(plugin, [did])[did]) == typed(metadata)
    raw = rows(admin, plugin)[did]
    assert raw["when"] == {"$ts": "2024-03-01T12:30:45.123456Z"}
    assert [type(raw["int"]), type(raw["double"]), type(raw["big_double"])] == [int, float, float]
    # numbers keep comparing by value whatever their form
    assert found(plugin, Clause("big_double", Op.EQ, 10**16)) == {"file.root"}
    assert found(plugin, Clause("huge_double", Op.GT, 9.9e299)) == {"file.root"}
    assert found(plugin, Clause("when", Op.EQ, TS)) == {"file.root"}
    assert found(plugin, Clause("when", Op.EQ, TS_NEXT)) == set()


def test_none_removes_keys_and_empty_documents_have_no_row(
    make_plugin: MakePlugin, admin: Engine, store: Store
) -> None:
    plugin = make_plugin()
    a, b, c = DidKey("s", "a"), DidKey("s", "b"), DidKey("s", "c")
    set_all(store, plugin, [(a, {"x": 1, "y": 2}), (b, {"x": 1}), (c, {"gone": None})])
    set_all(store, plugin, [(a, {"y": None, "z": [1]}), (b, {"x": None})])
    assert rows(admin, plugin) == {a: {"x": 1, "z": [1]}}
    assert get(plugin, [a, b, c]) == {a: {"x": 1, "z": [1]}}
    assert get(plugin, []) == {}


def test_values_postgres_cannot_store_are_refused(make_plugin: MakePlugin) -> None:
    plugin = make_plugin()
    plugin.check_values([(DidKey("s", "ok"), {"k": "fine", "l": ["a"]})])
    with pytest.raises(InvalidArgument) as info:
        plugin.check_values([(DidKey("s", "n"), {"k": {"deep": ["ok", "nul\x00"]}})])
    assert info.value.metadata["field"] == "s:n.k.deep[1]"


# --- filters -------------------------------------------------------------------------------------------
MIXED: dict[str, MetaValue] = {
    "i5": 5,
    "d5": 5.0,
    "d7": 7.5,
    "neg": -3,
    "s5": "5",
    "sabc": "abc",
    "sAbd": "Abd",
    "bt": True,
    "bf": False,
    "ts1": TS,
    "ts2": TS_NEXT,
    "lst": [5, "abc", True, TS],
    "mp": {"v": 5},
}
ALL_MIXED = set(MIXED) | {"none"}


@pytest.mark.parametrize(
    ("clauses", "ignore_case", "expected"),
    [
        ((Clause("v", Op.EQ, 5),), False, {"i5", "d5"}),
        ((Clause("v", Op.EQ, 5.0),), False, {"i5", "d5"}),
        ((Clause("v", Op.EQ, "5"),), False, {"s5"}),
        ((Clause("v", Op.EQ, True),), False, {"bt"}),
        ((Clause("v", Op.EQ, False),), False, {"bf"}),
        ((Clause("v", Op.EQ, TS),), False, {"ts1"}),
        ((Clause("v", Op.LT, 6),), False, {"i5", "d5", "neg"}),
        ((Clause("v", Op.LTE, 5),), False, {"i5", "d5", "neg"}),
        ((Clause("v", Op.GTE, 5.0),), False, {"i5", "d5", "d7"}),
        ((Clause("v", Op.GT, 5),), False, {"d7"}),
        ((Clause("v", Op.GT, "a"),), False, {"sabc"}),
        ((Clause("v", Op.LT, "a"),), False, {"s5", "sAbd"}),
        ((Clause("v", Op.GT, TS),), False, {"ts2"}),
        ((Clause("v", Op.LTE, TS_NEXT),), False, {"ts1", "ts2"}),
        ((Clause("v", Op.LT, True),), False, set()),
        ((Clause("v", Op.EXISTS, True),), False, set(MIXED)),
        ((Clause("v", Op.EXISTS, False),), False, {"none"}),
        ((Clause("v", Op.IN, [5, "abc", False, TS_NEXT]),), False, {"i5", "d5", "sabc", "bf", "ts2"}),
        ((Clause("v", Op.CONTAINS, 5),), False, {"lst"}),
        ((Clause("v", Op.CONTAINS, 5.0),), False, {"lst"}),
        ((Clause("v", Op.CONTAINS, "abc"),), False, {"lst"}),
        ((Clause("v", Op.CONTAINS, True),), False, {"lst"}),
        ((Clause("v", Op.CONTAINS, TS),), False, {"lst"}),
        ((Clause("v", Op.CONTAINS, "5"),), False, set()),
        ((Clause("v", Op.PREFIX, "ab"),), False, {"sabc"}),
        ((Clause("v", Op.NE, 5),), False, ALL_MIXED - {"i5", "d5"}),
        ((Clause("v", Op.NE, "abc"),), False, ALL_MIXED - {"sabc"}),
        ((Clause("v", Op.GTE, 5), Clause("v", Op.LT, 7)), False, {"i5", "d5"}),
        ((Clause("v", Op.EXISTS, True), Clause("w", Op.EQ, 1)), False, {"i5", "sabc"}),
        ((Clause("v", Op.EQ, "ABC"),), True, {"sabc"}),
        ((Clause("v", Op.EQ, "ABC"),), False, set()),
        ((Clause("v", Op.PREFIX, "AB"),), True, {"sabc", "sAbd"}),
        ((Clause("v", Op.GT, "a"),), True, {"sabc", "sAbd"}),
        ((Clause("v", Op.CONTAINS, "ABC"),), True, {"lst"}),
        ((Clause("v", Op.IN, ["ABD", 7.5]),), True, {"sAbd", "d7"}),
    ],
)
def test_operators_on_mixed_types(
    clauses: tuple[Clause, ...], ignore_case: bool, expected: set[str], mixed_plugin: PostgresJsonPlugin
) -> None:
    assert found(mixed_plugin, *clauses, ignore_case=ignore_case) == expected


@pytest.fixture(scope="module")
def mixed_plugin(pg: RunningBackend) -> Iterator[PostgresJsonPlugin]:
    catalogue = Store("sqlite:///:memory:")
    plugin = PostgresJsonPlugin({"url": pg.url, "table": new_table()}, catalogue)
    plugin.start()
    items: list[tuple[DidKey, Metadata]] = [(DidKey("mix", name), {"v": value}) for name, value in MIXED.items()]
    items.append((DidKey("mix", "none"), {"other": 1}))
    items += [(DidKey("mix", "i5"), {"w": 1}), (DidKey("mix", "sabc"), {"w": 1}), (DidKey("mix", "bt"), {"w": 2})]
    set_all(catalogue, plugin, items)
    try:
        yield plugin
    finally:
        plugin.close()
        catalogue.dispose()


WILD: dict[str, str] = {
    "abc": "abc",
    "ABC": "ABC",
    "xabcx": "xabcx",
    "q": "a?c",
    "br": "a[b]c",
    "pct": "50%",
    "n500": "500",
    "us": "a_c",
    "bs": "a\\c",
}


@pytest.mark.parametrize(
    ("clause", "ignore_case", "expected"),
    [
        (Clause("w", Op.EQ, "a*c", wildcard=True), False, {"abc", "q", "br", "us", "bs"}),
        (Clause("w", Op.EQ, "*abc*", wildcard=True), False, {"abc", "xabcx"}),
        (Clause("w", Op.EQ, "*bc", wildcard=True), False, {"abc"}),
        (Clause("w", Op.EQ, "a?*", wildcard=True), False, {"q"}),
        (Clause("w", Op.EQ, "a[*", wildcard=True), False, {"br"}),
        (Clause("w", Op.EQ, "50%*", wildcard=True), False, {"pct"}),
        (Clause("w", Op.EQ, "50*", wildcard=True), False, {"pct", "n500"}),
        (Clause("w", Op.EQ, "a_*", wildcard=True), False, {"us"}),
        (Clause("w", Op.EQ, "a\\*", wildcard=True), False, {"bs"}),
        (Clause("w", Op.EQ, "A*C", wildcard=True), False, {"ABC"}),
        (Clause("w", Op.EQ, "A*C", wildcard=True), True, {"abc", "ABC", "q", "br", "us", "bs"}),
        (Clause("w", Op.NE, "a*c", wildcard=True), False, {"ABC", "xabcx", "pct", "n500", "nokey"}),
        (Clause("w", Op.PREFIX, "a_"), False, {"us"}),
        (Clause("w", Op.PREFIX, "50%"), False, {"pct"}),
        (Clause("w", Op.PREFIX, "a\\"), False, {"bs"}),
        (Clause("w", Op.PREFIX, "a["), False, {"br"}),
        (Clause("w", Op.EQ, "a?c"), False, {"q"}),
    ],
)
def test_wildcards_are_anchored_and_other_characters_literal(
    clause: Clause, ignore_case: bool, expected: set[str], make_plugin: MakePlugin, store: Store
) -> None:
    plugin = make_plugin()
    items: list[tuple[DidKey, Metadata]] = [(DidKey("w", name), {"w": value}) for name, value in WILD.items()]
    set_all(store, plugin, [*items, (DidKey("w", "nokey"), {"other": "abc"})])
    assert found(plugin, clause, ignore_case=ignore_case) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*", {"user.alice", "user.bob", "user", "data_1", "dataX1", "group"}),
        ("**", {"user.alice", "user.bob", "user", "data_1", "dataX1", "group"}),
        ("user.*", {"user.alice", "user.bob"}),
        ("user*", {"user.alice", "user.bob", "user"}),
        ("data_*", {"data_1"}),
        ("*1", {"data_1", "dataX1"}),
        ("*a*", {"user.alice", "data_1", "dataX1"}),
        ("group", {"group"}),
        ("grou", set()),
        ("GROUP", set()),
    ],
)
def test_scope_patterns(pattern: str, expected: set[str], make_plugin: MakePlugin, store: Store) -> None:
    plugin = make_plugin()
    scopes = ["user.alice", "user.bob", "user", "data_1", "dataX1", "group"]
    set_all(store, plugin, [(DidKey(scope, "n"), {"k": 1}) for scope in scopes])
    result = {did.scope for batch in plugin.select(ExternalQuery(pattern, (Clause("k", Op.EQ, 1),))) for did in batch}
    assert result == expected


# --- ordering, resumption, batches, streaming --------------------------------------------------------
def test_order_after_and_batches_over_3000_dids(make_plugin: MakePlugin, admin: Engine, store: Store) -> None:
    plugin = make_plugin()
    prefixes = ["a", "B", "_x", "-y", ".z", "f/d", "A", "b"]
    scopes = ["beta-1", "Alpha", "alpha", "al_pha"]
    dids = [DidKey(scopes[i % 4], f"{prefixes[i % 8]}{i:04d}") for i in range(3000)]
    set_all(store, plugin, [(did, {"i": i}) for i, did in enumerate(dids)])
    expected = sorted(dids)  # code point order, as COLLATE "C"
    assert expected != sorted(dids, key=lambda d: (d.scope.lower(), d.name.lower()))

    batches = list(plugin.select(ExternalQuery("*", (Clause("i", Op.GTE, 0),), batch_size=700)))
    assert [len(batch) for batch in batches] == [700, 700, 700, 700, 200]
    assert [did for batch in batches for did in batch] == expected

    for after in (expected[1234], DidKey("alpha", "B"), DidKey("Alpha", ""), DidKey("zzz", "a")):
        resumed = [did for batch in plugin.select(ExternalQuery("*", (), after=after, batch_size=999)) for did in batch]
        assert resumed == [did for did in expected if did > after]

    # scope pattern, clause and `after` together
    start = DidKey("al_pha", "B")
    query = ExternalQuery("al*", (Clause("i", Op.LT, 1500),), after=start, batch_size=100)
    got = [did for batch in plugin.select(query) for did in batch]
    want = [d for d in expected if d.scope in ("alpha", "al_pha") and dids.index(d) < 1500 and d > start]
    assert got == want and len(got) > 100


def test_select_streams_with_a_server_side_cursor_and_releases_it(
    make_plugin: MakePlugin, admin: Engine, store: Store
) -> None:
    plugin = make_plugin()
    set_all(store, plugin, [(DidKey("s", f"n{i:04d}"), {"i": i}) for i in range(1000)])
    stream = plugin.select(ExternalQuery("s", (), batch_size=300))
    assert isinstance(stream, Generator)
    assert len(next(stream)) == 300
    activity = "SELECT state, query FROM pg_stat_activity WHERE application_name = :app AND pid <> pg_backend_pid()"
    with admin.connect() as conn:
        sessions = conn.execute(text(activity), {"app": APP}).all()
    assert [state for state, _ in sessions].count("idle in transaction") == 1
    assert any(query.startswith("FETCH FORWARD") for state, query in sessions if state == "idle in transaction")
    assert plugin.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    stream.close()
    assert plugin.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    with admin.connect() as conn:
        states = [state for state, _ in conn.execute(text(activity), {"app": APP})]
    assert "idle in transaction" not in states


# --- writes and compensation ----------------------------------------------------------------------
A, B, C = DidKey("s", "a"), DidKey("s", "b"), DidKey("s", "c")
BEFORE: dict[DidKey, Any] = {A: {"a": 1, "b": "x", "keep": 5.0}, B: {"t": {"$ts": "2024-03-01T12:30:45.123456Z"}}}


@pytest.fixture
def seeded(make_plugin: MakePlugin, store: Store, admin: Engine) -> PostgresJsonPlugin:
    plugin = make_plugin()
    set_all(store, plugin, [(A, {"a": 1, "b": "x", "keep": 5.0}), (B, {"t": TS})])
    assert rows(admin, plugin) == BEFORE
    return plugin


def test_set_many_compensation_restores_exactly(seeded: PostgresJsonPlugin, store: Store, admin: Engine) -> None:
    during: list[dict[DidKey, Any]] = []

    def work(uow: UnitOfWork) -> None:
        seeded.set_many(uow, [(A, {"a": 2, "b": None, "new": [1]}), (B, {"t": None}), (C, {"c": 1})])
        during.append(rows(admin, seeded))

    uow = failing_request(store, work)
    assert during == [{A: {"a": 2, "keep": 5.0, "new": [1]}, C: {"c": 1}}]  # committed externally at once
    assert len(uow.compensations) == 1
    after = rows(admin, seeded)
    assert after == BEFORE
    assert type(after[A]["keep"]) is float


def test_compensation_leaves_keys_written_meanwhile(seeded: PostgresJsonPlugin, store: Store, admin: Engine) -> None:
    def work(uow: UnitOfWork) -> None:
        seeded.set_many(uow, [(A, {"a": 3})])
        set_all(store_b, seeded, [(A, {"other": 1})])  # another request, committed in between

    store_b = Store("sqlite:///:memory:")
    try:
        failing_request(store, work)
    finally:
        store_b.dispose()
    assert rows(admin, seeded) == {**BEFORE, A: {"a": 1, "b": "x", "keep": 5.0, "other": 1}}


def test_concurrent_creation_of_a_new_did_merges(seeded: PostgresJsonPlugin, store: Store, admin: Engine) -> None:
    """Another writer inserts the same new DID meanwhile: set_many waits for it and merges, losing nothing."""
    new = DidKey("s", "race")
    uows: list[UnitOfWork] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            uows.append(request(store, lambda uow: seeded.set_many(uow, [(new, {"a": 1})])))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with admin.connect() as other:
        other.exec_driver_sql(f"""INSERT INTO {seeded.qualified_name} VALUES ('s', 'race', '{{"x": 1}}')""")
        thread = threading.Thread(target=write)
        thread.start()
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app AND wait_event_type = 'Lock'"
        deadline = time.monotonic() + 10
        with admin.connect() as probe:
            while not probe.execute(text(waiting), {"app": APP}).scalar_one() and time.monotonic() < deadline:
                probe.rollback()
                time.sleep(0.02)
            assert probe.execute(text(waiting), {"app": APP}).scalar_one() == 1  # set_many waits for `other`
        other.commit()
    thread.join(10)
    assert not thread.is_alive() and errors == []
    assert rows(admin, seeded)[new] == {"x": 1, "a": 1}
    for undo in uows[0].compensations:  # undoing set_many removes its key only
        undo()
    assert rows(admin, seeded)[new] == {"x": 1}


def test_successful_request_keeps_its_writes(seeded: PostgresJsonPlugin, store: Store, admin: Engine) -> None:
    uow = request(store, lambda uow: seeded.set_many(uow, [(A, {"a": 2}), (C, {"c": "new"})]))
    assert len(uow.compensations) == 1
    assert rows(admin, seeded) == {A: {"a": 2, "b": "x", "keep": 5.0}, B: BEFORE[B], C: {"c": "new"}}


@pytest.mark.parametrize(
    ("did", "keys", "missing"), [(A, ["a", "missing"], "missing"), (A, ["keep", "b", "b2"], "b2"), (C, ["a"], "a")]
)
def test_delete_keys_not_found_changes_nothing(
    did: DidKey, keys: list[str], missing: str, seeded: PostgresJsonPlugin, store: Store, admin: Engine
) -> None:
    holder: list[UnitOfWork] = []

    def work(uow: UnitOfWork) -> None:
        holder.append(uow)
        seeded.delete_keys(uow, did, keys)

    with pytest.raises(NotFound) as info:
        request(store, work)
    assert (info.value.reason, info.value.metadata) == ("KEY_NOT_FOUND", {"key": missing})
    assert holder[0].compensations == []
    assert rows(admin, seeded) == BEFORE


def test_delete_keys(seeded: PostgresJsonPlugin, store: Store, admin: Engine) -> None:
    failing_request(store, lambda uow: seeded.delete_keys(uow, A, ["a", "keep"]))
    assert rows(admin, seeded) == BEFORE
    request(store, lambda uow: seeded.delete_keys(uow, A, ["a", "b"]))
    assert rows(admin, seeded) == {A: {"keep": 5.0}, B: BEFORE[B]}
    request(store, lambda uow: seeded.delete_keys(uow, A, ["keep"]))
    assert rows(admin, seeded) == {B: BEFORE[B]}  # no keys left: no row


def test_delete_dids(seeded: PostgresJsonPlugin, store: Store, admin: Engine) -> None:
    uow = failing_request(store, lambda uow: seeded.delete_dids(uow, [A, B, C]))
    assert len(uow.compensations) == 1
    after = rows(admin, seeded)
    assert after == BEFORE and type(after[A]["keep"]) is float
    request(store, lambda uow: seeded.delete_dids(uow, [A, C]))
    assert rows(admin, seeded) == {B: BEFORE[B]}
    assert get(seeded, [A, B]) == {B: {"t": TS}}


# --- availability ----------------------------------------------------------------------------------
def _assert_unavailable(plugin: PostgresJsonPlugin, store: Store) -> None:
    did = DidKey("s", "n")
    calls: list[Callable[[], object]] = [
        lambda: list(plugin.select(ExternalQuery("*", (Clause("k", Op.EQ, 1),)))),
        lambda: get(plugin, [did]),
        lambda: request(store, lambda uow: plugin.set_many(uow, [(did, {"k": 2})])),
        lambda: request(store, lambda uow: plugin.delete_keys(uow, did, ["k"])),
        lambda: request(store, lambda uow: plugin.delete_dids(uow, [did])),
    ]
    for call in calls:
        with pytest.raises(Unavailable) as info:
            call()
        assert info.value.message.startswith("POSTGRES_JSON backend unavailable: ")
        assert info.value.metadata == {"plugin": "POSTGRES_JSON"}
        assert info.value.reason == "BACKEND_UNAVAILABLE"
    assert plugin.check_health() is False


def test_unavailable_while_down_and_recovers(
    make_plugin: MakePlugin, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    with caplog.at_level(logging.WARNING, logger="didmeta.plugins.postgres_json"):
        plugin = make_plugin(url=f"postgresql://postgres@127.0.0.1:{port}/postgres", table="did_meta")
    assert any("POSTGRES_JSON" in r.getMessage() and "first use" in r.getMessage() for r in caplog.records)
    _assert_unavailable(plugin, store)

    did = DidKey("s", "n")
    first = start_postgres_on(port, tmp_path / "first")
    try:
        assert plugin.check_health() is True  # the table is created now
        set_all(store, plugin, [(did, {"k": 1})])
        assert list(plugin.select(ExternalQuery("*", (Clause("k", Op.EQ, 1),)))) == [[did]]
        probe = _engine(first.url)
        with probe.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM pg_indexes WHERE tablename = 'did_meta'").scalar() == 2
        probe.dispose()
    finally:
        stop_backend(first)
    _assert_unavailable(plugin, store)  # pooled connections are dead now

    second = start_postgres_on(port, tmp_path / "second")
    try:
        set_all(store, plugin, [(did, {"k": 1})])
        assert get(plugin, [did]) == {did: {"k": 1}}
        assert plugin.check_health() is True
    finally:
        stop_backend(second)
