"""The MONGO plugin against a real FerretDB (SQLite handler) started by `tests.support.backends`.

Filter semantics are checked twice: against hand-written expectations and against the JSON
plugin on SQLite (the reference implementation of spec §4.3) loaded with the same data.
"""

from __future__ import annotations

import random
import subprocess
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from bson.int64 import Int64
from pymongo import MongoClient
from sqlalchemy import select

from didmeta.errors import InvalidArgument, NotFound, Unavailable
from didmeta.filters.model import Clause, Op
from didmeta.identifiers import DidKey, DidType
from didmeta.plugins.base import ALL_FEATURES, ExternalQuery, UnitOfWork
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.plugins.mongo import MongoPlugin, reads, writes
from didmeta.plugins.sql_conditions import JsonConditions
from didmeta.server.store import catalog
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import dids
from didmeta.values import Metadata, MetaValue
from tests.support.backends import SCRIPTS_DIR, RunningBackend, start_backend, stop_backend

pytestmark = pytest.mark.backends

T1 = datetime(2024, 2, 29, 12, 34, 56, 789012, tzinfo=UTC)
T2 = T1 + timedelta(microseconds=1)
RawClient = MongoClient[dict[str, Any]]


# --- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ferret(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
    backend = start_backend("ferretdb", tmp_path_factory.mktemp("ferretdb"))
    try:
        yield backend
    finally:
        stop_backend(backend)


@pytest.fixture(scope="module")
def raw(ferret: RunningBackend) -> Iterator[RawClient]:
    client: RawClient = MongoClient(ferret.url, serverSelectionTimeoutMS=5000)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    s = Store("sqlite:///:memory:")
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture
def plugin(ferret: RunningBackend, store: Store, raw: RawClient) -> Iterator[MongoPlugin]:
    collection = f"t_{uuid.uuid4().hex[:12]}"
    p = MongoPlugin({"url": ferret.url, "collection": collection, "indexed_keys": ["v"]}, store)
    p.start()
    try:
        yield p
    finally:
        p.close()
        raw["didmeta"].drop_collection(collection)


# --- helpers -----------------------------------------------------------------------------------
def write(store: Store, action: Callable[[UnitOfWork], None]) -> UnitOfWork:
    """Run a plugin write in a unit of work (committed); return it for its compensations."""
    with store.write() as conn:
        uow = UnitOfWork(conn)
        action(uow)
    return uow


def put(store: Store, plugin: MongoPlugin, items: dict[DidKey, Metadata]) -> UnitOfWork:
    return write(store, lambda uow: plugin.set_many(uow, list(items.items())))


def rollback(uow: UnitOfWork) -> None:
    for undo in reversed(uow.compensations):
        undo()


def get(store: Store, plugin: MongoPlugin, keys: list[DidKey]) -> dict[DidKey, Metadata]:
    with store.read() as conn:
        return plugin.get_many(conn, keys)


def batches(
    plugin: MongoPlugin,
    *clauses: Clause,
    scope: str = "*",
    ignore_case: bool = False,
    after: DidKey | None = None,
    batch_size: int = 1000,
) -> list[list[DidKey]]:
    query = ExternalQuery(scope, tuple(clauses), ignore_case=ignore_case, after=after, batch_size=batch_size)
    return list(plugin.select(query))


def found(plugin: MongoPlugin, *clauses: Clause, **kwargs: Any) -> list[DidKey]:
    return [did for batch in batches(plugin, *clauses, **kwargs) for did in batch]


def assert_same(actual: Any, expected: Any, where: str = "value") -> None:
    """Equal values of exactly the same Python types, recursively (5 != 5.0 here)."""
    assert type(actual) is type(expected), f"{where}: {actual!r} is {type(actual)}, want {type(expected)}"
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys(), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{index}]")
    else:
        assert actual == expected, where
        if isinstance(expected, datetime):
            assert actual.utcoffset() == timedelta(0), where


