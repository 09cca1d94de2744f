"""ARROW batches fetched as columns (metadata extracted in SQL) equal the batches built from rows.

On PostgreSQL (ADBC) and on SQLite (the process's own sqlite3, query/sqlite_columns.py) the columnar path
is taken for pure-SQL listings, and every column, type and JSON-fallback marker equals the row path's
(query/arrow.py `record_batch`, which the conformance suite checks against GetMetadata), for keys of
every kind: optimised DID columns, JSON ints, doubles, strings with escapes (and text a CSV line must keep
apart: quotes, commas, line breaks, the text NULL, empty strings), booleans, timestamps, lists, objects,
mixed types and absent keys.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query import arrow, tokens
from didmeta.server.query.arrow_metadata import metadata_columns
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.values import Metadata

T = datetime(2024, 6, 15, 12, 30, 45, 123456, tzinfo=UTC)
KEYS = ["run_number", "project", "i", "d", "s", "w", "b", "t", "l", "mix", "obj", "absent", "bytes"]
# Text that a CSV line (SQLite's columnar path) must keep apart: quotes, commas, line breaks, NULL, empty.
AWKWARD = ["it's, a\nline\r", "NULL", "", "'quoted'", "plain"]


def _metadata(n: int) -> Metadata:
    meta: Metadata = {"i": n, "d": n + 0.25 if n % 2 else n, "s": f'q"\\é{n}', "b": n % 3 == 0, "t": T}
    if n % 4:
        meta["run_number"] = 1000 + n
        meta["project"] = "NULL" if n == 5 else f"p{n % 3}"
    meta["w"] = AWKWARD[n % len(AWKWARD)]
    meta["l"] = [n, n + 1] if n % 5 else []
    meta["mix"] = n if n % 2 else f"{n}"
    if n == 7:
        meta["obj"] = {"inner": [1, "x"]}
    return meta


def _dispatcher(url: str) -> Generator[Dispatcher, None, None]:
    store = Store(url)
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": ["DID_COLUMN", "JSON"]}), store)
    dispatcher.start()
    try:
        dispatcher.add_scope("col", "root")
        dispatcher.add_dids(
            [
                NewDid(
                    NewDidSpec(DidKey("col", f"f{n:03d}"), DidType.FILE, "root", bytes=n, events=n or None),
                    _metadata(n),
                )
                for n in range(40)
            ]
        )
        yield dispatcher
    finally:
        dispatcher.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def dispatcher(request: pytest.FixtureRequest, make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    yield from _dispatcher(make_catalogue_url(request.param))


@pytest.fixture()
def sqlite_dispatcher(make_catalogue_url: Callable[[str], str]) -> Iterator[Dispatcher]:
    yield from _dispatcher(make_catalogue_url("sqlite"))


def _query(expression: str = "", **options: Any) -> ListQuery:
    return ListQuery("col", parse_filter(expression), TYPE_SELECTORS["all"], **options)


def _row_batches(dispatcher: Dispatcher, query: ListQuery, size: int, keys: list[str]) -> list[pa.RecordBatch]:
    stream = dispatcher.open_listing(query, long=True, after=None, limit=None, wide=True)
    try:
        lookup = functools.partial(metadata_columns, dispatcher)
        out = []
        while rows := stream.fetch(size):
            out.append(arrow.record_batch(rows, keys, lookup))
        return out
    finally:
        stream.close()


def _columnar_batches(dispatcher: Dispatcher, query: ListQuery, size: int, keys: list[str]) -> list[pa.RecordBatch]:
    source = arrow.ArrowSource(dispatcher, query, after=None, limit=None, metadata_keys=keys)
    try:
        assert source.columnar is not None, "a pure-SQL listing is fetched as columns"
        out = []
        while (batch := source.next_batch(size)) is not None:
            out.append(batch)
        return out
    finally:
        source.close()


@pytest.mark.parametrize("size", [40, 7, 2])
@pytest.mark.parametrize("expression", ["", "i>=10,s!=x", "run_number>1010;mix=3"])
def test_columnar_batches_equal_row_batches(dispatcher: Dispatcher, size: int, expression: str) -> None:
    query = _query(expression)
    expected = _row_batches(dispatcher, query, size, KEYS)
    got = _columnar_batches(dispatcher, query, size, KEYS)
    assert expected, "the filter matches some DIDs"
    assert [b.num_rows for b in got] == [b.num_rows for b in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.schema == theirs.schema
        assert mine.schema.metadata == theirs.schema.metadata
        for i, field in enumerate(theirs.schema):
            assert mine.schema.field(i).metadata == field.metadata, field.name
        assert [c.to_pylist() for c in mine.columns] == [c.to_pylist() for c in theirs.columns]


def test_a_listing_of_many_keys_equals_the_row_batches(dispatcher: Dispatcher) -> None:
    """More columns than one SQLite `printf` call takes (sqlite_columns.py): the same batches as the rows."""
    keys = KEYS + [f"unset{n}" for n in range(120)]
    expected = _row_batches(dispatcher, _query(), 40, keys)
    got = _columnar_batches(dispatcher, _query(), 40, keys)
    assert len(got[0].schema) == 7 + len(keys)
    assert [c.to_pylist() for b in got for c in b.columns] == [c.to_pylist() for b in expected for c in b.columns]


def test_key_types_in_one_batch(dispatcher: Dispatcher) -> None:
    (batch,) = _columnar_batches(dispatcher, _query(), 100, KEYS)
    types = {name: batch.schema.field(name).type for name in KEYS if name != "bytes"}
    assert types["run_number"] == pa.int64() and types["project"] == pa.string()
    assert types["i"] == pa.int64() and types["d"] == pa.float64() and types["b"] == pa.bool_()
    assert types["t"] == pa.timestamp("us", tz="UTC") and types["absent"] == pa.null()
    assert types["l"] == pa.list_(pa.int64()) and types["mix"] == pa.string()
    assert batch.schema.field("mix").metadata == arrow.JSON_FALLBACK
    assert batch.column("s").to_pylist()[3] == 'q"\\é3'
    assert batch.column("t").to_pylist()[0] == T
    assert batch.column("project").to_pylist()[:2] == [None, "p1"]
    assert batch.column("project").to_pylist()[5] == "NULL" and batch.column("w").to_pylist()[:5] == AWKWARD


def test_limit_resume_key_and_bytes_cap(dispatcher: Dispatcher) -> None:
    """Messages capped by bytes keep the rest for the next message; `after` and `limit` are the SQL's."""
    query = _query()
    source = arrow.ArrowSource(dispatcher, query, after=DidKey("col", "f004"), limit=20, metadata_keys=["s"])

    class Listing:
        fingerprint = b"x" * 16
        delivered = 0
        metadata_keys = ["s"]

    listing = Listing()
    names: list[str] = []
    try:
        while (response := arrow.build_response(source, listing, 15, 1500)) is not None:
            table = pa.ipc.open_stream(response.batch.arrow_ipc).read_all()
            assert table.num_rows < 15, "the bytes cap split the 15-DID batch"
            names.extend(table.column("name").to_pylist())
            assert tokens.decode(response.next_page_token, listing.fingerprint)[1] == DidKey("col", names[-1])
    finally:
        source.close()
    assert names == [f"f{n:03d}" for n in range(5, 25)]


