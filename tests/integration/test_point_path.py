"""The GetMetadata/SetMetadata fast path (server/point.py) answers exactly as the generic path does.

Each test runs on SQLite and PostgreSQL with a real catalogue: the same reads and writes go once
through the fast path and once through the generic plugin path (`Dispatcher.point` set to None),
and everything observable must agree: values and their types, errors, the stored row, the history.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg
import grpc
import pytest
from sqlalchemy import URL, make_url, text

from didmeta.client import DidmetaError as ClientError
from didmeta.client import NewDid as ClientNewDid
from didmeta.errors import InvalidArgument, NotFound
from didmeta.identifiers import DidKey, DidType
from didmeta.server.access.identity import Capability, Identity, current_identity
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.point import MAX_INLINE_RECORDS, PointAccess
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.server.store.loop_pool import LoopFailure
from didmeta.values import Metadata
from tests.support.checks import engine_for
from tests.support.server import ServerProcess

SCOPE = "pt"
WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
RICH: Metadata = {
    "run_number": 4242,
    "datatype": "RAW",
    "project": "data23_13p6TeV",
    "events": 17,
    "guid": "0f1e2d3c",
    "energy": 6.8,
    "count": 3,
    "flag": True,
    "label": "älpha",
    "taken_at": WHEN,
    "tags": ["a", "b", 3, None, 1.5],
    "nested": {"x": [1, {"y": False}], "z": None},
    "empty_list": [],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def dispatcher(request: pytest.FixtureRequest, make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    store = Store(make_catalogue_url(request.param))
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), store)
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    dispatcher.add_dids(
        [
            NewDid(NewDidSpec(DidKey(SCOPE, "c1"), DidType.CONTAINER, "root"), {"datatype": "AOD"}),
            # `events` is derived on collections (DERIVED_ATTRIBUTE): the dataset gets the rest
            NewDid(
                NewDidSpec(DidKey(SCOPE, "d1"), DidType.DATASET, "root"),
                {k: v for k, v in RICH.items() if k != "events"},
            ),
            NewDid(NewDidSpec(DidKey(SCOPE, "f1"), DidType.FILE, "root", bytes=10, adler32="0a0b0c0d"), dict(RICH)),
            NewDid(NewDidSpec(DidKey(SCOPE, "f2"), DidType.FILE, "root", bytes=10, adler32="0a0b0c0d"), dict(RICH)),
            NewDid(NewDidSpec(DidKey(SCOPE, "f3"), DidType.FILE, "root", bytes=10, adler32="0a0b0c0d"), dict(RICH)),
            NewDid(NewDidSpec(DidKey(SCOPE, "bare"), DidType.FILE, "root", bytes=1)),
        ]
    )
    assert dispatcher.point is not None
    yield dispatcher
    dispatcher.close()


def generic(dispatcher: Dispatcher, call: Callable[[], Any]) -> Any:
    """`call` with the fast path switched off."""
    point, dispatcher.point = dispatcher.point, None
    try:
        return call()
    finally:
        dispatcher.point = point


def typed(metadata: Metadata) -> list[tuple[str, str, str]]:
    """Keys with the type and repr of their values: 1 == True == 1.0 must not pass for equal."""
    return sorted((k, type(v).__name__, repr(v)) for k, v in metadata.items())


@pytest.mark.parametrize("plugin", ["", "DID_COLUMN", "JSON", "ALL", "all"])
@pytest.mark.parametrize("name", ["c1", "d1", "f1", "bare"])
async def test_reads_agree(dispatcher: Dispatcher, plugin: str, name: str) -> None:
    key = DidKey(SCOPE, name)
    expected = generic(dispatcher, lambda: dispatcher.get_metadata(key, plugin))
    assert typed(dispatcher.get_metadata(key, plugin)) == typed(expected)
    on_loop = dispatcher.get_metadata_on_loop(key, plugin)
    if dispatcher.store.is_sqlite:
        assert on_loop is not None and typed(on_loop) == typed(expected)
    else:
        assert on_loop is None  # PostgreSQL: no synchronous read on the loop; the loop awaits its own
    for _ in range(3):  # again once psycopg has prepared the statement
        awaited = await dispatcher.get_metadata_async(key, plugin)
        assert awaited is not None and typed(awaited) == typed(expected)
    if plugin.upper() == "ALL" and name in ("d1", "f1"):
        assert expected["taken_at"] == WHEN and expected["run_number"] == 4242  # the data is really there


def test_file_leaves_out_collection_only_columns(dispatcher: Dispatcher) -> None:
    assert "length" not in dispatcher.get_metadata(DidKey(SCOPE, "f1"))
    assert dispatcher.get_metadata(DidKey(SCOPE, "d1"))["length"] == 0


async def test_missing_did_and_unknown_plugin_fail_alike_on_the_loop(dispatcher: Dispatcher) -> None:
    key = DidKey(SCOPE, "nope")
    with pytest.raises(NotFound) as caught:
        await dispatcher.get_metadata_async(key, "ALL")
    assert caught.value.message == f"DID {key} does not exist" and caught.value.reason == "DID_NOT_FOUND"
    with pytest.raises(InvalidArgument) as refused:
        await dispatcher.get_metadata_async(DidKey(SCOPE, "c1"), "NOPE")
    assert refused.value.reason == "UNKNOWN_PLUGIN"


async def test_a_caller_who_does_not_see_every_did_is_read_on_the_loop_with_the_embargo_check(
    dispatcher: Dispatcher,
) -> None:
    """Embargoes hide DIDs from non-admins (access/embargo.py). The loop read checks, in its own statement,
    whether an embargo in force hides the DID from the caller (on it, or recursive on an ancestor; not in
    a scope the caller owns): a hidden DID is NOT_FOUND as a missing one is, anything else is answered as
    the generic path answers it. A caller whose capabilities show embargoed DIDs goes to the generic path."""
    key = DidKey(SCOPE, "f1")
    alice = Identity(account="alice", is_admin=False)
    current_identity.set(alice)
    expected = generic(dispatcher, lambda: dispatcher.get_metadata(key, "ALL"))
    on_loop = await dispatcher.get_metadata_async(key, "ALL")
    assert on_loop is not None and typed(on_loop) == typed(expected)
    with pytest.raises(NotFound) as missing:
        await dispatcher.get_metadata_async(DidKey(SCOPE, "nope"), "ALL")
    assert missing.value.reason == "DID_NOT_FOUND"
    current_identity.set(Identity(account="root", is_admin=True))
    tomorrow = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    dispatcher.set_embargo(DidKey(SCOPE, "f2"), tomorrow, False, "root")
    dispatcher.attach([(DidKey(SCOPE, "d1"), DidKey(SCOPE, "f3"))])
    dispatcher.set_embargo(DidKey(SCOPE, "d1"), tomorrow, True, "root")  # hides d1 and f3 below it
    current_identity.set(alice)
    answered = await dispatcher.get_metadata_async(key, "ALL")  # f1 is not embargoed: answered on the loop
    assert answered is not None and typed(answered) == typed(expected)
    for hidden in ("f2", "d1", "f3"):
        with pytest.raises(NotFound) as caught:  # on the loop, exactly as the generic path and a missing DID
            await dispatcher.get_metadata_async(DidKey(SCOPE, hidden), "ALL")
        assert caught.value.message == f"DID {SCOPE}:{hidden} does not exist"
        assert caught.value.reason == "DID_NOT_FOUND"
        with pytest.raises(NotFound):
            dispatcher.get_metadata(DidKey(SCOPE, hidden), "ALL")
    current_identity.set(Identity(account="root", is_admin=True))
    awaited = await dispatcher.get_metadata_async(DidKey(SCOPE, "f2"), "ALL")  # an admin sees it
    assert awaited is not None and awaited["run_number"] == 4242
    current_identity.set(Identity(account="root", is_admin=False))  # so does the owner of the scope
    owned = await dispatcher.get_metadata_async(DidKey(SCOPE, "f3"), "ALL")
    assert owned is not None and owned["run_number"] == 4242
    reader = Identity("carol", False, (Capability("didmeta.embargo.read", SCOPE),))
    current_identity.set(reader)
    assert await dispatcher.get_metadata_async(DidKey(SCOPE, "f3"), "ALL") is None  # the generic path decides
    assert dispatcher.get_metadata(DidKey(SCOPE, "f3"), "ALL")["run_number"] == 4242
    current_identity.set(Identity(account="root", is_admin=True))


def test_missing_did_and_unknown_plugin_fail_alike(dispatcher: Dispatcher) -> None:
    key = DidKey(SCOPE, "nope")
    calls: list[Callable[[], Any]] = [
        lambda: dispatcher.get_metadata(key, "ALL"),
        lambda: generic(dispatcher, lambda: dispatcher.get_metadata(key, "ALL")),
        lambda: dispatcher.set_metadata([(key, {"run_number": 1})], fields=["metadata"]),
        lambda: generic(dispatcher, lambda: dispatcher.set_metadata([(key, {"run_number": 1})], fields=["metadata"])),
    ]
    if dispatcher.store.is_sqlite:
        calls.append(lambda: dispatcher.get_metadata_on_loop(key, "ALL"))
    for call in calls:
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.message == f"DID {key} does not exist" and caught.value.reason == "DID_NOT_FOUND"
    reads: list[Callable[..., Any]] = [dispatcher.get_metadata]
    if dispatcher.store.is_sqlite:
        reads.append(dispatcher.get_metadata_on_loop)
    for plugin_call in reads:
        with pytest.raises(InvalidArgument) as refused:
            plugin_call(DidKey(SCOPE, "c1"), "NOPE")
        assert refused.value.reason == "UNKNOWN_PLUGIN"


def stored(dispatcher: Dispatcher, name: str) -> list[Any]:
    """The raw `dids` row (meta as text), without updated_at."""
    meta = "meta" if dispatcher.store.is_sqlite else "meta::text"
    columns = f"did_type, run_number, datatype, guid, events, expired_at IS NULL, {meta}"
    if dispatcher.store.is_sqlite:
        columns += ", typeof(meta)"
    else:
        columns += ", meta IS NULL"
    with dispatcher.store.read() as conn:
        row = conn.execute(text(f"SELECT {columns} FROM dids WHERE scope = :s AND name = :n"), {"s": SCOPE, "n": name})
        return list(row.one())


def history(dispatcher: Dispatcher, name: str) -> list[tuple[Any, ...]]:
    events = [e for page in dispatcher.list_history(DidKey(SCOPE, name)) for e in page]
    return [(e.action, e.key, repr(e.old), repr(e.new), e.account) for e in events]


WRITES: list[Metadata] = [
    {"run_number": 7, "energy": 1.25},  # both owners, one key replaced in each
    {"tags": None, "label": "beta", "nested": {"q": [WHEN]}},  # JSON only: a key removed
    {"guid": None, "events": 99, "lifetime": 3600},  # DID_COLUMN only: settable intrinsics, lifetime
    {"run_number": 7},  # unchanged value: no history record
    {"run_number": 8, **{f"k{i}": i for i in range(150)}},  # more records than one statement takes (PostgreSQL)
    {f"k{i}": None for i in range(150)},
    {"energy": None, "count": None, "flag": None, "label": None, "taken_at": None, "nested": None},
    {"tags": None, "empty_list": None},  # the last JSON keys: the document becomes empty
    {"datatype": None, "project": "p2"},
    {"eol_at": WHEN, "accessed_at": WHEN},  # timestamp columns: their old values decoded for the history
    {"eol_at": WHEN + timedelta(days=1), "accessed_at": None},
    {"lifetime": None},
]


async def test_writes_agree(dispatcher: Dispatcher) -> None:
    """The same SetMetadata sequence on f1 (fast, worker thread), f2 (generic) and f3 (by the event loop, as
    the servicer calls it): same rows, values and history."""
    admin = current_identity.set(Identity("alice", is_admin=True))
    on_loop = 0
    try:
        for metadata in WRITES:
            one = dispatcher.set_metadata([(DidKey(SCOPE, "f1"), metadata)], fields=["metadata"])
            items = [(DidKey(SCOPE, "f2"), metadata)]
            two = generic(dispatcher, functools.partial(dispatcher.set_metadata, items, fields=["metadata"]))
            three = await dispatcher.set_metadata_async(DidKey(SCOPE, "f3"), metadata, "metadata")
            if three is None:  # not taken by the loop: the worker thread's path, as the servicer does
                three = dispatcher.set_metadata([(DidKey(SCOPE, "f3"), metadata)], fields=["metadata"])
            else:
                on_loop += 1
            assert one == two == three == 1
            assert stored(dispatcher, "f1") == stored(dispatcher, "f2") == stored(dispatcher, "f3"), metadata
            fast, slow, looped = (dispatcher.get_metadata(DidKey(SCOPE, n), "ALL") for n in ("f1", "f2", "f3"))
            for values in (fast, slow, looped):
                values.pop("name"), values.pop("updated_at"), values.pop("created_at")
                values.pop("expired_at", None)  # now + lifetime: a few microseconds apart
            assert typed(fast) == typed(slow) == typed(looped), metadata
        assert history(dispatcher, "f1") == history(dispatcher, "f2") == history(dispatcher, "f3")
        assert len(history(dispatcher, "f1")) > len(WRITES)  # the history was written at all
    finally:
        current_identity.reset(admin)
    # the loop took every write but the one of `events` (it recounts the parents: the generic path) and, on
    # PostgreSQL, the two with more records than one statement takes
    left = [w for w in WRITES if "events" in w or (not dispatcher.store.is_sqlite and len(w) > MAX_INLINE_RECORDS)]
    assert on_loop == len(WRITES) - len(left) and len(left) == (1 if dispatcher.store.is_sqlite else 3)
    final = dispatcher.get_metadata(DidKey(SCOPE, "f1"), "JSON")
    assert final == {}  # every JSON key removed, by both paths alike
    assert stored(dispatcher, "f1")[-2] in (None, "null")  # an empty document is stored as the generic path does


async def test_a_non_admin_writes_on_the_point_path_with_the_embargo_check(dispatcher: Dispatcher) -> None:
    """A caller who does not see every DID writes on the point path too (thread and event loop): the read it
    writes from (locking, or optimistic on PostgreSQL's loop) checks embargoes in the same statement. Visible
    DIDs end as the generic path leaves them (rows, values, history with the caller's account); a DID hidden
    by an embargo on it, or a recursive one on an ancestor, is NOT_FOUND as a missing one, with nothing
    written; the owner of the scope writes it; a holder of didmeta.embargo.read takes the generic path."""
    bob = Identity("bob", is_admin=False)
    assert dispatcher.point is not None
    current_identity.set(bob)
    try:
        assert dispatcher.point.writes([dispatcher.did_column.name])
        on_loop = 0
        for metadata in WRITES[:4]:
            one = dispatcher.set_metadata([(DidKey(SCOPE, "f1"), metadata)], fields=["metadata"])
            items = [(DidKey(SCOPE, "f2"), metadata)]
            two = generic(dispatcher, functools.partial(dispatcher.set_metadata, items, fields=["metadata"]))
            three = await dispatcher.set_metadata_async(DidKey(SCOPE, "f3"), metadata, "metadata")
            if three is None:
                three = dispatcher.set_metadata([(DidKey(SCOPE, "f3"), metadata)], fields=["metadata"])
            else:
                on_loop += 1
            assert one == two == three == 1
            assert stored(dispatcher, "f1") == stored(dispatcher, "f2") == stored(dispatcher, "f3"), metadata
        assert on_loop > 0
        assert history(dispatcher, "f1") == history(dispatcher, "f2") == history(dispatcher, "f3")
        assert {entry[-1] for entry in history(dispatcher, "f1")[1:]} == {"bob"}
        current_identity.set(Identity("root", is_admin=True))
        tomorrow = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        dispatcher.set_embargo(DidKey(SCOPE, "f1"), tomorrow, False, "root")
        dispatcher.attach([(DidKey(SCOPE, "d1"), DidKey(SCOPE, "bare"))])
        dispatcher.set_embargo(DidKey(SCOPE, "d1"), tomorrow, True, "root")  # hides d1 and bare below it
        current_identity.set(bob)

        def state(name: str) -> tuple[Any, ...] | None:  # as an admin: bob may not read these histories
            if name == "nope":
                return None
            token = current_identity.set(Identity("root", is_admin=True))
            try:
                return stored(dispatcher, name), history(dispatcher, name)
            finally:
                current_identity.reset(token)

        for name in ("f1", "d1", "bare", "nope"):
            key = DidKey(SCOPE, name)
            before = state(name)
            with pytest.raises(NotFound) as thread:
                dispatcher.set_metadata([(key, {"run_number": 5})], fields=["metadata"])
            with pytest.raises(NotFound) as loop:
                await dispatcher.set_metadata_async(key, {"run_number": 5}, "metadata")
            for caught in (thread, loop):
                assert caught.value.message == f"DID {key} does not exist" and caught.value.reason == "DID_NOT_FOUND"
            assert state(name) == before  # nothing written
        current_identity.set(Identity("root", is_admin=False))  # the owner of the scope sees and writes them
        assert await dispatcher.set_metadata_async(DidKey(SCOPE, "bare"), {"run_number": 6}, "metadata") in (1, None)
        assert dispatcher.set_metadata([(DidKey(SCOPE, "f1"), {"run_number": 6})], fields=["metadata"]) == 1
        assert [dispatcher.get_metadata(DidKey(SCOPE, n))["run_number"] for n in ("f1", "bare")] == [6, 6]
        reader = Identity("carol", False, (Capability("didmeta.embargo.read", SCOPE),))
        current_identity.set(reader)
        assert not dispatcher.point.writes([dispatcher.did_column.name])
        assert await dispatcher.set_metadata_async(DidKey(SCOPE, "f1"), {"run_number": 7}, "metadata") is None
        assert dispatcher.set_metadata([(DidKey(SCOPE, "f1"), {"run_number": 7})], fields=["metadata"]) == 1
    finally:
        current_identity.set(Identity(account="root", is_admin=True))


async def test_bad_values_refused_before_any_write(dispatcher: Dispatcher) -> None:
    before = stored(dispatcher, "f1")
    with pytest.raises(InvalidArgument) as caught:
        dispatcher.set_metadata([(DidKey(SCOPE, "f1"), {"run_number": "x", "energy": 2.0})], fields=["metadata"])
    assert "metadata.run_number" in {v.field for v in caught.value.field_violations}
    assert stored(dispatcher, "f1") == before
    # the event loop's path: the same errors, nothing written (a rolled-back transaction on PostgreSQL)
    too_long: Metadata = {"energy": 2.0, "guid": "x" * 300}
    with pytest.raises(InvalidArgument) as threaded:
        dispatcher.set_metadata([(DidKey(SCOPE, "f1"), too_long)], fields=["metadata"])
    dispatcher.keys.all()
    with pytest.raises(InvalidArgument) as looped:
        await dispatcher.set_metadata_async(DidKey(SCOPE, "f1"), too_long, "metadata")
    assert [v.field for v in looped.value.field_violations] == [v.field for v in threaded.value.field_violations]
    assert "guid" in looped.value.field_violations[0].field
    with pytest.raises(NotFound):
        await dispatcher.set_metadata_async(DidKey(SCOPE, "missing"), {"energy": 2.0}, "metadata")
    assert stored(dispatcher, "f1") == before
    assert dispatcher.get_metadata(DidKey(SCOPE, "f1"), "JSON")["energy"] == 6.8


def test_embargoed_did_hidden_from_non_admin(dispatcher: Dispatcher) -> None:
    """A caller who does not see everything is served by the thread's fast path only on the event loop, whose
    statement checks embargoes: the embargo hides the DID on every path."""
    key = DidKey(SCOPE, "d1")
    dispatcher.set_embargo(key, datetime(2999, 1, 1), recursive=False, account="root")
    outsider = current_identity.set(Identity("mallory", is_admin=False))
    try:
        assert dispatcher.point is not None and not dispatcher.point.reads(dispatcher.plugins)
        if dispatcher.store.is_sqlite:
            with pytest.raises(NotFound):
                dispatcher.get_metadata_on_loop(key, "ALL")
        with pytest.raises(NotFound):
            asyncio.run(dispatcher.get_metadata_async(key, "ALL"))
        with pytest.raises(NotFound):
            dispatcher.get_metadata(key, "ALL")
        with pytest.raises(NotFound):
            dispatcher.set_metadata([(key, {"run_number": 1})], fields=["metadata"])
        assert dispatcher.get_metadata(DidKey(SCOPE, "c1"))["datatype"] == "AOD"  # not embargoed: visible
    finally:
        current_identity.reset(outsider)
    assert dispatcher.get_metadata(key)["run_number"] == 4242  # the admin/in-process view: unchanged


def test_no_state_shared_between_databases(make_catalogue_url: Callable[[str], str]) -> None:
    """Two catalogues in one process: each fast path reads and writes its own database."""
    dispatchers = []
    for kind, value in (("sqlite", 1), ("sqlite", 2), ("postgresql", 3)):
        store = Store(make_catalogue_url(kind))
        d = Dispatcher.from_settings(Settings.model_validate({}), store)
        d.start()
        d.add_scope(SCOPE, "root")
        d.add_dids([NewDid(NewDidSpec(DidKey(SCOPE, "x"), DidType.DATASET, "root"), {"run_number": value})])
        dispatchers.append((d, value))
    try:
        for _ in range(2):  # again after every path has prepared its statements
            for d, value in dispatchers:
                assert d.get_metadata(DidKey(SCOPE, "x"))["run_number"] == value
                on_loop = d.get_metadata_on_loop(DidKey(SCOPE, "x"))
                assert on_loop is None or on_loop["run_number"] == value
        for d, value in dispatchers:
            d.set_metadata([(DidKey(SCOPE, "x"), {"run_number": value * 10})], fields=["metadata"])
        for d, value in dispatchers:
            assert d.get_metadata(DidKey(SCOPE, "x"))["run_number"] == value * 10
    finally:
        for d, _ in dispatchers:
            d.close()


def test_only_the_catalogue_plugins(make_catalogue_url: Callable[[str], str]) -> None:
    """Without DID_COLUMN first there is no fast path; reads of the row's plugins only."""
    store = Store(make_catalogue_url("sqlite"))
    point = PointAccess.for_plugins(store, [])
    assert point is None
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": ["DID_COLUMN"]}), store)
    assert dispatcher.point is not None and dispatcher.point.json is None
    assert dispatcher.point.writes(["DID_COLUMN"]) and not dispatcher.point.writes(["JSON"])
    store.dispose()


def test_sqlite_write_on_the_loop_only_when_the_lock_is_free(make_catalogue_url: Callable[[str], str]) -> None:
    """A write on the event loop never waits: another writer (process or thread) sends it to a worker thread."""
    url = make_catalogue_url("sqlite")
    store = Store(url)
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), store)
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    key = DidKey(SCOPE, "w")
    dispatcher.add_dids([NewDid(NewDidSpec(key, DidType.DATASET, "root"), {"run_number": 1})])
    try:
        assert dispatcher.set_metadata_on_loop(key, {"run_number": 2, "note": "a"}, "metadata") == 1
        assert dispatcher.get_metadata(key, "ALL")["run_number"] == 2
        # another process holds the database's write lock: not taken, nothing written, no wait
        other = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        assert dispatcher.set_metadata_on_loop(key, {"run_number": 3}, "metadata") is None
        assert time.monotonic() - started < 1.0
        other.execute("ROLLBACK")
        other.close()
        # a thread of this process holds the write lock
        with store.write():
            assert dispatcher.set_metadata_on_loop(key, {"run_number": 4}, "metadata") is None
        assert dispatcher.get_metadata(key, "ALL")["run_number"] == 2
        # free again: the loop connection still works after the refusals
        assert dispatcher.set_metadata_on_loop(key, {"run_number": 5}, "metadata") == 1
        assert dispatcher.get_metadata(key, "ALL")["run_number"] == 5
        with pytest.raises(NotFound):
            dispatcher.set_metadata_on_loop(DidKey(SCOPE, "missing"), {"run_number": 1}, "metadata")
        with pytest.raises(InvalidArgument):
            dispatcher.set_metadata_on_loop(key, {"run_number": "x"}, "metadata")
        events = [e for page in dispatcher.list_history(key) for e in page]
        assert [(e.key, e.new) for e in events if e.action == "set"] == [
            ("note", "a"),
            ("run_number", 2),
            ("run_number", 5),
        ]
    finally:
        dispatcher.close()


