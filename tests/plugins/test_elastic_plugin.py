"""The ELASTIC plugin against real servers: OpenSearch 2.19.6 and Elasticsearch 7.10.2 OSS.

Each server is started once per module (the `server` fixture is parametrized over both flavors);
every test gets a fresh index that is deleted afterwards. Query semantics are checked twice: with
hand-written expectations, and against the JSON plugin on SQLite (the reference semantics of
spec §4.3) over a grid of clauses on one key whose type varies per DID.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import and_, select, true

from didmeta.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from didmeta.filters.model import Clause, Op
from didmeta.identifiers import DidKey, DidType
from didmeta.plugins.base import ALL_FEATURES, ExternalQuery, UnitOfWork
from didmeta.plugins.elastic import ElasticPlugin
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.plugins.sql_conditions import pattern_match
from didmeta.server.store import catalog
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import dids
from didmeta.values import Metadata, MetaValue
from tests.support.backends import RunningBackend, start_backend, stop_backend

pytestmark = pytest.mark.backends

TS1 = datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
TS2 = datetime(2024, 1, 1, 0, 0, 0, 2, tzinfo=UTC)
BIG = 2**53  # the first integer above which not every int is a double


# --- servers, clients, plugins ------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["opensearch", "elasticsearch"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
    backend = start_backend(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield backend
    finally:
        stop_backend(backend)


@pytest.fixture(scope="module")
def admin(server: RunningBackend) -> Iterator[Any]:
    """A raw client of the server's own flavor, for set-up and inspection."""
    if server.name == "opensearch":
        from opensearchpy import OpenSearch

        client: Any = OpenSearch(server.url, timeout=30)
    else:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(server.url, timeout=30)
    yield client
    client.close()


@pytest.fixture(scope="module")
def store() -> Store:
    return Store("sqlite:///:memory:")


@pytest.fixture()
def make_plugin(server: RunningBackend, store: Store, admin: Any) -> Iterator[Callable[..., ElasticPlugin]]:
    """A factory of started plugins, each on a fresh index (deleted at the end) unless `index` is given.

    Writes use refresh "true" unless a test asks otherwise: "wait_for" waits up to a refresh interval.
    """
    plugins: list[ElasticPlugin] = []
    indices: set[str] = set()

    def make(**options: Any) -> ElasticPlugin:
        options.setdefault("url", server.url)
        options.setdefault("refresh", "true")  # fast tests; "wait_for" (the default) has its own test
        options.setdefault("index", f"didmeta-test-{uuid.uuid4().hex[:12]}")
        indices.add(options["index"])
        plugin = ElasticPlugin(options, store)
        plugin.start()
        plugins.append(plugin)
        return plugin

    yield make
    for plugin in plugins:
        plugin.close()
    for index in indices:
        admin.indices.delete(index=index, params={"ignore_unavailable": "true"})


@pytest.fixture()
def plugin(make_plugin: Callable[..., ElasticPlugin]) -> ElasticPlugin:
    return make_plugin()


def write(store: Store, plugin: ElasticPlugin, items: Sequence[tuple[DidKey, Metadata]]) -> None:
    with store.write() as conn:
        plugin.set_many(UnitOfWork(conn), items)


def run_unit(store: Store, work: Callable[[UnitOfWork], None]) -> None:
    """What the dispatcher does: one transaction; on failure, run the compensations in reverse order."""
    uow: UnitOfWork | None = None
    try:
        with store.write() as conn:
            uow = UnitOfWork(conn)
            work(uow)
    except BaseException:
        if uow is not None:
            for undo in reversed(uow.compensations):
                undo()
        raise


class RequestFailedLater(Exception):
    """A failure after the plugin wrote (another plugin, the catalogue, a cancelled call)."""


def fail_after(*steps: Callable[[UnitOfWork], None]) -> Callable[[UnitOfWork], None]:
    def work(uow: UnitOfWork) -> None:
        for step in steps:
            step(uow)
        raise RequestFailedLater

    return work


def listing(
    plugin: ElasticPlugin,
    *clauses: Clause,
    scope: str = "*",
    ignore_case: bool = False,
    after: DidKey | None = None,
    batch_size: int = 1000,
) -> list[DidKey]:
    """Every DID select() yields, checking that batches are non-empty, bounded and strictly ordered."""
    result: list[DidKey] = []
    for batch in plugin.select(ExternalQuery(scope, tuple(clauses), ignore_case, after, batch_size)):
        assert 0 < len(batch) <= batch_size
        result.extend(batch)
    assert result == sorted(set(result)), "not strictly increasing in (scope, name)"
    if after is not None:
        assert all(did > after for did in result)
    return result


def names(dids_: Sequence[DidKey]) -> list[str]:
    return [d.name for d in dids_]


