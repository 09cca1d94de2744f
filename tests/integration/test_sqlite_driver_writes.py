"""`Store.driver_write_nowait`: the event loop's SQLite write transaction, begun and committed on the driver.

The loop's SetMetadata (server/point.py `write_on_loop`) runs its statements on the sqlite3 connection and
its transaction there too. These tests hold it to its promises on a real SQLite file: nothing
begun when this process or another one writes, the block's failure rolled back, and a failed COMMIT rolled
back with its error raised and the process's write lock given back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from didmeta.server.store.engine import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path}/catalogue.db")
    try:
        yield store
    finally:
        store.dispose()


def driver_of(store: Store) -> sqlite3.Connection:
    connection = store.engine.raw_connection()
    driver = connection.dbapi_connection
    assert isinstance(driver, sqlite3.Connection)
    driver.execute("PRAGMA busy_timeout=0")  # as the loop's writer: never wait for the lock
    driver.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)")
    return driver


def notes(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as reader:
        return reader.execute("SELECT id, text FROM notes ORDER BY id").fetchall()


def test_a_driver_write_commits(store: Store, tmp_path: Path) -> None:
    driver = driver_of(store)
    with store.driver_write_nowait(driver) as started:
        assert started
        driver.execute("INSERT INTO notes VALUES (1, 'one')")
    assert not driver.in_transaction
    assert notes(tmp_path / "catalogue.db") == [(1, "one")]  # another connection sees it: committed


def test_a_failing_block_is_rolled_back(store: Store, tmp_path: Path) -> None:
    driver = driver_of(store)
    with pytest.raises(RuntimeError, match="the work failed"), store.driver_write_nowait(driver) as started:
        assert started
        driver.execute("INSERT INTO notes VALUES (1, 'one')")
        raise RuntimeError("the work failed")
    assert not driver.in_transaction
    assert notes(tmp_path / "catalogue.db") == []
    with store.driver_write_nowait(driver) as started:  # the write lock was given back
        assert started


def test_nothing_begins_while_this_process_or_another_writes(store: Store, tmp_path: Path) -> None:
    driver = driver_of(store)
    lock = store.sqlite_write_lock
    assert lock is not None
    with lock, store.driver_write_nowait(driver) as started:  # a worker thread of this process holds the lock
        assert not started
        assert not driver.in_transaction
    other = sqlite3.connect(tmp_path / "catalogue.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the database's write lock
    try:
        with store.driver_write_nowait(driver) as started:
            assert not started
            assert not driver.in_transaction
        assert not lock.locked()  # refused by SQLite: the process's lock given back at once
    finally:
        other.execute("ROLLBACK")
        other.close()
    with store.driver_write_nowait(driver) as started:
        assert started
        driver.execute("INSERT INTO notes VALUES (2, 'two')")
    assert notes(tmp_path / "catalogue.db") == [(2, "two")]


def test_a_failed_commit_is_rolled_back_and_raised(store: Store, tmp_path: Path) -> None:
    """A deferred foreign key violated at COMMIT: SQLite refuses the commit and leaves the transaction open;
    the block rolls it back, raises the driver's error and gives the write lock back."""
    driver = driver_of(store)
    driver.execute("PRAGMA foreign_keys=ON")
    driver.execute("CREATE TEMP TABLE parents (id INTEGER PRIMARY KEY)")
    driver.execute("CREATE TEMP TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), store.driver_write_nowait(driver) as started:
        assert started
        driver.execute("INSERT INTO notes VALUES (3, 'three')")
        driver.execute("INSERT INTO children VALUES (42)")  # no parent 42: refused at COMMIT
    assert not driver.in_transaction
    assert notes(tmp_path / "catalogue.db") == []  # the note went with the rest
    lock = store.sqlite_write_lock
    assert lock is not None and not lock.locked()