# --- PostgreSQL: the event loop's own connections (store/loop_pool.py) ----------------------------------
def _pg_dispatcher_at(url: str) -> Dispatcher:
    """A started dispatcher on the PostgreSQL catalogue at `url`, with one dataset `x` (run_number 1)."""
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), Store(url))
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    dispatcher.add_dids([NewDid(NewDidSpec(DidKey(SCOPE, "x"), DidType.DATASET, "root"), {"run_number": 1})])
    return dispatcher


@pytest.fixture()
def pg_dispatcher(make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    dispatcher = _pg_dispatcher_at(make_catalogue_url("postgresql"))
    yield dispatcher
    dispatcher.close()


def loop_backends(dispatcher: Dispatcher) -> list[int]:
    """Backend pids of the loop pool's idle connections."""
    assert dispatcher.point is not None and dispatcher.point._loop_pool is not None
    return [conn.get_server_pid() for conn in dispatcher.point._loop_pool._idle]


async def test_loop_read_survives_a_killed_connection(pg_dispatcher: Dispatcher) -> None:
    key = DidKey(SCOPE, "x")
    assert (await pg_dispatcher.get_metadata_async(key))["run_number"] == 1  # type: ignore[index]
    [pid] = loop_backends(pg_dispatcher)
    with pg_dispatcher.store.read() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
    # the dead connection fails this call, which falls back (None: the thread path answers) ...
    first = await pg_dispatcher.get_metadata_async(key)
    assert first is None or first["run_number"] == 1
    assert pg_dispatcher.get_metadata(key)["run_number"] == 1
    # ... and the pool has dropped it: the next call reads over a new connection
    assert (await pg_dispatcher.get_metadata_async(key))["run_number"] == 1  # type: ignore[index]
    assert pid not in loop_backends(pg_dispatcher) and len(loop_backends(pg_dispatcher)) == 1


async def test_loop_reads_concurrent_and_cancelled(pg_dispatcher: Dispatcher) -> None:
    key = DidKey(SCOPE, "x")
    answers = await asyncio.gather(*(pg_dispatcher.get_metadata_async(key) for _ in range(40)))
    assert all(a is not None and a["run_number"] == 1 for a in answers)
    assert 1 <= len(loop_backends(pg_dispatcher)) <= 8  # LOOP_CONNECTIONS
    # cancelled while PostgreSQL works on the query (held by a lock): the connection comes back usable
    pool = pg_dispatcher.point._loop_pool  # type: ignore[union-attr]
    assert pool is not None
    kept = len(pool._idle)
    with pg_dispatcher.store.write() as conn:
        conn.exec_driver_sql("LOCK TABLE dids IN ACCESS EXCLUSIVE MODE")
        pending = [asyncio.ensure_future(pg_dispatcher.get_metadata_async(key)) for _ in range(3)]
        await asyncio.sleep(0.3)
        assert not any(task.done() for task in pending)
        for task in pending:
            task.cancel()
        done = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(result, asyncio.CancelledError) for result in done)
    # asyncpg asked PostgreSQL to cancel the three queries: their connections are back in the pool, and
    # each one's next statement waits for the cancellation's answer first
    assert len(pool._idle) == kept
    assert not any(idle.is_closed() or idle.is_in_transaction() for idle in pool._idle)
    answers = await asyncio.gather(*(pg_dispatcher.get_metadata_async(key) for _ in range(10)))
    assert all(a is not None and a["run_number"] == 1 for a in answers)