def typed(value: Any) -> Any:
    """A value with its Python type spelled out, so 5 != 5.0 != True and tz-naive != tz-aware."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), str(value.tzinfo))
    if isinstance(value, float) and value == 0:
        return ("float", math.copysign(1.0, value))
    return (type(value).__name__, value)


def did(name: str, scope: str = "s") -> DidKey:
    return DidKey(scope, name)


# --- the reference: the JSON plugin on SQLite --------------------------------------------------------
class JsonReference:
    """The same metadata in the JSON plugin; `select` answers with its SQL conditions."""

    def __init__(self, data: dict[DidKey, Metadata]) -> None:
        self.store = Store("sqlite:///:memory:")
        self.store.migrate()
        self.plugin = JsonColumnPlugin({}, self.store)
        with self.store.write() as conn:
            for scope in sorted({k.scope for k in data}):
                catalog.add_scope(conn, scope, "root")
            catalog.add_dids(conn, [NewDidSpec(k, DidType.DATASET, "root") for k in data])
            self.plugin.set_many(UnitOfWork(conn), list(data.items()))

    def select(self, clauses: Sequence[Clause], ignore_case: bool = False, scope: str = "*") -> list[DidKey]:
        scope_condition = (
            true()
            if scope.strip("*") == ""
            else pattern_match(dids.c.scope, scope, dialect="sqlite", ignore_case=False)
        )
        condition = and_(scope_condition, *(self.plugin.condition(c, ignore_case) for c in clauses))
        with self.store.read() as conn:
            rows = conn.execute(select(dids.c.scope, dids.c.name).where(condition).order_by(dids.c.scope, dids.c.name))
            return [DidKey(*row) for row in rows]

    def close(self) -> None:
        self.store.dispose()


# --- options, features ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "url"),
        ({"url": "http://x", "flavor": "solr"}, "flavor"),
        ({"url": "http://x", "refresh": "sometimes"}, "refresh"),
        ({"url": "http://x", "timeout_seconds": 0}, "timeout_seconds"),
        ({"url": "http://x", "timeout_seconds": "soon"}, "timeout_seconds"),
        ({"url": "http://x", "index": "Upper/Case"}, "index"),
        ({"url": "http://x", "indx": "typo"}, "indx"),
        ({"url": "http://x", "keys": "a,b"}, "keys"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        ElasticPlugin(options, Store("sqlite:///:memory:"))
    assert info.value.metadata["field"] == f"plugin_options.ELASTIC.{field}"
    assert info.value.reason == "INVALID_PLUGIN_OPTION"


def test_option_defaults_and_features() -> None:
    plugin = ElasticPlugin({"url": "http://127.0.0.1:9", "refresh": False}, Store("sqlite:///:memory:"))
    assert (plugin.index, plugin.flavor_option, plugin.refresh, plugin.timeout) == ("didmeta", "auto", "false", 10.0)
    assert plugin.features == ALL_FEATURES
    assert ElasticPlugin.name == "ELASTIC"


# --- flavor, mapping, health -----------------------------------------------------------------------------
def test_auto_flavor_detection_and_explicit_flavor(
    server: RunningBackend, make_plugin: Callable[..., ElasticPlugin]
) -> None:
    auto = make_plugin()
    assert auto.flavor == server.name
    explicit = make_plugin(flavor=server.name)
    write(explicit.store, explicit, [(did("a"), {"x": 1})])
    assert explicit.flavor == server.name
    assert listing(explicit, Clause("x", Op.EQ, 1)) == [did("a")]


def test_point_in_time_where_the_server_has_one(server: RunningBackend, plugin: ElasticPlugin) -> None:
    write(plugin.store, plugin, [(did(f"d{i}"), {"x": 1}) for i in range(3)])
    assert listing(plugin, Clause("x", Op.EQ, 1), batch_size=2) == [did("d0"), did("d1"), did("d2")]
    connected = plugin._connected
    assert connected is not None
    assert connected.use_pit is (server.name == "opensearch")  # no point in time in Elasticsearch OSS


# The OSS server answers POST /<index>/_pit with 400 and a "types removal" deprecation header.
@pytest.mark.filterwarnings("ignore::elasticsearch.exceptions.ElasticsearchWarning")
@pytest.mark.only_for_server("elasticsearch")
def test_elasticsearch_falls_back_when_the_point_in_time_is_refused(
    server: RunningBackend, plugin: ElasticPlugin, admin: Any
) -> None:
    write(plugin.store, plugin, [(did(f"d{i}"), {"x": 1}) for i in range(3)])
    connected = plugin._connected
    assert connected is not None
    connected.use_pit = True  # as if the server had claimed X-Pack's point in time
    assert listing(plugin, Clause("x", Op.EQ, 1), batch_size=2) == [did("d0"), did("d1"), did("d2")]
    assert connected.use_pit is False  # fell back to search_after alone, and remembers it
    assert admin.count(index=plugin.index)["count"] == 3  # the refused request wrote nothing


def test_start_creates_the_explicit_mapping(plugin: ElasticPlugin, admin: Any) -> None:
    mapping = admin.indices.get_mapping(index=plugin.index)[plugin.index]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["_meta"] == {"didmeta": {"plugin": "ELASTIC", "layout": 2}}
    properties = mapping["properties"]
    assert properties["scope"]["type"] == properties["name"]["type"] == "keyword"
    assert properties["v"] == {"type": "object", "enabled": False}
    for path in ("kv", "kl"):
        assert properties[path]["type"] == "nested"
        fields = {name: spec["type"] for name, spec in properties[path]["properties"].items()}
        assert fields == {
            "k": "keyword",
            "l": "long",
            "d": "double",
            "s": "keyword",
            "si": "keyword",
            "b": "boolean",
            "t": "long",
            **({"n": "long", "o": "boolean"} if path == "kl" else {}),  # list length, non-scalar element
        }


def test_an_index_of_another_layout_is_refused(make_plugin: Callable[..., ElasticPlugin], admin: Any) -> None:
    index = f"didmeta-test-foreign-{uuid.uuid4().hex[:8]}"
    admin.indices.create(index=index, body={"mappings": {"properties": {"scope": {"type": "text"}}}})
    with pytest.raises(FailedPrecondition) as info:
        make_plugin(index=index)
    assert info.value.reason == "INCOMPATIBLE_INDEX"
    admin.indices.delete(index=index)


def test_health(plugin: ElasticPlugin) -> None:
    assert plugin.check_health() is True


# --- round trip --------------------------------------------------------------------------------------
ROUND_TRIP: Metadata = {
    "int": 5,
    "double": 5.0,
    "negative_zero": -0.0,
    "fraction": 0.1,
    "huge": 1e300,
    "int64_max": 2**63 - 1,
    "int64_min": -(2**63),
    "big_odd": BIG + 1,
    "string": "Ünïcödé ✓ \\ \" ' * ? % _ [",
    "empty_string": "",
    "true": True,
    "false": False,
    "timestamp": datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC),
    "epoch": datetime(1970, 1, 1, tzinfo=UTC),
    "before_epoch": datetime(1900, 6, 1, 12, 0, 0, 999999, tzinfo=UTC),
    "list": [1, 1.0, "a", True, None, TS1, [2, 2.0], {"k": 3.0}],
    "empty_list": [],
    "map": {"a": {"b": [1, 2.5, "c"]}, "ts": TS2, "none": None, "f": 7.0},
    "empty_map": {},
}


def test_round_trip_keeps_every_type(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did("a"), ROUND_TRIP), (did("b"), {"x": 7.0})])
    got = plugin.get_many(None, [did("a"), did("b"), did("missing")])
    assert set(got) == {did("a"), did("b")}
    assert typed(got[did("a")]) == typed(ROUND_TRIP)
    assert typed(got[did("b")]) == typed({"x": 7.0})
    assert list(got[did("a")]) == list(ROUND_TRIP)  # key order kept too


def test_naive_timestamps_are_utc(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did("a"), {"t": datetime(2024, 5, 1, 12, 0)})])
    assert typed(plugin.get_many(None, [did("a")])[did("a")]["t"]) == typed(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    assert listing(plugin, Clause("t", Op.EQ, datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))) == [
        did("a")
    ]


# --- writes ------------------------------------------------------------------------------------------
def test_set_is_an_upsert_and_shallow_merge(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did("a"), {"x": 1, "m": {"p": 1, "q": 2}, "y": "keep"})])
    write(store, plugin, [(did("a"), {"x": 2.0, "m": {"p": 3}, "y": None, "z": [1]}), (did("b"), {"w": True})])
    got = plugin.get_many(None, [did("a"), did("b")])
    assert typed(got[did("a")]) == typed({"x": 2.0, "m": {"p": 3}, "z": [1]})
    assert typed(got[did("b")]) == typed({"w": True})
    # the index follows: the removed key and the old value no longer match
    assert listing(plugin, Clause("y", Op.EXISTS, True)) == []
    assert listing(plugin, Clause("x", Op.EQ, 1)) == []
    assert listing(plugin, Clause("x", Op.EQ, 2)) == [did("a")]


def test_removing_every_key_deletes_the_document(plugin: ElasticPlugin, store: Store, admin: Any) -> None:
    write(store, plugin, [(did("a"), {"x": 1})])
    write(store, plugin, [(did("a"), {"x": None})])
    assert plugin.get_many(None, [did("a")]) == {}
    assert admin.exists(index=plugin.index, id="s:a") is False


def test_strings_too_long_for_the_index_are_refused(plugin: ElasticPlugin) -> None:
    plugin.check_values([(did("a"), {"ok": "x" * 32766, "list": ["y" * 32766]})])
    with pytest.raises(InvalidArgument) as info:
        plugin.check_values([(did("a"), {"ok": "x", "long": "é" * 16384})])
    assert info.value.metadata["field"] == "metadata[s:a].long"
    with pytest.raises(InvalidArgument):
        plugin.check_values([(did("a"), {"list": [1, "x" * 32767]})])


def test_delete_keys(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did("a"), {"x": 1, "y": "two", "z": [3]})])
    with store.write() as conn:
        plugin.delete_keys(UnitOfWork(conn), did("a"), ["x", "z"])
    assert typed(plugin.get_many(None, [did("a")])[did("a")]) == typed({"y": "two"})
    assert listing(plugin, Clause("x", Op.EXISTS, True)) == []
    assert listing(plugin, Clause("y", Op.EXISTS, True)) == [did("a")]


def test_delete_keys_of_a_missing_key_is_not_found_and_changes_nothing(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did("a"), {"x": 1, "y": 2})])
    before = plugin.get_many(None, [did("a")])
    with pytest.raises(NotFound) as info:
        run_unit(store, lambda uow: plugin.delete_keys(uow, did("a"), ["x", "nope", "y"]))
    assert (info.value.reason, info.value.metadata) == ("KEY_NOT_FOUND", {"key": "nope"})
    assert typed(plugin.get_many(None, [did("a")])) == typed(before)
    assert listing(plugin, Clause("x", Op.EQ, 1)) == [did("a")]
    with pytest.raises(NotFound) as info:  # a DID without any metadata here
        run_unit(store, lambda uow: plugin.delete_keys(uow, did("b"), ["x"]))
    assert info.value.metadata == {"key": "x"}
    assert plugin.get_many(None, [did("b")]) == {}


def test_delete_dids(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did("a"), {"x": 1}), (did("b"), {"x": 1}), (did("c"), {"x": 1})])
    with store.write() as conn:
        plugin.delete_dids(UnitOfWork(conn), [did("a"), did("c"), did("never")])
    assert set(plugin.get_many(None, [did("a"), did("b"), did("c")])) == {did("b")}
    assert listing(plugin, Clause("x", Op.EQ, 1)) == [did("b")]


def test_a_concurrent_writer_is_not_lost(
    plugin: ElasticPlugin, make_plugin: Callable[..., ElasticPlugin], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optimistic concurrency: a write between our read and our write makes us re-read and re-apply."""
    other = make_plugin(index=plugin.index)
    write(store, plugin, [(did("a"), {"x": 1})])
    real_mget = plugin._mget
    calls = []

    def racing_mget(keys: Sequence[DidKey]) -> Any:
        found = real_mget(keys)
        calls.append(list(keys))
        if len(calls) == 1:  # someone else writes right after our read
            write(Store("sqlite:///:memory:"), other, [(did("a"), {"y": 2})])  # another server process
        return found

    monkeypatch.setattr(plugin, "_mget", racing_mget)
    write(store, plugin, [(did("a"), {"z": 3})])
    assert calls == [[did("a")], [did("a")]]
    assert typed(plugin.get_many(None, [did("a")])[did("a")]) == typed({"x": 1, "y": 2, "z": 3})