class JsonReference:
    """The JSON plugin on SQLite with the same data: what a filter must return (spec §4.3)."""

    def __init__(self, data: dict[DidKey, Metadata]) -> None:
        self.store = Store("sqlite:///:memory:")
        self.store.migrate()
        self.plugin = JsonColumnPlugin({}, self.store)

        def load(uow: UnitOfWork) -> None:
            for scope in sorted({did.scope for did in data}):
                catalog.add_scope(uow.conn, scope, "root")
            catalog.add_dids(uow.conn, [catalog.NewDidSpec(did, DidType.DATASET, "root") for did in data])
            self.plugin.set_many(uow, list(data.items()))

        write(self.store, load)

    def matching(self, clause: Clause, ignore_case: bool) -> list[DidKey]:
        condition = JsonConditions(dids.c.meta, "sqlite").condition(clause, ignore_case)
        with self.store.read() as conn:
            rows = conn.execute(select(dids.c.scope, dids.c.name).where(condition).order_by(dids.c.scope, dids.c.name))
            return [DidKey(*row) for row in rows]

    def close(self) -> None:
        self.store.dispose()


# --- values ------------------------------------------------------------------------------------
ROUND_TRIP: Metadata = {
    "i": 5,
    "i_min": -(2**63),
    "i_max": 2**63 - 1,
    "d": 5.0,
    "d_small": 0.1,
    "neg_zero": -0.0,
    "s": "Grüße 漢字",
    "empty": "",
    "yes": True,
    "no": False,
    "ts": T1,
    "ts_old": datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    "ts_round": datetime(2024, 1, 1, tzinfo=UTC),
    "lst": [1, 2.0, "a", T1, True, [3, [4.0]], {"x": T2}],
    "empty_list": [],
    "mp": {"a": {"b": [1, {"c": T1}], "d": 5.0}, "e": "f", "g": {}},
    "empty_map": {},
}


def test_types_round_trip_exactly(store: Store, plugin: MongoPlugin) -> None:
    did, other, absent = DidKey("user.a", "f1"), DidKey("user.a", "f2"), DidKey("user.a", "nothing")
    put(store, plugin, {did: ROUND_TRIP, other: {"i": 5.0, "d": 5}})
    result = get(store, plugin, [did, other, absent])
    assert set(result) == {did, other}
    assert_same(result[did], ROUND_TRIP)
    assert_same(result[other], {"i": 5.0, "d": 5})


def test_documented_representation(store: Store, plugin: MongoPlugin, raw: RawClient) -> None:
    did = DidKey("user.a", "f1")
    put(store, plugin, {did: {"i": 5, "d": 5.0, "s": "MiXeD", "ts": T1, "lst": ["A", 1, T1], "mp": {"t": T2}}})
    doc = raw["didmeta"][plugin.collection_name].find_one({"_id": "user.a:f1"})
    assert doc is not None
    assert (doc["scope"], doc["name"]) == ("user.a", "f1")
    assert type(doc["m"]["i"]) is Int64
    assert type(doc["m"]["d"]) is float
    micros = Int64((T1 - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))
    assert doc["m"]["ts"] == {"0ts": micros}
    assert doc["m"]["lst"] == {"0l": ["A", 1, {"0ts": micros}], "0lc": ["a"]}
    assert doc["m"]["mp"] == {"t": {"0ts": micros + 1}}
    assert doc["lc"] == {"s": "mixed"}


def test_set_merges_and_none_removes(store: Store, plugin: MongoPlugin, raw: RawClient) -> None:
    did, ghost = DidKey("s", "a"), DidKey("s", "ghost")
    put(store, plugin, {did: {"a": 1, "b": "x", "c": [1]}})
    put(store, plugin, {did: {"b": None, "c": "Now A String", "d": 2.5}})  # the update path
    assert_same(get(store, plugin, [did]), {did: {"a": 1, "c": "Now A String", "d": 2.5}})
    assert found(plugin, Clause("b", Op.EXISTS, True)) == []
    assert found(plugin, Clause("c", Op.EQ, "NOW a string"), ignore_case=True) == [did]
    assert found(plugin, Clause("c", Op.EQ, "now a string")) == []
    doc = raw["didmeta"][plugin.collection_name].find_one({"_id": "s:a"})
    assert doc is not None
    assert doc["lc"] == {"c": "now a string"}
    put(store, plugin, {did: {"c": 7}})  # a string replaced by an int: its lower-cased copy must go
    assert found(plugin, Clause("c", Op.EQ, "now a string"), ignore_case=True) == []
    assert found(plugin, Clause("c", Op.EQ, 7)) == [did]
    put(store, plugin, {did: {"a": None, "c": None, "d": None}})
    assert get(store, plugin, [did]) == {}
    put(store, plugin, {ghost: {"x": None}})  # removing from a DID without a document creates none
    assert raw["didmeta"][plugin.collection_name].count_documents({"_id": "s:ghost"}) == 0


