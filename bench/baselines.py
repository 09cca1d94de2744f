"""Baselines measured in the same run: what plain Python + the database driver do without didmeta.

* load: the same DID and attachment rows into the same schema (created by didmeta's own
  migrations, so tables and indexes are identical) with `executemany` (SQLite) or `COPY`
  (PostgreSQL, psycopg 3), one transaction per chunk, as LoadDids commits per chunk. Collection
  sizes are computed in Python beforehand (didmeta recomputes them in SQL on attach).
* list: the same rows as a ListDids call, fetched with sqlite3 / a psycopg server-side cursor.
* filters: a hand-written SQL query per filter, as a DBA would write it for this schema.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.data import ACCOUNT, Did, collection_sizes
from bench.procs import libpq_url

FETCH = 1000
DID_COLUMNS = (
    "scope",
    "name",
    "did_type",
    "account",
    "bytes",
    "length",
    "adler32",
    "is_open",
    "suppressed",
    "hidden",
    "created_at",
    "updated_at",
    "run_number",
    "datatype",
    "campaign",
    "panda_id",
    "meta",
)
CONTENT_COLUMNS = ("scope", "name", "child_scope", "child_name", "child_type")


def _json_form(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$ts": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    if isinstance(value, list):
        return [_json_form(v) for v in value]
    return value


class RowBuilder:
    """Rows of the `dids` and `contents` tables for generated DIDs."""

    def __init__(
        self, dids: Sequence[Did], sqlite: bool, sizes: dict[tuple[str, str], tuple[int, int]] | None = None
    ) -> None:
        self.sizes = collection_sizes(list(dids)) if sizes is None else sizes
        self.sqlite = sqlite
        now = datetime.now(UTC).replace(tzinfo=None)
        self.now: Any = now.isoformat(sep=" ") if sqlite else now
        self.false: Any = 0 if sqlite else False
        self.true: Any = 1 if sqlite else True

    def did_row(self, d: Did) -> tuple[Any, ...]:
        md = d.metadata
        meta = json.dumps({k: _json_form(md[k]) for k in ("data_format", "energy", "taken_at", "tags") if k in md})
        if d.type == "F":
            size, length, is_open = d.bytes or 0, 0, self.false
        else:
            size, length = self.sizes.get((d.scope, d.name), (0, 0))
            is_open = self.true
        return (
            d.scope,
            d.name,
            d.type,
            ACCOUNT,
            size,
            length,
            d.adler32,
            is_open,
            self.false,
            self.false,
            self.now,
            self.now,
            md.get("run_number"),
            md.get("datatype"),
            md.get("campaign"),
            md.get("panda_id"),
            meta,
        )

    @staticmethod
    def content_row(d: Did) -> tuple[Any, ...] | None:
        if d.parent is None:
            return None
        return (d.parent[0], d.parent[1], d.scope, d.name, d.type)


def _sqlite_connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def load_sqlite(url: str, chunks: Sequence[Sequence[Did]], all_dids: Sequence[Did]) -> float:
    """executemany into the (already migrated, empty) database; seconds."""
    conn = _sqlite_connect(sqlite_path(url))
    try:
        scopes = sorted({d.scope for d in all_dids})
        conn.executemany(
            "INSERT INTO scopes (scope, account, created_at) VALUES (?, ?, ?)",
            [(s, ACCOUNT, "2026-01-01 00:00:00") for s in scopes],
        )
        builder = RowBuilder(all_dids, sqlite=True)
        insert_dids = f"INSERT INTO dids ({', '.join(DID_COLUMNS)}) VALUES ({', '.join('?' * len(DID_COLUMNS))})"
        insert_contents = f"INSERT INTO contents ({', '.join(CONTENT_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
        start = time.perf_counter()
        for chunk in chunks:
            conn.execute("BEGIN")
            conn.executemany(insert_dids, [builder.did_row(d) for d in chunk])
            conn.executemany(insert_contents, [r for d in chunk if (r := builder.content_row(d))])
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def load_postgres(url: str, chunks: Sequence[Sequence[Did]], all_dids: Sequence[Did]) -> float:
    """COPY into the (already migrated, empty) database; seconds."""
    return copy_postgres(url, chunks, sorted({d.scope for d in all_dids}), RowBuilder(all_dids, sqlite=False))


def copy_postgres(url: str, chunks: Iterable[Sequence[Did]], scopes: Sequence[str], builder: RowBuilder) -> float:
    """COPY the chunks (any iterable: a streamed data set too) into the migrated, empty database; seconds."""
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO scopes (scope, account, created_at) VALUES (%s, %s, now())", [(s, ACCOUNT) for s in scopes]
            )
        conn.commit()
        start = time.perf_counter()
        for chunk in chunks:
            with conn.cursor() as cur:
                with cur.copy(f"COPY dids ({', '.join(DID_COLUMNS)}) FROM STDIN") as copy:
                    for d in chunk:
                        copy.write_row(builder.did_row(d))
                with cur.copy(f"COPY contents ({', '.join(CONTENT_COLUMNS)}) FROM STDIN") as copy:
                    for d in chunk:
                        row = builder.content_row(d)
                        if row is not None:
                            copy.write_row(row)
            conn.commit()
        return time.perf_counter() - start


# --- reads ------------------------------------------------------------------------------------------
@dataclass
class Fetched:
    rows: int
    first_s: float
    total_s: float


def fetch_sql(url: str, sql: str, params: Sequence[Any] = ()) -> Fetched:
    """Run a query and fetch every row in batches of FETCH; time to the first batch and in total."""
    if url.startswith("sqlite"):
        conn = _sqlite_connect(sqlite_path(url))
        try:
            start = time.perf_counter()
            cursor = conn.execute(sql.replace("%s", "?"), tuple(params))
            first = 0.0
            count = 0
            while rows := cursor.fetchmany(FETCH):
                if not count:
                    first = time.perf_counter() - start
                count += len(rows)
            return Fetched(count, first or time.perf_counter() - start, time.perf_counter() - start)
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(libpq_url(url)) as pg:
        start = time.perf_counter()
        with pg.cursor(name="bench") as server_cursor:
            server_cursor.itersize = 5000
            server_cursor.execute(sql, tuple(params))
            first = 0.0
            count = 0
            while rows := server_cursor.fetchmany(FETCH):
                if not count:
                    first = time.perf_counter() - start
                count += len(rows)
        pg.rollback()
        return Fetched(count, first or time.perf_counter() - start, time.perf_counter() - start)


def list_sql(long: bool) -> str:
    """What ListDids of a whole scope, type=all, reads."""
    columns = "scope, name, did_type, bytes, length" if long else "scope, name"
    return (
        f"SELECT {columns} FROM dids WHERE scope = %s AND suppressed = {{false}} "
        "AND did_type IN ('F', 'D', 'C') ORDER BY scope, name"
    )


def dialect_sql(sql: str, sqlite: bool) -> str:
    return sql.replace("{false}", "0" if sqlite else "false")