# --- compensation ------------------------------------------------------------------------------------
def snapshot(plugin: ElasticPlugin, admin: Any, keys: Sequence[DidKey]) -> dict[str, Any]:
    """Every document's exact _source (by id), and the typed metadata."""
    docs = admin.mget(index=plugin.index, body={"ids": [f"{k.scope}:{k.name}" for k in keys]})["docs"]
    return {
        "sources": {d["_id"]: d.get("_source") for d in docs},
        "metadata": typed(plugin.get_many(None, keys)),
    }


def test_compensation_restores_set_many_exactly(plugin: ElasticPlugin, store: Store, admin: Any) -> None:
    keys = [did("a"), did("b"), did("c")]
    write(store, plugin, [(did("a"), {"x": 1, "y": 5.0, "l": ["p"]}), (did("b"), {"x": "b"})])
    before = snapshot(plugin, admin, keys)
    assert before["sources"]["s:c"] is None

    def first(uow: UnitOfWork) -> None:
        plugin.set_many(uow, [(did("a"), {"x": 2, "y": None, "new": True}), (did("c"), {"x": 3})])

    def second(uow: UnitOfWork) -> None:  # the same DIDs again in the same request
        plugin.set_many(uow, [(did("a"), {"x": 4}), (did("b"), {"x": None})])

    with pytest.raises(RequestFailedLater):
        run_unit(store, fail_after(first, second))
    assert snapshot(plugin, admin, keys) == before
    assert listing(plugin, Clause("x", Op.EQ, 1)) == [did("a")]
    assert listing(plugin, Clause("x", Op.EXISTS, True)) == [did("a"), did("b")]
    assert listing(plugin, Clause("new", Op.EXISTS, True)) == []