def test_check_values_refuses_unstorable_keys(plugin: MongoPlugin) -> None:
    with pytest.raises(InvalidArgument):
        plugin.check_values([(DidKey("s", "a"), {"a.b": 1})])
    with pytest.raises(InvalidArgument):
        plugin.check_values([(DidKey("s", "a"), {"ok": {"nested": {"$bad": 1}}})])
    with pytest.raises(InvalidArgument):
        plugin.check_values([(DidKey("s", "a"), {"ok": [{"0ts": 1}]})])
    plugin.check_values([(DidKey("s", "a"), {"ok": {"nested": [{"fine_key-1": 1}]}})])


# --- operators and type mixing -------------------------------------------------------------------
MIXED: dict[str, MetaValue] = {
    "i5": 5,
    "d5": 5.0,
    "d55": 5.5,
    "i7": 7,
    "i1": 1,
    "neg": -3,
    "s5": "5",
    "sabc": "abc",
    "sABD": "ABD",
    "t1": T1,
    "t2": T2,
    "b": True,
    "bf": False,
    "lst": [5, "Abc", T1, True, [7], {"v": 5}],
    "map": {"v": 5, "w": "abc"},
}
MIXED_DATA: dict[DidKey, Metadata] = {DidKey("mix", n): {"v": v} for n, v in MIXED.items()} | {
    DidKey("mix", "nokey"): {"other": 5}
}
ALL_V = set(MIXED)
STRINGS = {"s5", "sabc", "sABD"}

