"""SetMetadata on PostgreSQL in one statement (server/one_statement_write.py), against a real PostgreSQL.

The one statement computes the history's old values in SQL. Its records must be the ones the other paths
write, text for text: the differential test writes the same generated old and new values to two DIDs, one
through the event loop's write (the one statement when it takes the values, else the optimistic write) and
one through the worker thread's locking write, and compares the history rows and the stored row as
PostgreSQL holds them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from didmeta.errors import NotFound
from didmeta.identifiers import DidKey, DidType
from didmeta.server.access.identity import Identity, current_identity
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.one_statement_write import PLAIN_COLUMNS, PRINTABLE_ASCII
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.server.store.loop_pool import Session
from didmeta.values import Metadata
from tests.property.strategies import EXAMPLES, STORED_TEXTS, STORED_TIMESTAMPS, STORED_VALUES

_scopes = itertools.count()
_INTS = st.integers(-(2**63), 2**63 - 1)
#: Per key, the values a write may give it (None: remove the key).
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "run_number": st.none() | _INTS,
    "campaign": st.none() | STORED_TEXTS.filter(lambda t: len(t) <= 255 and "\x00" not in t) | _INTS,
    "hidden": st.booleans(),  # NOT NULL
    "eol_at": st.none() | STORED_TIMESTAMPS,
    "j1": st.none() | STORED_VALUES,
    "j2": st.none() | STORED_VALUES,
}


@st.composite
def _metadata(draw: st.DrawFn, *, min_size: int) -> Metadata:
    names = draw(st.lists(st.sampled_from(sorted(_VALUES)), min_size=min_size, unique=True))
    return {name: draw(_VALUES[name]) for name in names}


@pytest.fixture(scope="module")
def dispatcher(make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    store = Store(make_catalogue_url("postgresql"))
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": ["DID_COLUMN", "JSON"]}), store)
    dispatcher.start()
    yield dispatcher
    dispatcher.close()


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _new_dids(dispatcher: Dispatcher, names: list[str], metadata: Metadata) -> list[DidKey]:
    scope = f"one{next(_scopes)}"
    dispatcher.add_scope(scope, "root")
    stored: Metadata = {k: v for k, v in metadata.items() if v is not None}
    keys = [DidKey(scope, name) for name in names]
    dispatcher.add_dids([NewDid(NewDidSpec(key, DidType.DATASET, "root"), stored) for key in keys])
    return keys


def _history(dispatcher: Dispatcher, key: DidKey) -> list[tuple[Any, ...]]:
    with dispatcher.store.read() as conn:
        sql = (
            "SELECT key, action, old_value, new_value, account FROM history "
            "WHERE scope = %s AND name = %s AND action = 'set' ORDER BY id"
        )
        return [tuple(row) for row in conn.exec_driver_sql(sql, (key.scope, key.name))]


def _row(dispatcher: Dispatcher, key: DidKey) -> tuple[Any, ...]:
    columns = ", ".join(sorted(PLAIN_COLUMNS))
    with dispatcher.store.read() as conn:
        sql = f"SELECT {columns}, meta::text FROM dids WHERE scope = %s AND name = %s"
        row = conn.exec_driver_sql(sql, (key.scope, key.name)).one()
        return tuple(row)


class _Statements:
    """Counts the statements the event loop's connections send (the real Session's methods, wrapped)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[str] = []
        for method in ("fetchone", "execute"):
            original = getattr(Session, method)

            async def counted(session: Session, sql: str, params: Any = (), _original: Any = original) -> Any:
                self.sent.append(sql)
                return await _original(session, sql, params)

            monkeypatch.setattr(Session, method, counted)