async def test_asyncpgs_own_failures_send_the_call_to_the_thread_path(
    pg_dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg's client-side failures (here its schema cache's, which is no PostgresError) are the loop's
    fallback cue like the server's errors, never an INTERNAL: the read and the write are left to a worker
    thread (None), nothing written, and the failed connection is dropped."""
    key = DidKey(SCOPE, "x")
    assert (await pg_dispatcher.get_metadata_async(key))["run_number"] == 1  # type: ignore[index]
    [pid] = loop_backends(pg_dispatcher)

    async def outdated(*args: object, **kwargs: object) -> None:
        raise asyncpg.exceptions.OutdatedSchemaCacheError("the type cache is out of date")

    monkeypatch.setattr(asyncpg.Connection, "fetchrow", outdated)
    assert await pg_dispatcher.get_metadata_async(key) is None
    pg_dispatcher.keys.all()
    assert await pg_dispatcher.set_metadata_async(key, {"run_number": 2}, "metadata") is None
    assert loop_backends(pg_dispatcher) == []  # both connections dropped
    monkeypatch.undo()
    assert pg_dispatcher.get_metadata(key)["run_number"] == 1  # the refused write left nothing
    assert (await pg_dispatcher.get_metadata_async(key))["run_number"] == 1  # type: ignore[index]
    assert pid not in loop_backends(pg_dispatcher)


async def test_a_parameter_asyncpg_cannot_send_keeps_the_connection(pg_dispatcher: Dispatcher) -> None:
    """LoopFailure for a parameter of the wrong type (asyncpg refuses it before sending) and for a data
    exception of the server; the connection is fine after either and stays in the pool."""
    key = DidKey(SCOPE, "x")
    assert (await pg_dispatcher.get_metadata_async(key))["run_number"] == 1  # type: ignore[index]
    [pid] = loop_backends(pg_dispatcher)
    pool = pg_dispatcher.point._loop_pool  # type: ignore[union-attr]
    assert pool is not None
    with pytest.raises(LoopFailure, match="DataError"):
        await pool.fetchone("SELECT CAST(%s AS bigint) + 1", ("seven",))
    with pytest.raises(LoopFailure, match="DivisionByZero"):
        await pool.fetchall("SELECT 1 / %s", (0,))
    assert loop_backends(pg_dispatcher) == [pid]
    assert await pool.fetchone("SELECT CAST(%s AS bigint) + 1", (7,)) == (8,)


async def test_loop_read_falls_back_when_the_database_is_unreachable(pg_dispatcher: Dispatcher) -> None:
    """No connection to be had: None (the thread path then answers or fails UNAVAILABLE, as today)."""
    point = pg_dispatcher.point
    assert point is not None and point._loop_pool is not None
    point._loop_pool._connect_args = {**point._loop_pool._connect_args, "port": "1", "connect_timeout": "2"}
    started = time.monotonic()
    assert await pg_dispatcher.get_metadata_async(DidKey(SCOPE, "x")) is None
    assert await pg_dispatcher.get_metadata_async(DidKey(SCOPE, "x")) is None  # refused at once (RETRY_SECONDS)
    assert time.monotonic() - started < 5


async def test_loop_write_survives_a_killed_connection(pg_dispatcher: Dispatcher) -> None:
    """A write whose loop connection died: not taken (None), nothing half-written; the thread path then
    writes it once, and the next loop write runs over a new connection."""
    key = DidKey(SCOPE, "x")
    pg_dispatcher.keys.all()
    assert await pg_dispatcher.set_metadata_async(key, {"run_number": 2}, "metadata") == 1
    [pid] = loop_backends(pg_dispatcher)
    with pg_dispatcher.store.read() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
    pg_dispatcher.keys.all()
    if await pg_dispatcher.set_metadata_async(key, {"run_number": 3}, "metadata") is None:
        pg_dispatcher.set_metadata([(key, {"run_number": 3})], fields=["metadata"])
    pg_dispatcher.keys.all()
    assert await pg_dispatcher.set_metadata_async(key, {"run_number": 4}, "metadata") == 1
    assert pid not in loop_backends(pg_dispatcher)
    events = [e for page in pg_dispatcher.list_history(key) for e in page if e.action == "set"]
    assert [(e.old, e.new) for e in events] == [(1, 2), (2, 3), (3, 4)]
    assert pg_dispatcher.get_metadata(key)["run_number"] == 4


def before_the_update(
    dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch, at: int, act: Callable[[], Any]
) -> list[Any]:
    """Make `act` happen right after the `at`-th row read of the point writes (before that write's update);
    the rows those writes read, in order (a write `act` makes itself counts too)."""
    point = dispatcher.point
    assert point is not None
    row_write = point._row_write
    reads: list[Any] = []

    def racing(*args: Any) -> Any:
        reads.append(args[1])
        if len(reads) == at:
            act()
        return row_write(*args)

    monkeypatch.setattr(point, "_row_write", racing)
    return reads


#: Two ways into the optimistic write (`_set_optimistic`), each an extra key for the write and the DID's value
#: of it before: the write is not one the one statement takes (`lifetime`, which sets `expired_at` from now: the
#: row is read with its version), or PostgreSQL cannot render the key's old value (an object: the one statement
#: returns the row).
OPTIMISTIC_STARTS: dict[str, tuple[str, Any]] = {
    "own read": ("lifetime", 3600),
    "one statement's row": ("shape", {"a": 1}),
}


def optimistic_start(dispatcher: Dispatcher, key: DidKey, start: str) -> Metadata:
    """Give `key` the start's key (thread path) and return the extra metadata its writes carry."""
    name, value = OPTIMISTIC_STARTS[start]
    dispatcher.set_metadata([(key, {name: value})], fields=["metadata"])
    return {name: value}


def run_number_events(dispatcher: Dispatcher, key: DidKey) -> list[tuple[Any, Any]]:
    events = [e for page in dispatcher.list_history(key) for e in page]
    return [(e.old, e.new) for e in events if e.action == "set" and e.key == "run_number"]


@pytest.mark.parametrize("start", sorted(OPTIMISTIC_STARTS))
async def test_a_loop_write_whose_row_changed_after_its_read_continues_from_that_change(
    pg_dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    """The loop's optimistic write reads the row without a lock (server/point.py `_set_optimistic`). A write of
    the worker thread's path landing between that read and its update (made here at that moment) leaves the
    row with a new version: the update changes nothing and the write is redone under the row's lock, so the
    history chain continues from the other write's value. Uncontended, one read suffices."""
    key = DidKey(SCOPE, "x")
    extra = optimistic_start(pg_dispatcher, key, start)
    # the second write's first read: another writer gets in before its update
    other = functools.partial(pg_dispatcher.set_metadata, [(key, {"run_number": 50})], fields=["metadata"])
    reads = before_the_update(pg_dispatcher, monkeypatch, 2, other)
    pg_dispatcher.keys.all()
    assert await pg_dispatcher.set_metadata_async(key, {"run_number": 2, **extra}, "metadata") == 1
    assert len(reads) == 1  # no conflict: the optimistic read and update only
    pg_dispatcher.keys.all()
    assert await pg_dispatcher.set_metadata_async(key, {"run_number": 60, **extra}, "metadata") == 1
    assert len(reads) == 4  # the optimistic read, the other writer's (the thread path's), then the locking one
    assert run_number_events(pg_dispatcher, key) == [(1, 2), (2, 50), (50, 60)]
    assert pg_dispatcher.get_metadata(key)["run_number"] == 60


@pytest.mark.parametrize("start", sorted(OPTIMISTIC_STARTS))
async def test_a_loop_write_whose_did_is_deleted_after_its_read_is_not_found(
    pg_dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    """The DID deleted between the loop's optimistic read and its update: the update finds no row, the
    locking read finds none either, and the write is NOT_FOUND, nothing written (no history record)."""
    key = DidKey(SCOPE, "x")
    extra = optimistic_start(pg_dispatcher, key, start)
    deleted: list[int] = []
    before_the_update(pg_dispatcher, monkeypatch, 1, lambda: deleted.append(pg_dispatcher.delete_dids([key])))
    pg_dispatcher.keys.all()
    with pytest.raises(NotFound) as caught:
        await pg_dispatcher.set_metadata_async(key, {"run_number": 60, **extra}, "metadata")
    assert deleted == [1] and caught.value.reason == "DID_NOT_FOUND"
    with pg_dispatcher.store.read() as conn:
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM history WHERE action = 'set' AND key = 'run_number'").scalar()
            == 0
        )
        assert conn.exec_driver_sql("SELECT count(*) FROM dids WHERE name = 'x'").scalar() == 0


@pytest.mark.parametrize("start", ["one statement", *sorted(OPTIMISTIC_STARTS)])
async def test_loop_and_thread_writers_on_one_did_are_serialised(pg_dispatcher: Dispatcher, start: str) -> None:
    """Event-loop writes (up to LOOP_CONNECTIONS at once: in one statement, or optimistic from either start)
    racing worker-thread writes on one DID, of a column key and a JSON key: every write recorded once, each
    record's old value the previous record's new value, for both keys."""
    key = DidKey(SCOPE, "x")
    extra = {} if start == "one statement" else optimistic_start(pg_dispatcher, key, start)
    loop_writes, thread_writers, each = 60, 3, 15
    taken = 0

    async def loop_write(value: int) -> None:
        nonlocal taken
        metadata = {"run_number": value, "tag": f"t{value}", **extra}
        pg_dispatcher.keys.all()  # fresh declarations: the loop does not read them itself
        if await pg_dispatcher.set_metadata_async(key, metadata, "metadata") is None:
            await asyncio.to_thread(pg_dispatcher.set_metadata, [(key, metadata)], fields=["metadata"])
        else:
            taken += 1

    def thread_write(writer: int) -> None:
        for i in range(each):
            value = 1000 + writer * each + i
            pg_dispatcher.set_metadata([(key, {"run_number": value, "tag": f"t{value}"})], fields=["metadata"])

    await asyncio.gather(
        *(loop_write(2 + i) for i in range(loop_writes)),
        *(asyncio.to_thread(thread_write, w) for w in range(thread_writers)),
    )
    assert taken > loop_writes // 2  # the loop's path really ran
    events = [e for page in pg_dispatcher.list_history(key) for e in page if e.action == "set"]
    for name, first in (("run_number", 1), ("tag", None)):
        chain = [(e.old, e.new) for e in events if e.key == name]
        assert len(chain) == loop_writes + thread_writers * each
        assert chain[0][0] == first
        assert all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1))
        assert pg_dispatcher.get_metadata(key, "ALL")[name] == chain[-1][1]