OPERATOR_CASES: list[tuple[Clause, bool, set[str]]] = [
    (Clause("v", Op.EQ, 5), False, {"i5", "d5"}),
    (Clause("v", Op.EQ, 5.0), False, {"i5", "d5"}),
    (Clause("v", Op.EQ, 1), False, {"i1"}),
    (Clause("v", Op.EQ, 7), False, {"i7"}),
    (Clause("v", Op.EQ, True), False, {"b"}),
    (Clause("v", Op.EQ, False), False, {"bf"}),
    (Clause("v", Op.EQ, "5"), False, {"s5"}),
    (Clause("v", Op.EQ, "abc"), False, {"sabc"}),
    (Clause("v", Op.EQ, "abd"), False, set()),
    (Clause("v", Op.EQ, "ABC"), True, {"sabc"}),
    (Clause("v", Op.EQ, "abd"), True, {"sABD"}),
    (Clause("v", Op.EQ, T1), False, {"t1"}),
    (Clause("v", Op.EQ, T2), False, {"t2"}),
    (Clause("v", Op.EQ, [5]), False, set()),
    (Clause("v", Op.EQ, {"v": 5}), False, set()),
    (Clause("v", Op.GT, 5), False, {"d55", "i7"}),
    (Clause("v", Op.GTE, 5), False, {"i5", "d5", "d55", "i7"}),
    (Clause("v", Op.LT, 5.5), False, {"i5", "d5", "i1", "neg"}),
    (Clause("v", Op.LTE, -3), False, {"neg"}),
    (Clause("v", Op.GT, "5"), False, {"sabc", "sABD"}),
    (Clause("v", Op.LT, "a"), False, {"s5", "sABD"}),
    (Clause("v", Op.LT, "a"), True, {"s5"}),
    (Clause("v", Op.GT, "abc"), True, {"sABD"}),
    (Clause("v", Op.GTE, "ABC"), True, {"sabc", "sABD"}),
    (Clause("v", Op.LTE, "ABD"), False, {"s5", "sABD"}),
    (Clause("v", Op.GT, T1), False, {"t2"}),
    (Clause("v", Op.GTE, T1), False, {"t1", "t2"}),
    (Clause("v", Op.LT, T2), False, {"t1"}),
    (Clause("v", Op.GT, False), False, set()),
    (Clause("v", Op.LTE, True), False, set()),
    (Clause("v", Op.EXISTS, True), False, ALL_V),
    (Clause("other", Op.EXISTS, True), False, {"nokey"}),
    (Clause("v", Op.IN, [5, "abc", T2, True]), False, {"i5", "d5", "sabc", "t2", "b"}),
    (Clause("v", Op.IN, ["ABD", 7.0]), True, {"sABD", "i7"}),
    (Clause("v", Op.IN, ["ABC", "x"]), False, set()),
    (Clause("v", Op.CONTAINS, 5), False, {"lst"}),
    (Clause("v", Op.CONTAINS, 5.0), False, {"lst"}),
    (Clause("v", Op.CONTAINS, "Abc"), False, {"lst"}),
    (Clause("v", Op.CONTAINS, "abc"), False, set()),
    (Clause("v", Op.CONTAINS, "ABC"), True, {"lst"}),
    (Clause("v", Op.CONTAINS, T1), False, {"lst"}),
    (Clause("v", Op.CONTAINS, T2), False, set()),
    (Clause("v", Op.CONTAINS, True), False, {"lst"}),
    (Clause("v", Op.CONTAINS, 1), False, set()),
    (Clause("v", Op.CONTAINS, 7), False, set()),
    (Clause("v", Op.CONTAINS, "5"), False, set()),
    (Clause("v", Op.PREFIX, "a"), False, {"sabc"}),
    (Clause("v", Op.PREFIX, "a"), True, {"sabc", "sABD"}),
    (Clause("v", Op.PREFIX, "5"), False, {"s5"}),
    (Clause("v", Op.PREFIX, 5), False, {"s5"}),
    (Clause("v", Op.PREFIX, ""), False, STRINGS),
    (Clause("v", Op.PREFIX, "A"), False, {"sABD"}),
    (Clause("v", Op.EQ, "a*", wildcard=True), False, {"sabc"}),
    (Clause("v", Op.EQ, "A*", wildcard=True), True, {"sabc", "sABD"}),
    (Clause("v", Op.EQ, "*", wildcard=True), False, STRINGS),
    (Clause("v", Op.EQ, "5", wildcard=True), False, {"s5"}),
]


@pytest.fixture
def mixed(store: Store, plugin: MongoPlugin) -> Iterator[JsonReference]:
    put(store, plugin, MIXED_DATA)
    reference = JsonReference(MIXED_DATA)
    try:
        yield reference
    finally:
        reference.close()


def test_operators_with_mixed_types(plugin: MongoPlugin, mixed: JsonReference) -> None:
    failures = []
    for clause, ignore_case, names in OPERATOR_CASES:
        expected = [DidKey("mix", n) for n in sorted(names)]
        got = found(plugin, clause, ignore_case=ignore_case)
        reference = mixed.matching(clause, ignore_case)
        if got != expected or reference != expected:
            failures.append(f"{clause.describe()} ignore_case={ignore_case}: mongo={got} json={reference}")
    assert failures == []


def test_clauses_are_anded(plugin: MongoPlugin, mixed: JsonReference) -> None:
    assert found(plugin, Clause("v", Op.GTE, 5), Clause("v", Op.LT, 7)) == [
        DidKey("mix", "d5"),
        DidKey("mix", "d55"),
        DidKey("mix", "i5"),
    ]
    assert found(plugin, Clause("v", Op.GTE, 5), Clause("v", Op.EQ, "5")) == []
    assert found(plugin, Clause("v", Op.EQ, 5), Clause("v", Op.CONTAINS, {"v": 5})) == []


