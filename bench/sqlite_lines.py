"""SQLite's columnar Arrow fetch, in process: a listing's rows as CSV lines against row tuples, and its JSON keys
as one `->` each against the three JSON functions per key they took before.

`python -m bench.sqlite_lines --files 200000 --repeat 5 --out bench/results/sqlite-lines.json`

On a SQLite catalogue of `--files` files, each with four JSON keys (an int, a double, a string, a
timestamp), the whole scope's Arrow listing statement (query/arrow_sql.py, with and without the four keys)
is fetched two ways, alternating per repetition:

- `lines`: what the server does (query/sqlite_columns.py): each row one CSV line written by SQLite's
  `printf`, parsed into typed columns by pyarrow's CSV reader, 5,000 lines per batch;
- `rows`: the same statement's rows through sqlite3's `fetchmany(5000)` and one `pyarrow.array` per
  column (the server's way before).

And SQLite alone evaluates the four keys' extraction over every row (`max()` of each column, so that every
expression is computed and nothing is sent to Python) two ways: `arrow` (`meta -> '$."key"'`, what the
statement selects) and `three_functions` (`json_type`, then `json_extract` or `->` in a `CASE` on a second
`json_type`: the extraction before). It prints the median seconds of each way, rows/s and the ratios; the
two fetches must return the same number of rows.
"""

from __future__ import annotations

import argparse
import functools
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from bench.cli import add_output_arguments, scratch_directory
from bench.report import finish_document, standalone_document
from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query import sqlite_columns
from didmeta.server.query.arrow_sql import compile_inline
from didmeta.server.query.meta_sql import listing_statement, meta_columns
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.values import Metadata

SCOPE = "data"
KEYS = ["nevents", "energy", "fmt", "taken"]
FORMS = ("short", "+4 keys")
_CHUNK = 5000
_T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _metadata(i: int) -> Metadata:
    meta: Metadata = {"nevents": i * 7, "fmt": ("RAW", "AOD", "DAOD")[i % 3]}
    if i % 10:
        meta["energy"] = 6500.0 + i / 8
    if i % 20:
        meta["taken"] = _T0 + timedelta(seconds=i)
    return meta


def build(path: str, files: int) -> Dispatcher:
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), Store(f"sqlite:///{path}"))
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    for first in range(0, files, _CHUNK):
        dispatcher.add_dids(
            [
                NewDid(NewDidSpec(DidKey(SCOPE, f"f{i:09d}"), DidType.FILE, "root", bytes=i), _metadata(i))
                for i in range(first, min(files, first + _CHUNK))
            ]
        )
    return dispatcher


def statements(dispatcher: Dispatcher, keys: list[str]) -> tuple[str, sqlite_columns.LineQuery]:
    """(the listing's SQL, its line query) for the whole scope with `keys` as columns."""
    query = ListQuery(SCOPE, parse_filter(""), TYPE_SELECTORS["all"])
    page = dispatcher.planner.select_page(query, long=True, after=None, limit=None, wide=True)
    statement = listing_statement(page, "sqlite", meta_columns(dispatcher, keys))
    lines, names, integers = sqlite_columns.line_statement(statement)
    return compile_inline(statement, "sqlite"), sqlite_columns.LineQuery(
        compile_inline(lines, "sqlite"), names, integers
    )


def fetch_lines(path: str, query: sqlite_columns.LineQuery) -> int:
    connection = sqlite_columns.connect(path)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            reader = cursor.fetch_record_batch()
            rows = 0
            while True:
                try:
                    rows += reader.read_next_batch().num_rows
                except StopIteration:
                    return rows
    finally:
        connection.close()


def fetch_rows(path: str, sql: str) -> int:
    connection = sqlite3.connect(path)
    try:
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description]
        rows = 0
        while batch := cursor.fetchmany(_CHUNK):
            columns = [pa.array(column) for column in zip(*batch, strict=True)]
            rows += pa.RecordBatch.from_arrays(columns, names=names).num_rows
        return rows
    finally:
        connection.close()


def extraction_sql(way: str) -> str:
    """SQL that makes SQLite evaluate the four keys' columns over every row of the scope."""
    columns = []
    for key in KEYS:
        path = f"'$.\"{key}\"'"
        if way == "arrow":
            columns.append(f"max(meta -> {path})")
        else:
            kind = f"json_type(meta, {path})"
            value = f"CASE WHEN {kind} = 'text' THEN json_extract(meta, {path}) ELSE meta -> {path} END"
            columns += [f"max(COALESCE({kind}, ''))", f"max(COALESCE({value}, ''))"]
    return f"SELECT {', '.join(columns)} FROM dids WHERE scope = '{SCOPE}'"


def run_sql(path: str, sql: str) -> int:
    connection = sqlite3.connect(path)
    try:
        connection.execute(sql).fetchall()
        return 0
    finally:
        connection.close()


def measure(path: str, dispatcher: Dispatcher, files: int, repeat: int) -> dict[str, Any]:
    ways: dict[str, Callable[[], int]] = {}
    for form, keys in (("short", []), ("+4 keys", KEYS)):
        sql, lines = statements(dispatcher, keys)
        ways[f"{form} lines"] = functools.partial(fetch_lines, path, lines)
        ways[f"{form} rows"] = functools.partial(fetch_rows, path, sql)
    for way in ("arrow", "three_functions"):
        ways[f"json sql {way}"] = functools.partial(run_sql, path, extraction_sql(way))
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for fetch in ways.values():  # warm-up: the file in the page cache
        fetch()
    for _ in range(repeat):
        for name, fetch in ways.items():
            began = time.perf_counter()
            rows = fetch()
            seconds[name].append(time.perf_counter() - began)
            if not name.startswith("json") and rows != files:
                raise SystemExit(f"{name}: {rows} rows, expected {files}")
    median = {name: statistics.median(values) for name, values in seconds.items()}
    return {
        "seconds_per_repetition": seconds,
        "median_s": median,
        "rows_per_s": {name: files / value for name, value in median.items()},
        "ratio_rows_to_lines": {
            form: median[f"{form} rows"] / median[f"{form} lines"] for form in ("short", "+4 keys")
        },
        "ratio_three_functions_to_arrow": median["json sql three_functions"] / median["json sql arrow"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000, help="files in the catalogue")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (the ways alternate)")
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    document = standalone_document("sqlite_lines", files=args.files)
    document["machine"]["sqlite"] = sqlite3.sqlite_version
    with scratch_directory(args.workdir, "didmeta-sqlite-lines-") as scratch:
        path = f"{scratch}/catalogue.db"
        dispatcher = build(path, args.files)
        try:
            result = measure(path, dispatcher, args.files, args.repeat)
        finally:
            dispatcher.close()
    document["result"] = result
    for name, value in result["median_s"].items():
        rate = "" if name.startswith("json") else f"   {result['rows_per_s'][name] / 1e3:9,.0f}k rows/s"
        print(f"{name:28} median {value:7.3f} s{rate}")
    for form, ratio in result["ratio_rows_to_lines"].items():
        print(f"{form}: rows / lines {ratio:.2f}x")
    print(f"json sql: three functions / arrow {result['ratio_three_functions_to_arrow']:.2f}x")
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