def test_cancel_stops_the_stream(dispatcher: Dispatcher) -> None:
    source = arrow.ArrowSource(dispatcher, _query(), after=None, limit=None, metadata_keys=[])
    try:
        assert source.next_batch(3) is not None
        source.cancel()
        with pytest.raises(Exception, match="cancelled"):
            source.next_batch(3)
    finally:
        source.close()


def test_sqlite_columnar_listings_leave_writes_working(sqlite_dispatcher: Dispatcher) -> None:
    """adbc-driver-sqlite's own SQLite copy broke the process's file locks ("disk I/O error" on the next
    write); the columnar path reads through the process's own sqlite3, and writes during and after a
    listing work."""
    source = arrow.ArrowSource(sqlite_dispatcher, _query("i>=10"), after=None, limit=None, metadata_keys=["i", "s"])
    try:
        assert source.columnar is not None
        first = source.next_batch(10)
        assert first is not None and first.num_rows == 10
        sqlite_dispatcher.set_metadata([(DidKey("col", "f002"), {"s": "during"})])  # a write mid-listing
        rest = source.next_batch(100)
        assert rest is not None and rest.num_rows == 20
    finally:
        source.close()
    sqlite_dispatcher.set_metadata([(DidKey("col", "f001"), {"s": "after"})])
    sqlite_dispatcher.add_scope("col2", "root")
    assert sqlite_dispatcher.get_metadata(DidKey("col", "f001"), "JSON")["s"] == "after"
    assert sqlite_dispatcher.get_metadata(DidKey("col", "f002"), "JSON")["s"] == "during"


def test_in_memory_sqlite_listings_take_the_row_path() -> None:
    """An in-memory catalogue is seen by the store's own connection only: its Arrow listings use rows."""
    catalogue = _dispatcher("sqlite://")
    memory = next(catalogue)
    try:
        source = arrow.ArrowSource(memory, _query("i>=10"), after=None, limit=None, metadata_keys=["i"])
        try:
            assert source.columnar is None
            batch = source.next_batch(100)
            assert batch is not None and batch.num_rows == 30
            assert batch.column("i").to_pylist() == list(range(10, 40))
        finally:
            source.close()
    finally:
        catalogue.close()