def test_negative_clauses_are_refused(plugin: MongoPlugin) -> None:
    with pytest.raises(InvalidArgument):
        found(plugin, Clause("v", Op.NE, 5))
    with pytest.raises(InvalidArgument):
        found(plugin, Clause("v", Op.EXISTS, False))


# --- wildcards and scopes ------------------------------------------------------------------------
WILD = ["a?c", "a[b]c", "a.c", "a%c", "a_c", "abc", "xabcx", "a\nc", "a-c", "A.C", "ab\n", "ab", "a*c", "a\\c"]
WILD_VALUES: list[MetaValue] = list(WILD)
WILD_DATA: dict[DidKey, Metadata] = {DidKey("wc", f"n{i:02d}"): {"w": v} for i, v in enumerate(WILD_VALUES)} | {
    DidKey("wc", "int"): {"w": 5},
    DidKey("wc", "list"): {"w": ["abc"]},
}
A_STAR_C = {"a?c", "a[b]c", "a.c", "a%c", "a_c", "abc", "a\nc", "a-c", "a*c", "a\\c"}
WILDCARD_CASES: list[tuple[str, bool, set[str]]] = [
    ("a?c", False, {"a?c"}),
    ("a[b]c", False, {"a[b]c"}),
    ("a.c", False, {"a.c"}),
    ("a%c", False, {"a%c"}),
    ("a_c", False, {"a_c"}),
    ("a\\c", False, {"a\\c"}),
    ("abc", False, {"abc"}),
    ("ab", False, {"ab"}),
    ("b", False, set()),
    ("a*c", False, A_STAR_C),
    ("a*c", True, A_STAR_C | {"A.C"}),
    ("*abc*", False, {"abc", "xabcx"}),
    ("ab*", False, {"ab", "ab\n", "abc"}),
    ("*c", False, A_STAR_C),
    ("a.C", True, {"a.c", "A.C"}),
]


def test_wildcards_are_anchored_and_literal(store: Store, plugin: MongoPlugin) -> None:
    put(store, plugin, WILD_DATA)
    reference = JsonReference(WILD_DATA)
    by_name = {did.name: data["w"] for did, data in WILD_DATA.items()}
    failures = []
    try:
        for pattern, ignore_case, values in WILDCARD_CASES:
            clause = Clause("w", Op.EQ, pattern, wildcard=True)
            expected = sorted(DidKey("wc", n) for n, v in by_name.items() if isinstance(v, str) and v in values)
            assert len(expected) == len(values), pattern
            got = found(plugin, clause, ignore_case=ignore_case)
            json = reference.matching(clause, ignore_case)
            if got != expected or json != expected:
                failures.append(f"{pattern!r} ignore_case={ignore_case}: mongo={got} json={json}")
    finally:
        reference.close()
    assert failures == []
    # without the wildcard flag, `*` is an ordinary character
    assert found(plugin, Clause("w", Op.EQ, "a*c")) == [DidKey("wc", f"n{WILD.index('a*c'):02d}")]
    assert found(plugin, Clause("w", Op.PREFIX, "a.")) == [DidKey("wc", f"n{WILD.index('a.c'):02d}")]


SCOPES = ["user.a", "user.b", "userXa", "data", "group-1", "user"]
SCOPE_CASES: list[tuple[str, set[str]]] = [
    ("*", set(SCOPES)),
    ("**", set(SCOPES)),
    ("user.*", {"user.a", "user.b"}),
    ("user*", {"user", "user.a", "user.b", "userXa"}),
    ("user", {"user"}),
    ("user.a", {"user.a"}),
    ("User", set()),
    ("*a", {"user.a", "userXa", "data"}),
    ("*-1", {"group-1"}),
    ("u*.*", {"user.a", "user.b"}),
    ("ser*", set()),
]


def test_scope_patterns(store: Store, plugin: MongoPlugin) -> None:
    put(store, plugin, {DidKey(scope, "n"): {"k": 1} for scope in SCOPES})
    for pattern, scopes in SCOPE_CASES:
        assert found(plugin, scope=pattern) == sorted(DidKey(s, "n") for s in scopes), pattern
        assert found(plugin, Clause("k", Op.EQ, 1), scope=pattern) == sorted(DidKey(s, "n") for s in scopes)
        assert found(plugin, Clause("k", Op.EQ, 2), scope=pattern) == []


