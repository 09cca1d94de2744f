"""QueryStream (query/stream.py): rows of one query, batch by batch, on SQLite and PostgreSQL.

On PostgreSQL the stream reads the server-side cursor itself after its first fetch, when no column of the
result needs SQLAlchemy's conversion: SQLAlchemy has buffered the cursor's first row by then, so the switch
must neither lose nor repeat a row. A result with a converted column stays on SQLAlchemy's result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Float, Numeric, cast, select

from didmeta.identifiers import DidKey, DidType
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query.stream import QueryStream
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import dids

COUNT = 40


@pytest.fixture(scope="module")
def store(catalogue_kind: str, make_catalogue_url: Callable[[str], str]) -> Iterator[Store]:
    catalogue = Store(make_catalogue_url(catalogue_kind))
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": ["DID_COLUMN", "JSON"]}), catalogue)
    dispatcher.start()
    try:
        dispatcher.add_scope("qs", "root")
        dispatcher.add_dids(
            [NewDid(NewDidSpec(DidKey("qs", f"f{n:03d}"), DidType.FILE, "root", bytes=n), {}) for n in range(COUNT)]
        )
        yield catalogue
    finally:
        dispatcher.close()


def _all(store: Store, statement: Any) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        return [tuple(row) for row in conn.execute(statement)]


def _fetched(stream: QueryStream, first: int, size: int) -> list[tuple[Any, ...]]:
    rows = [tuple(row) for row in stream.fetch(first)]
    while batch := stream.fetch(size):
        rows.extend(tuple(row) for row in batch)
    return rows


@pytest.mark.parametrize("first", [1, 7, COUNT + 10])
def test_every_row_once_in_order_across_the_first_fetch(store: Store, first: int) -> None:
    statement = select(dids.c.scope, dids.c.name, dids.c.bytes).where(dids.c.scope == "qs").order_by(dids.c.name)
    stream = QueryStream(store, statement)
    try:
        assert _fetched(stream, first, 6) == _all(store, statement)
        if store.dialect == "postgresql":
            assert stream._fetchmany == stream._read_cursor, "PostgreSQL rows no longer read from the cursor"
    finally:
        stream.close()
    assert len(_all(store, statement)) == COUNT


@pytest.mark.parametrize("first", [1, 2, 100])
def test_a_result_of_one_row(store: Store, first: int) -> None:
    """SQLAlchemy buffers the one row, and closes the cursor when its first fetch finds nothing more: the
    stream must then end, not read a cursor that is gone (first fetches larger than one)."""
    statement = select(dids.c.scope, dids.c.name).where(dids.c.scope == "qs", dids.c.name == "f003")
    stream = QueryStream(store, statement)
    try:
        assert _fetched(stream, first, 5) == [("qs", "f003")]
        assert stream.fetch(5) == []
    finally:
        stream.close()


def test_a_converted_column_stays_on_sqlalchemys_result(store: Store) -> None:
    # Numeric(asdecimal=False) converts PostgreSQL's Decimal to float: a processor the raw rows would miss.
    value = cast(cast(dids.c.bytes, Float), Numeric(asdecimal=False))
    statement = select(dids.c.name, value).where(dids.c.scope == "qs").order_by(dids.c.name)
    stream = QueryStream(store, statement)
    try:
        rows = _fetched(stream, 3, 5)
    finally:
        stream.close()
    assert [name for name, _ in rows] == [f"f{n:03d}" for n in range(COUNT)]
    assert all(isinstance(v, float) and not isinstance(v, Decimal) for _, v in rows), rows[:3]
    assert [v for _, v in rows] == [float(n) for n in range(COUNT)]