@settings(
    max_examples=EXAMPLES * 4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(old=_metadata(min_size=0), new=_metadata(min_size=1))
@example(old={"run_number": 1, "j1": "a"}, new={"run_number": 2, "j1": "b"})  # the one statement
@example(old={"j1": 0.0, "campaign": "x"}, new={"j1": -0.0, "campaign": 7})  # -0.0 arrives as 0.0
@example(old={"j1": "é", "hidden": True}, new={"j1": "e", "hidden": False})  # non-ASCII old: optimistic
@example(old={"j1": {"a": [1.5]}}, new={"j1": None, "j2": 1e16})  # an object: optimistic
@example(old={"j1": 1, "j2": True}, new={"j1": 1.0, "j2": 1})  # same value, other type: recorded
@example(old={"campaign": "5", "j1": 'q"\\'}, new={"campaign": 5, "j1": 'q"\\'})  # equal text: not recorded
@example(  # timestamps in a column and in JSON: the one statement; the same instant is not a change
    old={"eol_at": datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "j1": datetime(2020, 1, 2, tzinfo=UTC)},
    new={
        "eol_at": datetime(9999, 12, 31, tzinfo=UTC),
        "j1": datetime(2020, 1, 2, 1, tzinfo=timezone(timedelta(hours=1))),
    },
)
def test_the_loops_write_records_what_the_locking_write_records(
    dispatcher: Dispatcher, loop: asyncio.AbstractEventLoop, old: Metadata, new: Metadata
) -> None:
    by_loop, by_thread = _new_dids(dispatcher, ["loop", "thread"], old)
    dispatcher.keys.all()  # fresh declarations: the loop does not read them itself
    assert loop.run_until_complete(dispatcher.set_metadata_async(by_loop, new, "metadata")) == 1
    dispatcher.set_metadata([(by_thread, new)], fields=["metadata"])
    assert _history(dispatcher, by_loop) == _history(dispatcher, by_thread)
    assert _row(dispatcher, by_loop) == _row(dispatcher, by_thread)


def test_plain_values_are_written_in_one_round_trip(
    dispatcher: Dispatcher, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Column and JSON keys of plain old values: one statement, its records and values those of the call."""
    stamp = datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    [key] = _new_dids(dispatcher, ["d"], {"run_number": 1, "campaign": "mc", "j1": 2.5, "eol_at": stamp, "j3": stamp})
    statements = _Statements(monkeypatch)
    dispatcher.keys.all()
    later = datetime(2021, 1, 1, tzinfo=UTC)
    new: Metadata = {
        "run_number": 2,
        "campaign": "data",
        "j1": 2.5,
        "j2": "new",
        "hidden": True,
        "eol_at": later,
        "j3": later,
    }
    assert loop.run_until_complete(dispatcher.set_metadata_async(key, new, "metadata")) == 1
    assert len(statements.sent) == 1 and statements.sent[0].startswith("WITH old AS")
    old_stamp, new_stamp = '{"$ts":"2020-01-02T03:04:05.000006Z"}', '{"$ts":"2021-01-01T00:00:00.000000Z"}'
    assert [row[:4] for row in _history(dispatcher, key)] == [
        ("campaign", "set", '"mc"', '"data"'),
        ("eol_at", "set", old_stamp, new_stamp),
        ("hidden", "set", "false", "true"),
        ("j2", "set", None, '"new"'),
        ("j3", "set", old_stamp, new_stamp),
        ("run_number", "set", "1", "2"),
    ]
    got = dispatcher.get_metadata(key, "ALL")
    assert {name: got[name] for name in new} == new


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"j1": {"a": 1}}, {"j1": 2}),  # an object: PostgreSQL's text is not the service's
        ({"campaign": "ünï"}, {"campaign": "x"}),  # non-ASCII text: escaped by the service, not by PostgreSQL
        ({"j1": [1, "a"]}, {"j1": 2}),  # a list
    ],
)
def test_an_old_value_postgresql_cannot_render_takes_the_versioned_update_without_a_second_read(
    dispatcher: Dispatcher,
    loop: asyncio.AbstractEventLoop,
    monkeypatch: pytest.MonkeyPatch,
    old: Metadata,
    new: Metadata,
) -> None:
    """The one statement changes nothing and hands back the row with its version; the versioned update
    carries on from it: two statements, the record the thread path writes."""
    by_loop, by_thread = _new_dids(dispatcher, ["loop", "thread"], old)
    statements = _Statements(monkeypatch)
    dispatcher.keys.all()
    assert loop.run_until_complete(dispatcher.set_metadata_async(by_loop, new, "metadata")) == 1
    assert len(statements.sent) == 2 and statements.sent[0].startswith("WITH old AS")
    dispatcher.set_metadata([(by_thread, new)], fields=["metadata"])
    assert len(_history(dispatcher, by_loop)) == 1
    assert _history(dispatcher, by_loop) == _history(dispatcher, by_thread)


def test_a_missing_did_and_an_embargoed_one_are_not_found_and_nothing_is_written(
    dispatcher: Dispatcher, loop: asyncio.AbstractEventLoop
) -> None:
    """The one statement finds no row for a missing DID, nor for one an embargo hides from the caller; the
    versioned read then tells NOT_FOUND, as for every path. The DID's owner, and an admin, write it."""
    [key] = _new_dids(dispatcher, ["sealed"], {"run_number": 1})
    dispatcher.set_embargo(key, datetime(2100, 1, 1), recursive=False, account="root")
    dispatcher.keys.all()
    for did, account in ((DidKey(key.scope, "missing"), "root"), (key, "mallory")):
        token = current_identity.set(Identity(account=account, is_admin=False))
        try:
            with pytest.raises(NotFound):
                loop.run_until_complete(dispatcher.set_metadata_async(did, {"run_number": 9}, "metadata"))
        finally:
            current_identity.reset(token)
    assert _history(dispatcher, key) == [] and dispatcher.get_metadata(key)["run_number"] == 1
    token = current_identity.set(Identity(account="root", is_admin=True))
    try:
        assert loop.run_until_complete(dispatcher.set_metadata_async(key, {"run_number": 9}, "metadata")) == 1
    finally:
        current_identity.reset(token)
    assert [row[:4] for row in _history(dispatcher, key)] == [("run_number", "set", "1", "9")]
    assert _history(dispatcher, key)[0][4] == "root"


@pytest.mark.parametrize("collation", ["C", "und-x-icu", "en-US-x-icu"])
def test_the_printable_ascii_check_goes_by_character_code_whatever_the_collation(
    dispatcher: Dispatcher, collation: str
) -> None:
    """The one statement trusts PostgreSQL's text of a string only in printable ASCII, which it checks with a
    bracket range. PostgreSQL's regular expressions take a range by character code, not by the collation's
    order (in which ICU sorts `é` between `e` and `f`, and punctuation apart from letters)."""
    texts = ["abc", "é", "a~b", "\x7f", "tab\t", "Ω", "Z[\\]^_`", " !", "\x1f", "\u00a0", "~~\u0080"]
    with dispatcher.store.read() as conn:
        sql = f'SELECT x, x COLLATE "{collation}" ~ {PRINTABLE_ASCII} FROM unnest(CAST(%s AS text[])) AS x'
        checked = {str(text): bool(inside) for text, inside in conn.exec_driver_sql(sql, (texts,))}
    assert checked == {text: all(" " <= c <= "~" for c in text) for text in texts}
