"""Arrow listings on SQLite: the few ADBC calls query/arrow_sql.py makes, over the process's own SQLite.

adbc-driver-sqlite links a second copy of SQLite, and two copies in one process break each other's POSIX
file locks (closing a file in one drops the other's locks; writes after an ADBC read failed with "disk
I/O error"). This module gives `ConnectionPool` and `ColumnStream` the same calls (`connect`, `cursor`,
`execute`, `fetchall`, `fetch_record_batch`, `read_next_batch`, `adbc_cancel`, `close`) on Python's
`sqlite3`, the library the catalogue's own connections use. Cancelling interrupts the running statement
(`Connection.interrupt`).

Python's sqlite3 makes a tuple per row and an object per value, which was most of a listing's time. So
the listing's statement selects one text per row instead (`line_statement`): SQLite's `printf` writes the
row's values as a CSV line (text with `%Q`: quoted, quotes doubled, NULL bare; integers with `%s`: NULL
empty), and pyarrow's CSV reader parses the `BATCH_ROWS` lines of a record batch into typed columns in
C++. Text never holds NUL (values.py refuses it), and quoted text may hold commas and line breaks.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Boolean, ColumnElement, Integer, Select, func, literal_column

#: Rows per record batch: the default cap on a message's DIDs (as the ADBC SQLite driver was set to).
BATCH_ROWS = 5000
#: How long a listing waits for a writer's lock, as didmeta's own connections do (store/engine.py).
BUSY_TIMEOUT_MS = 30000

#: Values per `printf` call (SQLite 3.40 takes at most 127 arguments per function); a wider row is the
#: `||` of several calls' lines.
_PRINTF_VALUES = 100
_PARSE = pa_csv.ParseOptions(quote_char="'", double_quote=True, newlines_in_values=True)


@dataclass(frozen=True)
class LineQuery:
    """A listing's statement as CSV lines (`sql`, with its values inlined) and the columns of those lines."""

    sql: str
    names: tuple[str, ...]
    integers: tuple[bool, ...]  # per column: an integer (or boolean) column, else text

    def convert_options(self) -> pa_csv.ConvertOptions:
        pairs = zip(self.names, self.integers, strict=True)
        types = {name: pa.int64() if integer else pa.string() for name, integer in pairs}
        return pa_csv.ConvertOptions(
            column_types=types,
            null_values=["NULL", ""],  # text: a bare NULL (a quoted 'NULL' is text); integers: empty
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )


def line_statement(statement: Select[Any]) -> tuple[Select[Any], tuple[str, ...], tuple[bool, ...]]:
    """`statement` with its columns replaced by one: each row's values as a CSV line (module doc).

    The same FROM, WHERE, ORDER BY and LIMIT; (names, integer flags) of the columns it had."""
    columns = list(statement.selected_columns)
    names = tuple(column.key or f"c{position}" for position, column in enumerate(columns))
    integers = tuple(isinstance(column.type, (Integer, Boolean)) for column in columns)
    parts: list[ColumnElement[str]] = []
    for first in range(0, len(columns), _PRINTF_VALUES):
        template = ",".join("%s" if integer else "%Q" for integer in integers[first : first + _PRINTF_VALUES])
        parts.append(func.printf(literal_column(f"'{template}'"), *columns[first : first + _PRINTF_VALUES]))
    line = parts[0]
    for part in parts[1:]:
        line = line.concat(literal_column("','")).concat(part)
    return statement.with_only_columns(line), names, integers


class Reader:
    """The record batches of one executed line query."""

    def __init__(self, cursor: sqlite3.Cursor, query: LineQuery) -> None:
        self._cursor: sqlite3.Cursor | None = cursor
        self._names = list(query.names)
        self._convert = query.convert_options()

    def read_next_batch(self) -> pa.RecordBatch:
        """The next `BATCH_ROWS` rows as columns; StopIteration at the end."""
        rows = self._cursor.fetchmany(BATCH_ROWS) if self._cursor is not None else []
        if not rows:
            raise StopIteration
        text = "\n".join([line for (line,) in rows]).encode()
        read = pa_csv.ReadOptions(column_names=self._names, use_threads=False, block_size=len(text) + 1)
        table = pa_csv.read_csv(
            pa.py_buffer(text), read_options=read, parse_options=_PARSE, convert_options=self._convert
        )
        return table.combine_chunks().to_batches()[0]

    def close(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            cursor.close()


class Cursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._cursor = connection.cursor()
        self._query: LineQuery | None = None

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def execute(self, query: str | LineQuery) -> None:
        """Run a statement: a `LineQuery` for `fetch_record_batch`, SQL text for `fetchall`."""
        self._query = query if isinstance(query, LineQuery) else None
        self._cursor.execute(query.sql if isinstance(query, LineQuery) else query)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetch_record_batch(self) -> Reader:
        if self._query is None:
            raise TypeError("record batches come from a LineQuery")
        return Reader(self._cursor, self._query)

    def adbc_cancel(self) -> None:
        """Interrupt the running statement (any thread): the reader's next fetch fails."""
        self._connection.interrupt()

    def close(self) -> None:
        self._cursor.close()


class Connection:
    """A read-only connection to the catalogue file, usable from any thread (one at a time)."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._connection.execute("PRAGMA query_only=1")

    def cursor(self) -> Cursor:
        return Cursor(self._connection)

    def close(self) -> None:
        self._connection.close()


def connect(path: str, autocommit: bool = True) -> Connection:
    """A connection to the SQLite file at `path` (statements run in autocommit: each read sees the latest
    committed data)."""
    return Connection(path)