async def test_loop_connections_carry_the_catalogue_urls_options(make_catalogue_url: Callable[[str], str]) -> None:
    """The loop's asyncpg connections get the URL's application_name and `-c` settings, as psycopg's do."""
    url = make_catalogue_url("postgresql")
    dispatcher = _pg_dispatcher_at(f"{url}?application_name=didmeta-loop&options=-c%20work_mem%3D5MB")
    try:
        assert (await dispatcher.get_metadata_async(DidKey(SCOPE, "x")))["run_number"] == 1  # type: ignore[index]
        pool = dispatcher.point._loop_pool  # type: ignore[union-attr]
        assert pool is not None and len(pool._idle) == 1
        async with pool.connection() as conn:
            assert await conn.fetchone("SELECT current_setting('application_name'), current_setting('work_mem')") == (
                "didmeta-loop",
                "5MB",
            )
    finally:
        dispatcher.close()


async def test_a_url_with_several_hosts_reaches_the_one_that_answers_on_the_loop_too(
    make_catalogue_url: Callable[[str], str],
) -> None:
    """libpq's host lists (`host=a,b`, `port=1,2`: tried in order): the first host here refuses connections
    (a closed port), the second is the catalogue. The engine's connections and the loop's asyncpg
    connections both reach the second; the loop really serves (its read and write are not left to the
    thread path)."""
    url = make_url(make_catalogue_url("postgresql"))
    with socket.socket() as probe:  # a port nothing listens on: bound, never listening, closed below
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    hosts = URL.create(
        url.drivername,
        url.username,
        url.password,
        database=url.database,
        query={"host": f"127.0.0.1,{url.host}", "port": f"{closed},{url.port}"},
    )
    dispatcher = _pg_dispatcher_at(hosts.render_as_string(hide_password=False))
    assert dispatcher.point is not None and dispatcher.point._loop_pool is not None
    assert dispatcher.point._loop_pool._connect_args["port"] == f"{closed},{url.port}"
    try:
        key = DidKey(SCOPE, "x")
        assert (await dispatcher.get_metadata_async(key)) == dispatcher.get_metadata(key)
        dispatcher.keys.all()
        assert await dispatcher.set_metadata_async(key, {"run_number": 2}, "metadata") == 1
        assert dispatcher.get_metadata(key)["run_number"] == 2
        assert len(loop_backends(dispatcher)) == 1
    finally:
        dispatcher.close()