# --- ordering, resume, batching ------------------------------------------------------------------
def test_order_after_and_batches(store: Store, plugin: MongoPlugin) -> None:
    scopes = ["a", "a.b", "a-b", "A", "a_b", "b"]
    names = [f"n{i:04d}" for i in range(410)] + ["x", "X", "x.1", "x/1", "x_1", "x-1", "0", "Z"]
    keys = [DidKey(s, n) for s in scopes for n in names][:2500]
    assert len(keys) == 2500
    shuffled = list(keys)
    random.Random(7).shuffle(shuffled)
    put(store, plugin, {did: {"k": i % 3, "other": "x"} for i, did in enumerate(shuffled)})
    everything = sorted(keys)  # tuple order of (scope, name): byte order for ASCII
    assert everything[0] == DidKey("A", "0") and everything[-1].scope == "b"

    pages = batches(plugin, batch_size=300)
    assert [len(p) for p in pages] == [300] * 8 + [100]
    assert [did for page in pages for did in page] == everything

    ones = sorted(did for i, did in enumerate(shuffled) if i % 3 == 1)
    assert found(plugin, Clause("k", Op.EQ, 1), batch_size=97) == ones

    middle = everything[1234]
    assert found(plugin, after=middle, batch_size=500) == everything[1235:]
    between = DidKey("a.b", "n9999")  # not stored: resumes at the next stored DID
    assert found(plugin, after=between) == [d for d in everything if d > between]
    assert found(plugin, Clause("k", Op.EQ, 1), after=middle, scope="a*") == [
        d for d in ones if d > middle and d.scope.startswith("a")
    ]
    assert found(plugin, after=everything[-1]) == []
    assert batches(plugin, batch_size=2500) == [everything]


def test_select_can_stop_early(store: Store, plugin: MongoPlugin) -> None:
    put(store, plugin, {DidKey("s", f"n{i:02d}"): {"k": i} for i in range(25)})
    stream = plugin.select(ExternalQuery("*", (), batch_size=10))
    assert isinstance(stream, Generator)
    assert next(stream) == [DidKey("s", f"n{i:02d}") for i in range(10)]
    stream.close()
    assert found(plugin, Clause("k", Op.GTE, 20), batch_size=2) == [DidKey("s", f"n{i}") for i in range(20, 25)]


# --- writes and compensation ----------------------------------------------------------------------
def test_set_compensation_restores_previous_state(store: Store, plugin: MongoPlugin, raw: RawClient) -> None:
    collection = raw["didmeta"][plugin.collection_name]
    one, two, three = DidKey("s", "one"), DidKey("s", "two"), DidKey("s", "three")
    put(store, plugin, {one: {"a": 1, "b": "Text", "l": [1, "X"]}, three: {"c": [T1]}})
    before = {doc["_id"]: doc for doc in collection.find()}

    uow = put(store, plugin, {one: {"a": 2.0, "b": None, "n": "new"}, two: {"z": T2}, three: {"c": None}})
    assert_same(get(store, plugin, [one, two, three]), {one: {"a": 2.0, "l": [1, "X"], "n": "new"}, two: {"z": T2}})
    assert len(uow.compensations) == 1

    rollback(uow)
    assert_same(get(store, plugin, [one, two, three]), {one: {"a": 1, "b": "Text", "l": [1, "X"]}, three: {"c": [T1]}})
    assert {doc["_id"]: doc for doc in collection.find()} == before
    assert found(plugin, Clause("b", Op.EQ, "text"), ignore_case=True) == [one]
    assert found(plugin, Clause("n", Op.EXISTS, True)) == []


def test_compensation_keeps_other_keys_written_meanwhile(store: Store, plugin: MongoPlugin) -> None:
    did, fresh = DidKey("s", "d"), DidKey("s", "fresh")
    put(store, plugin, {did: {"a": 1}})
    uow = put(store, plugin, {did: {"a": 2}, fresh: {"x": 1}})
    put(store, plugin, {did: {"b": 3}, fresh: {"y": 2}})  # another request, committed
    rollback(uow)
    assert get(store, plugin, [did, fresh]) == {did: {"a": 1, "b": 3}, fresh: {"y": 2}}


