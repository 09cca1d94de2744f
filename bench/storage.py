"""Storage per DID per backend: `python -m bench.storage --n 100000,300000 --out bench/results/storage.json`.

Loads the bench's standard data set (`bench.data.generate`, the recipe of `bench.run`) through
LoadDids into each backend, at every size of `--n`, and reports the bytes it takes per DID:

* `postgres`: the catalogue database, per table (`dids`, `contents`, `history`, ...) split into
  table (main fork), index, TOAST and other forks (free-space and visibility maps), after
  `VACUUM ANALYZE` (what autovacuum does after a bulk load); `--partitions N` creates it with
  `database_partitions = N` (each partition is then a part of its own).
* `sqlite`: the catalogue file after a WAL checkpoint, and per table (table + its indexes) from
  the `dbstat` virtual table when SQLite has it.
* `--external MONGO,ELASTIC,POSTGRES_JSON`: a SQLite catalogue with plugins `DID_COLUMN` + PLUGIN, as
  `bench.run --external` runs it (`bench.external`): the plugin's store is measured on its own
  (MONGO: `dbStats` totalSize, FerretDB's SQLite files of that database alongside, loaded with a
  120 s `timeout_ms`; ELASTIC: OpenSearch `_cat/indices` primary store size after a refresh, and
  again after a force-merge to one segment; POSTGRES_JSON: its tables in its own database) next to
  the SQLite catalogue it goes with.
  `--external-n` gives the plugins' sizes (default: `--n`).

One JSON document goes to `--out`:

    settings  the command, date, commit, sizes, machine
    results   one entry per (backend, n): backend, n, load_s, load_rate, rows (table -> rows),
              store ("catalogue" or the plugin's name), total_bytes, bytes_per_did,
              parts (name, table_bytes, index_bytes, toast_bytes, other_bytes, total_bytes, indexes,
              bytes_per_did), and for external plugins catalogue_bytes and extra (backend-specific)
    flatness  per backend: sizes, bytes_per_did at each, ratio of the largest size's to the
              smallest's (near 1.0: flat, so extrapolating linearly is justified)
    errors, notes

`--n 2000 --db sqlite,postgres` is the smoke run (tests/bench/test_storage_smoke.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cli import KEPT_HELP, add_output_arguments, work_directory
from bench.data import SCOPES, SEED, Did, generate
from bench.external import KINDS, External
from bench.procs import Postgres, ServerProcess, libpq_url
from bench.run import git_state
from bench.scenarios import load_chunks, to_load_chunk
from didmeta.client import Client

#: plugin_options.MONGO.timeout_ms for the loads (the plugin's default is 5000).
MONGO_TIMEOUT_MS = 120_000


@dataclass
class Part:
    """One table with everything that belongs to it (its indexes, TOAST, other forks), in bytes."""

    name: str
    table_bytes: int
    index_bytes: int = 0
    toast_bytes: int = 0
    other_bytes: int = 0
    total_bytes: int = 0
    bytes_per_did: float = 0.0
    indexes: dict[str, int] = field(default_factory=dict)  # each index's bytes


@dataclass
class Measurement:
    """What one backend takes for n DIDs."""

    backend: str  # sqlite | postgres | sqlite+PLUGIN
    n: int
    store: str  # catalogue | the plugin's name
    load_s: float
    load_rate: float
    total_bytes: int
    bytes_per_did: float
    parts: list[Part]
    rows: dict[str, int] = field(default_factory=dict)
    catalogue_bytes: int | None = None  # external plugins: the SQLite catalogue that goes with the store
    extra: dict[str, Any] = field(default_factory=dict)


def finish_parts(parts: list[Part], n: int) -> list[Part]:
    for part in parts:
        if not part.total_bytes:
            part.total_bytes = part.table_bytes + part.index_bytes + part.toast_bytes + part.other_bytes
        part.bytes_per_did = round(part.total_bytes / n, 1)
    return sorted(parts, key=lambda p: -p.total_bytes)


# --- loading ------------------------------------------------------------------------------------------
def load(url: str, dids: Sequence[Did], chunk: int, workdir: Path, settings: dict[str, Any]) -> float:
    """LoadDids of every DID (metadata and attachments) through a fresh server; seconds taken."""
    messages = [to_load_chunk(c) for c in load_chunks(dids, chunk)]
    with ServerProcess(url, workdir / "server", settings=settings) as server, Client(server.target, timeout=None) as c:
        for scope in SCOPES:
            c.add_scope(scope, "root")
        start = time.perf_counter()
        result = c.load(iter(messages))
        seconds = time.perf_counter() - start
    if result.created != len(dids):
        raise RuntimeError(f"LoadDids created {result.created} DIDs, expected {len(dids)}")
    return seconds


# --- PostgreSQL -----------------------------------------------------------------------------------------
_PG_SIZES = """
SELECT c.relname,
       pg_relation_size(c.oid),
       pg_indexes_size(c.oid),
       COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0),
       pg_total_relation_size(c.oid),
       c.reltuples::bigint
FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND s.nspname NOT IN ('pg_catalog', 'information_schema')
  AND s.nspname NOT LIKE 'pg_toast%'
"""

_PG_INDEXES = """
SELECT t.relname, i.relname, pg_relation_size(i.oid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace s ON s.oid = t.relnamespace
WHERE s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg_toast%'
"""


def postgres_parts(url: str, n: int) -> tuple[list[Part], dict[str, int], int]:
    """Per-table sizes of a PostgreSQL database after VACUUM ANALYZE; row counts; the database's size."""
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        parts, rows = [], {}
        for name, table, index, toast, total, tuples in conn.execute(_PG_SIZES).fetchall():
            other = total - table - index - toast
            parts.append(Part(name, table, index, toast, other, total))
            rows[name] = max(int(tuples), 0)
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        by_table = {p.name: p for p in parts}
        for table, index, size in conn.execute(_PG_INDEXES).fetchall():
            if table in by_table:
                by_table[table].indexes[index] = int(size)
    return finish_parts(parts, n), rows, int(database[0]) if database else 0


# --- SQLite ---------------------------------------------------------------------------------------------
def sqlite_path(url: str) -> Path:
    return Path(url.split("sqlite:///", 1)[1])


def sqlite_parts(path: Path, n: int) -> tuple[list[Part], dict[str, int], int, bool]:
    """Per-table sizes (dbstat) of a SQLite file after a checkpoint; row counts; file size; dbstat found."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        owners = {
            name: (kind, table)
            for kind, name, table in conn.execute(
                "SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"
            )
        }
        tables = [name for name, (kind, _) in owners.items() if kind == "table" and not name.startswith("sqlite_")]
        rows = {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}
        parts: dict[str, Part] = {}
        try:
            stats = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
            found = True
        except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
            stats, found = [], False
        for name, size in stats:
            kind, table = owners.get(name, ("table", name))
            part = parts.setdefault(table, Part(table, 0))
            if kind == "index":
                part.index_bytes += int(size)
                part.indexes[name] = int(size)
            else:
                part.table_bytes += int(size)
    finally:
        conn.close()
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        size += wal.stat().st_size
    return finish_parts(list(parts.values()), n), rows, size, found


# --- external plugins -------------------------------------------------------------------------------------
def external_store(external: External, catalogue: str, n: int) -> tuple[int, list[Part], dict[str, Any]]:
    """Bytes of the plugin's store for this catalogue, its parts and backend-specific figures."""
    options = external.options(catalogue)
    if external.plugin == "POSTGRES_JSON":
        parts, rows, database = postgres_parts(options["url"], n)
        total = sum(p.total_bytes for p in parts)
        return total, parts, {"database_bytes": database, "rows": rows}
    if external.plugin == "MONGO":
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(external.url)
        try:
            stats = client[options["database"]].command("dbStats")
        finally:
            client.close()
        data_dir = external.directory / "data"
        files = {p.name: p.stat().st_size for p in data_dir.glob(f"{options['database']}.sqlite*")}
        # dbStats' totalSize (FerretDB's own sum over its SQLite tables and indexes); the files also hold
        # a WAL of ~4 MB whatever the size (SQLite's automatic checkpoint at 1000 pages), reported apart
        total = int(stats.get("totalSize") or sum(files.values()))
        keep = ("collections", "objects", "dataSize", "storageSize", "indexSize", "totalSize", "freeStorageSize")
        extra: dict[str, Any] = {"files": files, "dbStats": {k: stats[k] for k in keep if k in stats}}
        index = int(stats.get("indexSize", 0))
        parts = [Part(options["database"], total - index, index, total_bytes=total)]
        return total, finish_parts(parts, n), extra
    # ELASTIC
    from opensearchpy import OpenSearch

    client_os = OpenSearch(external.url, timeout=600)
    index = options["index"]

    def store() -> dict[str, Any]:
        client_os.indices.refresh(index=index)
        rows = client_os.cat.indices(index=index, format="json", bytes="b")
        return {k: rows[0][k] for k in ("docs.count", "docs.deleted", "pri", "rep", "pri.store.size", "store.size")}

    try:
        loaded = store()
        start = time.perf_counter()
        client_os.indices.forcemerge(index=index, max_num_segments=1)
        merge_s = time.perf_counter() - start
        merged = store()
    finally:
        client_os.close()
    total = int(merged["pri.store.size"])
    parts = [Part(index, total, total_bytes=total)]
    figures: dict[str, Any] = {
        "after_load": loaded,
        "after_forcemerge": merged,
        "forcemerge_s": round(merge_s, 2),
        "after_load_bytes_per_did": round(int(loaded["pri.store.size"]) / n, 1),
    }
    return total, finish_parts(parts, n), figures


# --- one backend at one size --------------------------------------------------------------------------------
def measure(
    backend: str,
    n: int,
    chunk: int,
    workdir: Path,
    postgres: Postgres | None,
    external: External | None,
    partitions: int = 0,
) -> Measurement:
    dids = list(generate(n))
    work = workdir / f"{backend.replace('+', '-')}-{n}"
    work.mkdir(parents=True, exist_ok=True)
    if backend == "postgres":
        assert postgres is not None
        url = postgres.fresh_database(f"storage_{n}")
    else:
        url = f"sqlite:///{work / f'catalogue_{n}.db'}"
    if external is not None and external.plugin == "MONGO":
        # FerretDB (SQLite handler) answers a chunk's reads in seconds on a busy machine; the plugin's
        # default 5 s socket timeout would end the load, and latency is not what this bench measures
        external.options(url).setdefault("timeout_ms", MONGO_TIMEOUT_MS)
    settings = external.settings(url) if external is not None else {}
    if backend == "postgres" and partitions:
        settings = {"database_partitions": partitions}
    print(f"-- {backend}: LoadDids of {n:,} DIDs", flush=True)
    seconds = load(url, dids, chunk, work, settings)

    def measured(store: str, total: int, parts: list[Part], rows: dict[str, int], **more: Any) -> Measurement:
        return Measurement(
            backend, n, store, round(seconds, 2), round(n / seconds), total, round(total / n, 1), parts, rows, **more
        )

    if backend == "postgres":
        parts, rows, database = postgres_parts(url, n)
        total = sum(p.total_bytes for p in parts)
        return measured("catalogue", total, parts, rows, extra={"database_bytes": database})
    parts, rows, size, found = sqlite_parts(sqlite_path(url), n)
    if external is None:
        extra: dict[str, Any] = {"dbstat": found, "dbstat_bytes": sum(p.total_bytes for p in parts)}
        return measured("catalogue", size, parts, rows, extra=extra)
    total, store_parts, extra = external_store(external, url, n)
    extra["catalogue_parts"] = [asdict(p) for p in parts]
    return measured(external.plugin, total, store_parts, rows, catalogue_bytes=size, extra=extra)


def flatness(results: list[Measurement]) -> list[dict[str, Any]]:
    out = []
    for backend in dict.fromkeys(r.backend for r in results):
        mine = sorted((r for r in results if r.backend == backend), key=lambda r: r.n)
        entry: dict[str, Any] = {
            "backend": backend,
            "sizes": [r.n for r in mine],
            "bytes_per_did": [r.bytes_per_did for r in mine],
            "ratio": round(mine[-1].bytes_per_did / mine[0].bytes_per_did, 3) if mine[0].bytes_per_did else None,
        }
        if mine[0].catalogue_bytes is not None:
            entry["catalogue_bytes_per_did"] = [round((r.catalogue_bytes or 0) / r.n, 1) for r in mine]
        out.append(entry)
    return out


def print_table(results: list[Measurement]) -> None:
    print(f"{'backend':<22} {'store':<14} {'n':>9} {'bytes':>14} {'B/DID':>8} {'load DIDs/s':>12}  largest parts")
    for r in results:
        top = ", ".join(f"{p.name} {p.bytes_per_did:.0f}" for p in r.parts[:3])
        print(
            f"{r.backend:<22} {r.store:<14} {r.n:>9,} {r.total_bytes:>14,} {r.bytes_per_did:>8.1f}"
            f" {r.load_rate:>12,.0f}  {top}"
        )


def sizes(text: str) -> list[int]:
    values = sorted({int(v) for v in text.split(",") if v.strip()})
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError("a comma list of positive DID counts")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.storage", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=sizes, default=[100_000, 300_000], help="comma list of sizes (default 100000,300000)"
    )
    parser.add_argument("--db", default="sqlite,postgres", help="comma list of sqlite, postgres, or none")
    parser.add_argument("--external", default="", help=f"comma list of external plugins ({', '.join(KINDS)})")
    parser.add_argument("--external-n", type=sizes, default=None, help="sizes for the external plugins (default --n)")
    parser.add_argument(
        "--partitions", type=int, default=0, help="database_partitions of the PostgreSQL catalogue (default 0: plain)"
    )
    parser.add_argument("--chunk", type=int, default=5000, help="DIDs per LoadDids chunk (default 5000)")
    add_output_arguments(parser, workdir_help=KEPT_HELP)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    args.db = [b.strip() for b in args.db.split(",") if b.strip() and b.strip() != "none"]
    if set(args.db) - {"sqlite", "postgres"}:
        parser.error("--db takes sqlite and/or postgres (or none)")
    args.external = [p.strip().upper() for p in args.external.split(",") if p.strip()]
    if set(args.external) - set(KINDS):
        parser.error(f"--external takes {', '.join(KINDS)}")
    args.external_n = args.external_n or args.n
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    workdir = work_directory(args.workdir, "didmeta-storage-")
    workdir.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "settings": {
            "command": "python -m bench.storage " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": SEED,
            "sizes": args.n,
            "external_sizes": args.external_n if args.external else [],
            "db": args.db,
            "external": args.external,
            "chunk": args.chunk,
            "partitions": args.partitions,
            "git": git_state(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version},
        },
        "results": [],
        "flatness": [],
        "errors": [],
        "notes": [],
    }
    results: list[Measurement] = []
    postgres: Postgres | None = None
    try:
        if "postgres" in args.db:
            postgres = Postgres(workdir / "pg").start()
        for backend in args.db:
            for n in args.n:
                try:
                    results.append(measure(backend, n, args.chunk, workdir, postgres, None, args.partitions))
                except Exception as error:
                    traceback.print_exc()
                    document["errors"].append(f"{backend} n={n}: {type(error).__name__}: {error}")
        if postgres is not None:
            postgres.stop()
            postgres = None
        for plugin in args.external:
            external = External(plugin, workdir / "external" / plugin.lower())
            try:
                external.start()
                for n in args.external_n:
                    results.append(measure(f"sqlite+{plugin}", n, args.chunk, workdir, None, external))
            except Exception as error:
                traceback.print_exc()
                document["errors"].append(f"sqlite+{plugin}: {type(error).__name__}: {error}")
            finally:
                external.stop()
    finally:
        if postgres is not None:
            postgres.stop()
        document["results"] = [asdict(r) for r in results]
        document["flatness"] = flatness(results)
        document["settings"]["elapsed_s"] = round(time.perf_counter() - started, 1)
        print_table(results)
        for entry in document["flatness"]:
            print(
                f"flatness {entry['backend']}: {entry['bytes_per_did']} B/DID at {entry['sizes']}:"
                f" ratio {entry['ratio']}"
            )
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(document, indent=1, default=str) + "\n")
            print(f"results: {args.out}")
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"elapsed: {time.perf_counter() - started:.1f} s")
    return 1 if document["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