async def test_an_option_asyncpg_lacks_leaves_the_calls_to_the_thread_path(
    make_catalogue_url: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    """A libpq option with no asyncpg equivalent: the server says so once and the loop pool stays off (the
    loop's calls return None, the servicers' cue for the worker-thread path), which answers and writes."""
    url = make_catalogue_url("postgresql")
    with caplog.at_level("WARNING", logger="didmeta.server.store.loop_pool"):
        dispatcher = _pg_dispatcher_at(f"{url}?keepalives_idle=30")
    try:
        assert [r.getMessage() for r in caplog.records if "keepalives_idle" in r.getMessage()]
        key = DidKey(SCOPE, "x")
        assert await dispatcher.get_metadata_async(key) is None
        dispatcher.keys.all()
        assert await dispatcher.set_metadata_async(key, {"run_number": 2}, "metadata") is None
        dispatcher.set_metadata([(key, {"run_number": 2})], fields=["metadata"])
        assert dispatcher.get_metadata(key)["run_number"] == 2
    finally:
        dispatcher.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_concurrent_sets_on_one_did_are_serialised(kind: str, make_catalogue_url: Callable[[str], str]) -> None:
    """Writers racing on one DID: every write recorded once, each record's old value the previous one's new
    value (the row lock orders the read and the write), and the row ends with the last recorded values."""
    store = Store(make_catalogue_url(kind))
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), store)
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    key = DidKey(SCOPE, "hot")
    dispatcher.add_dids([NewDid(NewDidSpec(key, DidType.DATASET, "root"), {"run_number": 0, "note": "n0"})])
    writers, each = 6, 15

    def write(writer: int) -> None:
        for i in range(each):
            value = 1 + writer * each + i  # every write a new value: each one is recorded
            dispatcher.set_metadata([(key, {"run_number": value, "note": f"n{value}"})], fields=["metadata"])

    try:
        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        events = [e for page in dispatcher.list_history(key) for e in page if e.action == "set"]
        for name, first in (("run_number", 0), ("note", "n0")):
            chain = [(e.old, e.new) for e in events if e.key == name]
            assert len(chain) == writers * each
            assert chain[0][0] == first
            assert all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1)), name
        final = dispatcher.get_metadata(key, "ALL")
        last = [e.new for e in events if e.key == "run_number"][-1]
        assert final["run_number"] == last and final["note"] == f"n{last}"
    finally:
        dispatcher.close()