def test_document_created_concurrently_is_merged_not_refused(
    store: Store, plugin: MongoPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    did, new = DidKey("s", "raced"), DidKey("s", "new")
    put(store, plugin, {did: {"a": 1}})
    # as if another request created the document between our read and our write
    monkeypatch.setattr(plugin, "_documents", lambda collection, ids: {})
    uow = put(store, plugin, {did: {"b": 2}, new: {"c": 3}})
    monkeypatch.undo()
    assert get(store, plugin, [did, new]) == {did: {"a": 1, "b": 2}, new: {"c": 3}}
    rollback(uow)
    assert get(store, plugin, [did, new]) == {did: {"a": 1}}


def test_failed_unit_of_work_can_be_compensated(store: Store, plugin: MongoPlugin) -> None:
    did = DidKey("s", "d")
    put(store, plugin, {did: {"a": 1}})
    uow: UnitOfWork | None = None

    class LaterStepFailed(Exception):
        pass

    with pytest.raises(LaterStepFailed), store.write() as conn:
        uow = UnitOfWork(conn)
        plugin.set_many(uow, [(did, {"a": None, "b": 2})])
        assert get(store, plugin, [did]) == {did: {"b": 2}}
        raise LaterStepFailed
    assert uow is not None
    rollback(uow)
    assert get(store, plugin, [did]) == {did: {"a": 1}}


def test_delete_keys(store: Store, plugin: MongoPlugin) -> None:
    did, bare = DidKey("s", "d"), DidKey("s", "bare")
    put(store, plugin, {did: {"a": 1, "b": "B", "c": [2]}})

    with pytest.raises(NotFound) as info:
        write(store, lambda uow: plugin.delete_keys(uow, did, ["a", "zz", "b"]))
    assert info.value.reason == "KEY_NOT_FOUND"
    assert info.value.metadata == {"key": "zz"}
    assert get(store, plugin, [did]) == {did: {"a": 1, "b": "B", "c": [2]}}

    with pytest.raises(NotFound) as info:
        write(store, lambda uow: plugin.delete_keys(uow, bare, ["a"]))
    assert info.value.metadata == {"key": "a"}

    uow = write(store, lambda uow: plugin.delete_keys(uow, did, ["a", "b"]))
    assert get(store, plugin, [did]) == {did: {"c": [2]}}
    assert found(plugin, Clause("b", Op.EQ, "b"), ignore_case=True) == []
    rollback(uow)
    assert_same(get(store, plugin, [did]), {did: {"a": 1, "b": "B", "c": [2]}})
    assert found(plugin, Clause("b", Op.EQ, "b"), ignore_case=True) == [did]


def test_delete_dids(store: Store, plugin: MongoPlugin, raw: RawClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writes, "_DELETE_CHUNK", 2)
    monkeypatch.setattr(reads, "_READ_CHUNK", 3)
    keys = [DidKey("s", f"n{i}") for i in range(7)]
    data: dict[DidKey, Metadata] = {did: {"i": i, "t": T1, "s": f"S{i}"} for i, did in enumerate(keys)}
    put(store, plugin, data)
    collection = raw["didmeta"][plugin.collection_name]
    before = {doc["_id"]: doc for doc in collection.find()}

    doomed = [*keys[:6], DidKey("s", "never-stored")]
    uow = write(store, lambda uow: plugin.delete_dids(uow, doomed))
    assert get(store, plugin, keys) == {keys[6]: data[keys[6]]}
    assert collection.count_documents({}) == 1

    rollback(uow)
    assert get(store, plugin, keys) == data
    assert {doc["_id"]: doc for doc in collection.find()} == before
    assert found(plugin, Clause("s", Op.PREFIX, "s"), ignore_case=True) == sorted(keys)

    nothing = write(store, lambda uow: plugin.delete_dids(uow, [DidKey("s", "never-stored")]))
    assert nothing.compensations == []


# --- plugin set-up ---------------------------------------------------------------------------------
def test_options_indexes_and_health(store: Store, plugin: MongoPlugin, raw: RawClient) -> None:
    info = raw["didmeta"][plugin.collection_name].index_information()
    assert info["scope_name"]["key"] == [("scope", 1), ("name", 1)]
    assert info["meta_v"]["key"] == [("m.v", 1)]
    assert plugin.check_health()
    assert plugin.features == ALL_FEATURES
    assert plugin.name == "MONGO"
    with pytest.raises(InvalidArgument):
        MongoPlugin({}, store)
    with pytest.raises(InvalidArgument):
        MongoPlugin({"url": "mongodb://127.0.0.1:1/", "timeout_ms": 0}, store)
    with pytest.raises(InvalidArgument):
        MongoPlugin({"url": "mongodb://127.0.0.1:1/", "indexed_keys": ["a.b"]}, store)
    limited = MongoPlugin({"url": "mongodb://127.0.0.1:1/", "keys": ["run", "tag"]}, store)
    assert limited.manages_key("run") and not limited.manages_key("other")
    assert plugin.manages_key("anything")


# --- an unreachable server ---------------------------------------------------------------------
def _restart_on_same_port(backend: RunningBackend) -> RunningBackend:
    port = urlparse(backend.url).port
    assert port is not None
    out = subprocess.run(
        [str(SCRIPTS_DIR / "ferretdb.sh"), "start", str(backend.directory), str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.strip().splitlines()[-1] == backend.url
    return backend


def _wait_healthy(plugin: MongoPlugin, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if plugin.check_health():
            return True
        time.sleep(0.1)
    return False


def test_unavailable_then_recovers(tmp_path: Path, store: Store) -> None:
    backend = start_backend("ferretdb", tmp_path / "ferret")
    running = True
    did = DidKey("s", "d")
    plugin = MongoPlugin({"url": backend.url, "timeout_ms": 500}, store)
    late = MongoPlugin({"url": backend.url, "timeout_ms": 500, "collection": "late", "indexed_keys": ["k"]}, store)
    try:
        plugin.start()
        put(store, plugin, {did: {"k": 1}})
        assert plugin.check_health()

        stop_backend(backend)
        running = False
        assert not plugin.check_health()
        late.start()  # must not fail with the server down

        uows: list[UnitOfWork] = []

        def attempt(uow: UnitOfWork, action: Callable[[UnitOfWork], None]) -> None:
            uows.append(uow)
            action(uow)

        calls: list[Callable[[], object]] = [
            lambda: get(store, plugin, [did]),
            lambda: found(plugin, Clause("k", Op.EQ, 1)),
            lambda: write(store, lambda u: attempt(u, lambda w: plugin.set_many(w, [(did, {"k": 2})]))),
            lambda: write(store, lambda u: attempt(u, lambda w: plugin.delete_keys(w, did, ["k"]))),
            lambda: write(store, lambda u: attempt(u, lambda w: plugin.delete_dids(w, [did]))),
            lambda: get(store, late, [did]),
        ]
        for call in calls:
            with pytest.raises(Unavailable) as info:
                call()
            assert info.value.metadata == {"plugin": "MONGO"}
            assert str(info.value).startswith("MONGO backend unavailable: ")
        assert len(uows) == 3
        assert all(u.compensations == [] for u in uows)

        _restart_on_same_port(backend)  # a fresh, empty server on the same port
        running = True
        assert _wait_healthy(plugin)
        assert get(store, plugin, [did]) == {}
        put(store, plugin, {did: {"k": 2}})
        assert get(store, plugin, [did]) == {did: {"k": 2}}
        assert found(plugin, Clause("k", Op.EQ, 2)) == [did]
        put(store, late, {did: {"k": 3}})
        assert get(store, late, [did]) == {did: {"k": 3}}
        client: RawClient = MongoClient(backend.url)
        with client:
            assert "meta_k" in client["didmeta"]["late"].index_information()
    finally:
        plugin.close()
        late.close()
        if running:
            stop_backend(backend)