def test_compensation_restores_deleted_keys_and_dids(plugin: ElasticPlugin, store: Store, admin: Any) -> None:
    keys = [did("a"), did("b")]
    write(store, plugin, [(did("a"), {"x": 1, "y": [TS1]}), (did("b"), {"x": 2})])
    before = snapshot(plugin, admin, keys)
    with pytest.raises(RequestFailedLater):
        run_unit(
            store,
            fail_after(
                lambda uow: plugin.delete_keys(uow, did("a"), ["y"]),
                lambda uow: plugin.delete_dids(uow, [did("a"), did("b")]),
            ),
        )
    assert snapshot(plugin, admin, keys) == before
    assert listing(plugin, Clause("y", Op.CONTAINS, TS1)) == [did("a")]


def test_compensation_after_a_partially_failed_bulk(
    plugin: ElasticPlugin, store: Store, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compensation is registered before writing, so a failure inside set_many is undone too."""
    keys = [did(f"d{i}") for i in range(3)]
    write(store, plugin, [(keys[0], {"x": 0})])
    before = snapshot(plugin, admin, keys)
    real_bulk = plugin._bulk

    def bulk_then_fail(operations: Any, action: str) -> Any:
        result = real_bulk(operations, action)
        if action == "write metadata":
            raise Unavailable("ELASTIC backend unavailable: simulated")
        return result

    monkeypatch.setattr(plugin, "_bulk", bulk_then_fail)
    with pytest.raises(Unavailable):
        run_unit(store, lambda uow: plugin.set_many(uow, [(k, {"x": 9}) for k in keys]))
    monkeypatch.undo()
    assert snapshot(plugin, admin, keys) == before


# --- query semantics: hand-written expectations ---------------------------------------------------------
@pytest.fixture()
def typed_data(plugin: ElasticPlugin, store: Store) -> ElasticPlugin:
    write(
        store,
        plugin,
        [
            (did("int5"), {"v": 5}),
            (did("dbl5"), {"v": 5.0}),
            (did("dbl4_5"), {"v": 4.5}),
            (did("str5"), {"v": "5"}),
            (did("strabc"), {"v": "abc"}),
            (did("true"), {"v": True}),
            (did("ts1"), {"v": TS1}),
            (did("list"), {"v": [5, "abc", True, TS1]}),
            (did("map"), {"v": {"v": 5}}),
            (did("other"), {"w": 5}),
        ],
    )
    return plugin


def q(plugin: ElasticPlugin, op: Op, value: MetaValue, ignore_case: bool = False, key: str = "v") -> list[str]:
    return names(listing(plugin, Clause(key, op, value), ignore_case=ignore_case))


def test_numbers_match_ints_and_doubles_numerically(typed_data: ElasticPlugin) -> None:
    p = typed_data
    assert q(p, Op.EQ, 5) == ["dbl5", "int5"]
    assert q(p, Op.EQ, 5.0) == ["dbl5", "int5"]
    assert q(p, Op.EQ, 4.5) == ["dbl4_5"]
    assert q(p, Op.LT, 5) == ["dbl4_5"]
    assert q(p, Op.LTE, 5) == ["dbl4_5", "dbl5", "int5"]
    assert q(p, Op.GT, 4.5) == ["dbl5", "int5"]
    assert q(p, Op.GTE, 4.6) == ["dbl5", "int5"]
    assert q(p, Op.GT, 5) == []
    assert q(p, Op.IN, [4.5, 7, "abc"]) == ["dbl4_5", "strabc"]
    assert q(p, Op.IN, []) == []


def test_long_in_lists_are_not_limited_by_max_clause_count(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did("a"), {"x": 3000}), (did("b"), {"x": "v2999"}), (did("c"), {"x": 4000.5})])
    values: list[MetaValue] = [*range(2000, 4000), *(f"v{i}" for i in range(3000)), 4000.5]
    assert q(plugin, Op.IN, values, key="x") == ["a", "b", "c"]


def test_strings_timestamps_and_bools_match_their_own_type(typed_data: ElasticPlugin) -> None:
    p = typed_data
    assert q(p, Op.EQ, "5") == ["str5"]
    assert q(p, Op.GT, "4") == ["str5", "strabc"]
    assert q(p, Op.EQ, TS1) == ["ts1"]
    assert q(p, Op.LT, TS1) == []
    assert q(p, Op.GTE, TS1 - timedelta(microseconds=1)) == ["ts1"]
    assert q(p, Op.EQ, True) == ["true"]
    assert q(p, Op.GTE, False) == []  # bool only EQ
    assert q(p, Op.EQ, 1) == []  # True is not a number


def test_lists_match_only_contains_and_maps_nothing(typed_data: ElasticPlugin) -> None:
    p = typed_data
    assert q(p, Op.CONTAINS, 5.0) == ["list"]
    assert q(p, Op.CONTAINS, "ABC") == []
    assert q(p, Op.CONTAINS, "ABC", ignore_case=True) == ["list"]
    assert q(p, Op.CONTAINS, TS1) == ["list"]
    assert q(p, Op.CONTAINS, True) == ["list"]
    assert q(p, Op.CONTAINS, "5") == []
    assert q(p, Op.PREFIX, "ab") == ["strabc"]  # not the list element "abc"
    assert q(p, Op.EXISTS, True) == ["dbl4_5", "dbl5", "int5", "list", "map", "str5", "strabc", "true", "ts1"]


def test_clauses_are_anded(typed_data: ElasticPlugin, store: Store) -> None:
    write(store, typed_data, [(did("int5"), {"w": 1}), (did("dbl5"), {"w": 2})])
    clauses = (Clause("v", Op.EQ, 5), Clause("w", Op.LT, 2))
    assert names(listing(typed_data, *clauses)) == ["int5"]


WILDCARD_VALUES = [
    "a?c",
    "abc",
    "a[b]c",
    "abc.txt",
    "abcxtxt",
    "50%",
    "500",
    "a_c",
    "abc",
    "a\\c",
    "aXc",
    "a*c",
    "Abc",
    "xabc",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a?*", ["a?c"]),
        ("*.txt", ["abc.txt"]),
        ("a[b]*", ["a[b]c"]),
        ("*%", ["50%"]),
        ("50%*", ["50%"]),
        ("a_*", ["a_c"]),
        ("a\\*", ["a\\c"]),
        ("b*", []),  # anchored at the start
        ("*b", []),  # anchored at the end
        ("ab*", ["abc", "abc.txt", "abcxtxt"]),
        ("a*c", ["a*c", "a?c", "a[b]c", "a\\c", "a_c", "aXc", "abc"]),
        ("*", sorted(set(WILDCARD_VALUES))),
    ],
)
def test_wildcards_are_anchored_and_only_star_is_special(
    plugin: ElasticPlugin, store: Store, pattern: str, expected: list[str]
) -> None:
    write(store, plugin, [(did(f"n{i:02d}"), {"f": value}) for i, value in enumerate(WILDCARD_VALUES)])
    found = listing(plugin, Clause("f", Op.EQ, pattern, wildcard=True))
    by_name = {f"n{i:02d}": value for i, value in enumerate(WILDCARD_VALUES)}
    assert sorted({by_name[n] for n in names(found)}) == sorted(expected)
    assert len(found) == sum(by_name[n] in expected for n in by_name)


def test_literal_equality_and_prefix_with_special_characters(plugin: ElasticPlugin, store: Store) -> None:
    write(store, plugin, [(did(f"n{i:02d}"), {"f": value}) for i, value in enumerate(WILDCARD_VALUES)])
    values = {f"n{i:02d}": value for i, value in enumerate(WILDCARD_VALUES)}

    def found(clause: Clause, ignore_case: bool = False) -> list[str]:
        return sorted(values[n] for n in names(listing(plugin, clause, ignore_case=ignore_case)))

    assert found(Clause("f", Op.EQ, "a*c")) == ["a*c"]  # no wildcard flag: `*` literal
    assert found(Clause("f", Op.EQ, "a?c")) == ["a?c"]
    assert found(Clause("f", Op.PREFIX, "a?")) == ["a?c"]
    assert found(Clause("f", Op.PREFIX, "a*")) == ["a*c"]
    assert found(Clause("f", Op.PREFIX, "a\\")) == ["a\\c"]
    assert found(Clause("f", Op.PREFIX, "a[")) == ["a[b]c"]
    assert found(Clause("f", Op.PREFIX, "ab")) == ["abc", "abc", "abc.txt", "abcxtxt"]
    assert found(Clause("f", Op.PREFIX, "ab"), ignore_case=True) == ["Abc", "abc", "abc", "abc.txt", "abcxtxt"]
    assert len(found(Clause("f", Op.PREFIX, ""))) == len(WILDCARD_VALUES)


def test_ignore_case_applies_to_every_string_comparison(plugin: ElasticPlugin, store: Store) -> None:
    write(
        store,
        plugin,
        [
            (did("upper"), {"f": "APPLE"}),
            (did("title"), {"f": "Apple"}),
            (did("lower"), {"f": "apple"}),
            (did("banana"), {"f": "Banana"}),
            (did("list"), {"f": ["BaNaNa"]}),
            (did("umlaut"), {"f": "ÄRGER"}),
        ],
    )

    def both(op: Op, value: MetaValue, wildcard: bool = False) -> tuple[list[str], list[str]]:
        clause = Clause("f", op, value, wildcard)
        return names(listing(plugin, clause)), names(listing(plugin, clause, ignore_case=True))

    assert both(Op.EQ, "apple") == (["lower"], ["lower", "title", "upper"])
    assert both(Op.EQ, "APP*", wildcard=True) == (["upper"], ["lower", "title", "upper"])
    assert both(Op.PREFIX, "ba") == ([], ["banana"])
    assert both(Op.IN, ["APPLE", "banana"]) == (["upper"], ["banana", "lower", "title", "upper"])
    assert both(Op.CONTAINS, "banana") == ([], ["list"])
    # ordering: byte order ("B" < "a"), or on the lower-cased strings
    assert both(Op.LT, "b") == (["banana", "lower", "title", "upper"], ["lower", "title", "upper"])
    assert both(Op.GTE, "b") == (["umlaut"], ["banana", "umlaut"])
    assert both(Op.EQ, "ärger") == ([], ["umlaut"])  # Unicode lower-casing (Python's str.lower)


def test_scope_patterns(plugin: ElasticPlugin, store: Store) -> None:
    scopes = ["user.alice", "user.bob", "userXalice", "user_x", "group", "data-1"]
    write(store, plugin, [(DidKey(s, "f"), {"x": 1}) for s in scopes])

    def scopes_of(pattern: str) -> list[str]:
        return [d.scope for d in listing(plugin, Clause("x", Op.EQ, 1), scope=pattern)]

    assert scopes_of("*") == sorted(scopes)
    assert scopes_of("user.*") == ["user.alice", "user.bob"]
    assert scopes_of("user*") == ["user.alice", "user.bob", "userXalice", "user_x"]
    assert scopes_of("*alice") == ["user.alice", "userXalice"]
    assert scopes_of("group") == ["group"]
    assert scopes_of("grou") == []
    assert scopes_of("*-*") == ["data-1"]
    assert scopes_of("u*e*") == ["user.alice", "user.bob", "userXalice", "user_x"]


def test_positive_clauses_only(typed_data: ElasticPlugin) -> None:
    from didmeta.errors import Unimplemented

    with pytest.raises(Unimplemented):
        listing(typed_data, Clause("v", Op.NE, 5))
    with pytest.raises(Unimplemented):
        listing(typed_data, Clause("v", Op.EXISTS, False))


# --- query semantics: the JSON plugin as the reference ----------------------------------------------------
MIXED: dict[str, MetaValue] = {
    "i5": 5,
    "d5": 5.0,
    "d4_5": 4.5,
    "neg": -1,
    "zero": 0,
    "negzero": -0.0,
    "big": BIG,
    "big1": BIG + 1,
    "bigd": float(BIG),
    "max": 2**63 - 1,
    "min": -(2**63),
    "huge": 1e300,
    "s5": "5",
    "sabc": "abc",
    "sABC": "ABC",
    "sempty": "",
    "sabd": "abd",
    "t": True,
    "f": False,
    "ts1": TS1,
    "ts2": TS2,
    "l1": [5, "x", True, TS1, 2.5, "ABC", BIG + 1],
    "l2": [5.0, -0.0],
    "l3": [],
    "l4": [[5], {"a": 5}, None, "abc"],
    "m": {"v": 5},
    "m0": {},
}
GRID_VALUES: list[MetaValue] = [
    5,
    5.0,
    4.5,
    -1,
    0,
    -0.0,
    0.0,
    BIG,
    BIG + 1,
    float(BIG),
    2**63 - 1,
    -(2**63),
    1e300,
    -1e300,
    2.5,
    math.inf,
    -math.inf,
    math.nan,
    "5",
    "abc",
    "ABC",
    "",
    "ab",
    "x",
    "5.0",
    True,
    False,
    TS1,
    TS2,
    TS1 - timedelta(microseconds=1),
    [5],
    {"v": 5},
]
GRID_OPS = [Op.EQ, Op.LT, Op.LTE, Op.GT, Op.GTE, Op.CONTAINS]


@pytest.fixture()
def mixed(plugin: ElasticPlugin, store: Store) -> Iterator[tuple[ElasticPlugin, JsonReference]]:
    data: dict[DidKey, Metadata] = {did(name): {"v": value, "w": 1} for name, value in MIXED.items()}
    data[did("no_v")] = {"w": 1}
    data[DidKey("other", "i5")] = {"v": 5}
    write(store, plugin, list(data.items()))
    reference = JsonReference(data)
    yield plugin, reference
    reference.close()


def grid() -> list[tuple[Clause, bool]]:
    cases = [(Clause("v", op, value), ic) for op in GRID_OPS for value in GRID_VALUES for ic in (False, True)]
    cases += [
        (Clause("v", Op.PREFIX, value), ic) for value in ["", "a", "A", "5", "ab", "abcd"] for ic in (False, True)
    ]
    cases += [
        (Clause("v", Op.EQ, value, wildcard=True), ic) for value in ["a*", "*B*", "*", "A*C"] for ic in (False, True)
    ]
    in_lists: list[MetaValue] = [[5, "abc"], [4.5, True], ["ABC"], [TS1, BIG + 1], [[5]], [0.0, "", False]]
    cases += [(Clause("v", Op.IN, values), ic) for values in in_lists for ic in (False, True)]
    cases += [(Clause("v", Op.EXISTS, True), False), (Clause("w", Op.EXISTS, True), False)]
    return cases


def test_every_clause_equals_the_json_plugin(mixed: tuple[ElasticPlugin, JsonReference]) -> None:
    plugin, reference = mixed
    mismatches = []
    matched = 0
    for clause, ignore_case in grid():
        expected = reference.select([clause], ignore_case)
        got = listing(plugin, clause, ignore_case=ignore_case)
        matched += bool(expected)
        if got != expected:
            mismatches.append(f"{clause.describe()} ignore_case={ignore_case}: {names(got)} != {names(expected)}")
    assert not mismatches, "\n".join(mismatches)
    assert matched > 100  # the grid is not trivially empty


def test_scope_pattern_and_conjunction_equal_the_json_plugin(mixed: tuple[ElasticPlugin, JsonReference]) -> None:
    plugin, reference = mixed
    for scope in ("*", "s", "oth*", "*t*", "x"):
        for clauses in ([Clause("v", Op.GTE, 5), Clause("w", Op.EQ, 1)], [Clause("v", Op.EQ, 5)]):
            expected = reference.select(clauses, scope=scope)
            assert listing(plugin, *clauses, scope=scope) == expected


# --- listing: order, after, paging ------------------------------------------------------------------------
def test_order_after_and_batches(plugin: ElasticPlugin, store: Store) -> None:
    keys = [DidKey(s, n) for s in ("b", "a", "a.b", "a-b") for n in ("z", "A", "a", "10", "9", "a/b", "a.b")]
    write(store, plugin, [(k, {"x": 1}) for k in keys])
    everything = listing(plugin, Clause("x", Op.EXISTS, True), batch_size=5)
    assert everything == sorted(keys)  # byte order: "-" < "." < digits < upper < lower
    for position in (0, 5, len(keys) - 2, len(keys) - 1):
        after = everything[position]
        assert listing(plugin, Clause("x", Op.EXISTS, True), after=after, batch_size=3) == everything[position + 1 :]
    between = DidKey("a.b", "b")  # not a stored DID
    assert listing(plugin, Clause("x", Op.EQ, 1), after=between) == [k for k in everything if k > between]
    batches = list(plugin.select(ExternalQuery("*", (Clause("x", Op.EQ, 1),), batch_size=10)))
    assert [len(b) for b in batches] == [10, 10, 8]


@pytest.fixture()
def many(make_plugin: Callable[..., ElasticPlugin], store: Store, admin: Any) -> tuple[ElasticPlugin, list[DidKey]]:
    """10,050 DIDs (more than index.max_result_window), two small fields each; loaded without refresh."""
    plugin = make_plugin(refresh="false")
    keys = [DidKey("big" if i % 2 else "bag", f"f{i:05d}") for i in range(10_050)]
    write(store, plugin, [(k, {"n": i, "p": "odd" if i % 2 else "even"}) for i, k in enumerate(keys)])
    admin.indices.refresh(index=plugin.index)
    return plugin, sorted(keys)


def test_paging_beyond_max_result_window(many: tuple[ElasticPlugin, list[DidKey]]) -> None:
    plugin, keys = many
    batches = list(plugin.select(ExternalQuery("*", (Clause("n", Op.GTE, 0),), batch_size=4000)))
    assert [len(b) for b in batches] == [4000, 4000, 2050]
    assert [k for b in batches for k in b] == keys
    assert listing(plugin, Clause("n", Op.GTE, 0), after=keys[10_010], batch_size=10_000) == keys[10_011:]
    odd = listing(plugin, Clause("p", Op.EQ, "odd"), Clause("n", Op.GT, 9), scope="b*g", batch_size=10_000)
    assert len(odd) == 5020
    assert {k.scope for k in odd} == {"big"}


def test_opensearch_stream_is_a_snapshot_elasticsearch_is_not(
    server: RunningBackend, plugin: ElasticPlugin, store: Store, admin: Any
) -> None:
    """OpenSearch: point in time; Elasticsearch 7.10 OSS: search_after per page (documented trade-off)."""
    write(store, plugin, [(did(f"d{i}"), {"x": 1}) for i in range(4)])
    stream = plugin.select(ExternalQuery("*", (Clause("x", Op.EQ, 1),), batch_size=2))
    assert next(stream) == [did("d0"), did("d1")]
    write(store, plugin, [(did("d9"), {"x": 1}), (did("d2"), {"x": None})])
    rest = [k for batch in stream for k in batch]
    if server.name == "opensearch":
        assert rest == [did("d2"), did("d3")]
        assert admin.get_all_pits()["pits"] == []  # closed when the stream ended
    else:
        assert rest == [did("d3"), did("d9")]


@pytest.mark.only_for_server("opensearch")  # Elasticsearch 7.10 OSS has no point in time
def test_an_expired_point_in_time_is_reopened(
    server: RunningBackend, plugin: ElasticPlugin, store: Store, admin: Any
) -> None:
    write(store, plugin, [(did(f"d{i}"), {"x": 1}) for i in range(5)])
    stream = plugin.select(ExternalQuery("*", (Clause("x", Op.EQ, 1),), batch_size=2))
    first = next(stream)
    assert len(admin.get_all_pits()["pits"]) == 1
    admin.delete_all_pits()
    assert first + [k for batch in stream for k in batch] == [did(f"d{i}") for i in range(5)]
    stream = plugin.select(ExternalQuery("*", (Clause("x", Op.EQ, 1),), batch_size=2))
    next(stream)
    assert isinstance(stream, Generator)
    stream.close()  # a consumer that stops early (cancelled call)
    assert admin.get_all_pits()["pits"] == []


def test_refresh_false_is_visible_to_get_at_once_and_to_select_after_a_refresh(
    make_plugin: Callable[..., ElasticPlugin], store: Store, admin: Any
) -> None:
    plugin = make_plugin(refresh="false")
    admin.indices.put_settings(index=plugin.index, body={"index": {"refresh_interval": "-1"}})
    write(store, plugin, [(did("a"), {"x": 1})])
    assert typed(plugin.get_many(None, [did("a")])) == typed({did("a"): {"x": 1}})
    assert listing(plugin, Clause("x", Op.EQ, 1)) == []
    admin.indices.refresh(index=plugin.index)
    assert listing(plugin, Clause("x", Op.EQ, 1)) == [did("a")]
    # refresh=wait_for (which waits for a periodic refresh, so never returns with refresh_interval -1):
    # visible when the write returns
    admin.indices.put_settings(index=plugin.index, body={"index": {"refresh_interval": None}})
    waiting = make_plugin(index=plugin.index, refresh="wait_for")
    write(store, waiting, [(did("b"), {"x": 1})])
    assert listing(waiting, Clause("x", Op.EQ, 1)) == [did("a"), did("b")]


# --- unavailability and recovery -------------------------------------------------------------------------
class Proxy:
    """A TCP forwarder on a fixed port that can be switched off (closing every connection) and on."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        self._spawn(self._accept, listener)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pipe, client, upstream)
            self._spawn(self._pipe, upstream, client)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []


def assert_unavailable(call: Callable[[], Any]) -> None:
    with pytest.raises(Unavailable) as info:
        result = call()
        if isinstance(result, Iterator):
            list(result)
    assert info.value.metadata == {"plugin": "ELASTIC"}
    assert info.value.message.startswith("ELASTIC backend unavailable: ")
    assert info.value.__class__ is Unavailable


def test_a_closed_port_is_unavailable_and_start_does_not_fail(store: Store) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plugin = ElasticPlugin({"url": f"http://127.0.0.1:{port}", "timeout_seconds": 2}, store)
    plugin.start()
    assert plugin.check_health() is False
    assert_unavailable(lambda: plugin.get_many(None, [did("a")]))
    assert_unavailable(lambda: plugin.select(ExternalQuery("*", (Clause("x", Op.EQ, 1),))))
    assert_unavailable(lambda: write(store, plugin, [(did("a"), {"x": 1})]))
    assert_unavailable(lambda: run_unit(store, lambda uow: plugin.delete_keys(uow, did("a"), ["x"])))
    assert_unavailable(lambda: run_unit(store, lambda uow: plugin.delete_dids(uow, [did("a")])))
    plugin.close()


def test_the_plugin_recovers_when_the_server_comes_back(server: RunningBackend, store: Store, admin: Any) -> None:
    proxy = Proxy(int(server.url.rsplit(":", 1)[1]))
    index = f"didmeta-test-{uuid.uuid4().hex[:12]}"
    plugin = ElasticPlugin({"url": f"http://127.0.0.1:{proxy.port}", "index": index, "timeout_seconds": 5}, store)
    try:
        plugin.start()  # the server is "down": no failure, nothing detected or created yet
        assert plugin.flavor is None
        assert_unavailable(lambda: plugin.get_many(None, [did("a")]))
        assert plugin.check_health() is False
        proxy.start()
        assert plugin.check_health() is True
        assert plugin.flavor == server.name
        write(store, plugin, [(did("a"), {"x": 1})])
        assert admin.indices.exists(index=index)
        stream = plugin.select(ExternalQuery("*", (Clause("x", Op.EQ, 1),)))
        proxy.stop()
        assert_unavailable(lambda: stream)
        assert_unavailable(lambda: write(store, plugin, [(did("b"), {"x": 1})]))
        assert plugin.check_health() is False
        proxy.start()
        assert listing(plugin, Clause("x", Op.EQ, 1)) == [did("a")]
        write(store, plugin, [(did("b"), {"x": 1})])
        assert listing(plugin, Clause("x", Op.EQ, 1)) == [did("a"), did("b")]
    finally:
        plugin.close()
        proxy.stop()
        admin.indices.delete(index=index, params={"ignore_unavailable": "true"})


def test_a_deleted_index_is_unavailable_once_then_recreated(plugin: ElasticPlugin, store: Store, admin: Any) -> None:
    write(store, plugin, [(did("a"), {"x": 1})])
    admin.indices.delete(index=plugin.index)
    assert_unavailable(lambda: plugin.get_many(None, [did("a")]))
    assert plugin.get_many(None, [did("a")]) == {}
    mapping = admin.indices.get_mapping(index=plugin.index)[plugin.index]["mappings"]
    assert mapping["properties"]["kv"]["type"] == "nested"