def test_grpc_deadlines_under_a_lock_leave_the_loop_connections_usable(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    """GetMetadata on PostgreSQL over gRPC: calls cancelled by their deadline while the row is locked
    (more of them than the loop has connections) leave connections that answer the next calls at once."""
    server = start_server({"database": make_catalogue_url("postgresql"), "log_format": "text"})
    with server.client(timeout=30) as client:
        client.add_scope("dl")
        client.add_dids([ClientNewDid("dl:x", "dataset", metadata={"i": 1})])
        assert client.get_metadata("dl:x", "JSON") == {"i": 1}
    engine = engine_for(server)
    try:
        with engine.begin() as conn, server.client(timeout=0.4) as short:
            conn.exec_driver_sql("LOCK TABLE dids IN ACCESS EXCLUSIVE MODE")
            for _ in range(12):  # more than LOOP_CONNECTIONS, one after the other
                with pytest.raises(ClientError) as caught:
                    short.get_metadata("dl:x", "JSON")
                assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        engine.dispose()
    with server.client(timeout=5) as client:
        started = time.monotonic()
        for _ in range(20):
            assert client.get_metadata("dl:x", "JSON") == {"i": 1}
        assert time.monotonic() - started < 5
    assert "Traceback" not in server.log_path.read_text(errors="replace")


def test_grpc_set_metadata_cut_by_deadlines_leaves_the_loop_connections_usable(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    """SetMetadata on PostgreSQL over gRPC: calls cut by their deadline while the row is locked (more than
    the loop has connections) leave connections that take the next writes at once. A cut call's outcome is
    unknown to its client (gRPC's rule): the loop's transaction rolls back, but a call that went to a
    worker thread (every CACHE_SECONDS one re-reads the declared keys there) commits once the lock is gone.
    Either way each write is recorded once, in one chain of old and new values."""
    server = start_server({"database": make_catalogue_url("postgresql"), "log_format": "text"})
    with server.client(timeout=30) as client:
        client.add_scope("dl")
        client.add_dids([ClientNewDid("dl:x", "dataset", metadata={"i": 1})])
    engine = engine_for(server)
    try:
        with engine.begin() as conn, server.client(timeout=0.4) as short:
            conn.exec_driver_sql("LOCK TABLE dids IN ACCESS EXCLUSIVE MODE")
            for value in range(2, 14):  # more than LOOP_CONNECTIONS, one after the other
                with pytest.raises(ClientError) as caught:
                    short.set_metadata("dl:x", {"i": value})
                assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        engine.dispose()
    with server.client(timeout=5) as client:
        started = time.monotonic()
        for value in range(20, 40):
            client.set_metadata("dl:x", {"i": value})
        assert time.monotonic() - started < 5
        assert client.get_metadata("dl:x", "JSON") == {"i": 39}
        chain = [(cast(int, e.old), cast(int, e.new)) for e in client.list_history("dl:x") if e.action == "set"]
    cut = [new for _, new in chain if new < 20]
    assert len(cut) == len(set(cut)) < 12  # some cut calls rolled back; none recorded twice
    assert [new for _, new in chain if new >= 20] == list(range(20, 40))
    assert chain[0][0] == 1 and all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1))
    assert "Traceback" not in server.log_path.read_text(errors="replace")


@pytest.mark.parametrize("dispatcher", ["sqlite"], indirect=True)  # PostgreSQL runs the check in the server
def test_a_non_admin_loop_read_past_its_step_budget_goes_to_the_generic_path(
    dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the embargo check walks up the DID's ancestors on the event loop under a step budget; past it
    the loop does not answer (None) and the generic path, in a worker thread, does."""
    key = DidKey(SCOPE, "f1")
    dispatcher.attach([(DidKey(SCOPE, "d1"), key)])
    current_identity.set(Identity(account="alice", is_admin=False))
    try:
        assert dispatcher.get_metadata_on_loop(key, "ALL") is not None
        monkeypatch.setattr("didmeta.server.point._PROGRESS_EVERY", 1)  # the handler sees every VM step
        monkeypatch.setattr("didmeta.server.point.MAX_CHECKED_STEPS", 10)
        assert dispatcher.get_metadata_on_loop(key, "ALL") is None
        assert dispatcher.get_metadata(key, "ALL")["run_number"] == 4242
    finally:
        current_identity.set(Identity(account="root", is_admin=True))


@pytest.mark.parametrize("dispatcher", ["sqlite"], indirect=True)  # PostgreSQL runs the check in the server
def test_a_non_admin_loop_write_past_its_step_budget_goes_to_a_worker_thread(
    dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: a non-admin's SetMetadata on the event loop checks embargoes in its locking read under the same
    step budget as the loop's reads; past it the write is rolled back (nothing written, the write lock free
    again, the loop's writer usable) and the worker thread's path writes it."""
    key = DidKey(SCOPE, "f1")
    dispatcher.attach([(DidKey(SCOPE, "d1"), key)])
    before = stored(dispatcher, "f1"), history(dispatcher, "f1")
    current_identity.set(Identity(account="alice", is_admin=False))
    try:
        with monkeypatch.context() as patched:
            patched.setattr("didmeta.server.point._PROGRESS_EVERY", 1)  # the handler sees every VM step
            patched.setattr("didmeta.server.point.MAX_CHECKED_STEPS", 10)
            assert dispatcher.set_metadata_on_loop(key, {"run_number": 7}, "metadata") is None
        assert (stored(dispatcher, "f1"), history(dispatcher, "f1")) == before
        assert dispatcher.set_metadata_on_loop(key, {"run_number": 8}, "metadata") == 1  # lock and writer fine
        assert dispatcher.get_metadata(key, "ALL")["run_number"] == 8
        with monkeypatch.context() as patched:
            patched.setattr("didmeta.server.point._PROGRESS_EVERY", 1)
            patched.setattr("didmeta.server.point.MAX_CHECKED_STEPS", 10)
            assert dispatcher.set_metadata([(key, {"run_number": 9})], fields=["metadata"]) == 1  # no budget
        assert dispatcher.get_metadata(key, "ALL")["run_number"] == 9
        assert [entry[-1] for entry in history(dispatcher, "f1")][-2:] == ["alice", "alice"]
    finally:
        current_identity.set(Identity(account="root", is_admin=True))


@pytest.mark.parametrize("dispatcher", ["sqlite"], indirect=True)  # the event loop writes on SQLite only
@pytest.mark.parametrize("refused", ["UPDATE ON dids", "INSERT ON history"])
def test_a_loop_write_its_driver_refuses_is_rolled_back_and_left_to_a_worker_thread(
    dispatcher: Dispatcher, refused: str
) -> None:
    """SQLite: the event loop's writer runs SetMetadata's statements on its sqlite3 connection itself. A
    driver error in the row's update or in its history insert (here a TEMP trigger, which only that
    connection has) rolls the whole write back, so no row changes without its history, and leaves the
    write to a worker thread, whose connection writes it."""
    key = DidKey(SCOPE, "f1")
    assert dispatcher.set_metadata_on_loop(key, {"run_number": 7}, "metadata") == 1  # the loop's writer exists
    before = stored(dispatcher, "f1"), history(dispatcher, "f1")
    point = dispatcher.point
    assert point is not None and point._loop_writer is not None
    driver = point._loop_writer.connection.dbapi_connection
    assert driver is not None
    driver.execute(f"CREATE TEMP TRIGGER refuse BEFORE {refused} BEGIN SELECT RAISE(ABORT, 'refused'); END")
    try:
        assert dispatcher.set_metadata_on_loop(key, {"run_number": 8, "label": "x"}, "metadata") is None
        assert (stored(dispatcher, "f1"), history(dispatcher, "f1")) == before
        assert dispatcher.set_metadata([(key, {"run_number": 9, "label": "y"})], fields=["metadata"]) == 1
        assert dispatcher.get_metadata(key, "ALL")["run_number"] == 9
        assert [entry[:4] for entry in history(dispatcher, "f1")][-2:] == [
            ("set", "label", "'älpha'", "'y'"),
            ("set", "run_number", "7", "9"),
        ]
    finally:
        driver.execute("DROP TRIGGER refuse")
    assert dispatcher.set_metadata_on_loop(key, {"run_number": 10}, "metadata") == 1  # the writer is usable
    assert dispatcher.get_metadata(key, "ALL")["run_number"] == 10
