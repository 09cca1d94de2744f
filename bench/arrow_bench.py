"""f. Arrow listings (format ARROW, issue 17) against an ADBC `fetch_arrow_table` of the same rows.

Measured in one run, on one backend:
- `baseline ADBC fetch_arrow_table` (in the bench process, no network): the listing's columns of the main
  scope, and the same with the 4 metadata values extracted by SQL;
- `arrow short/table`: `Client.list_dids_table(MAIN_SCOPE, type="all")` into a client-side pyarrow.Table;
- `arrow +4 metadata/table`: the same with run_number (int), energy (double), data_format (string) and
  taken_at (timestamp) as typed columns;
- `arrow +4 metadata, server memory`: the server's VmRSS growth while streaming that listing.
The targets (report.py) compare these; docs/performance.md says how to run them.
"""

from __future__ import annotations

import time
from typing import Any

from bench.baselines import Fetched, sqlite_path
from bench.data import MAIN_SCOPE
from bench.procs import RssSampler, ServerProcess, libpq_url, read_status_kb
from bench.report import Result
from bench.scenarios import Context, Streamed, cpu_seconds
from didmeta.client import Client

KEYS = ["run_number", "energy", "data_format", "taken_at"]
BATCH = 5000  # the server's default cap on batch_size

_CORE = "scope, name, did_type, bytes, length, events, created_at"
_WHERE = "FROM dids WHERE scope = {p} AND suppressed = {false} AND did_type IN ('F', 'D', 'C') ORDER BY scope, name"
_META = {
    "sqlite": "run_number, json_extract(meta, '$.energy'), json_extract(meta, '$.data_format'), "
    "json_extract(meta, '$.taken_at.\"$ts\"')",
    "postgres": "run_number, (meta->>'energy')::float8, meta->>'data_format', (meta->'taken_at'->>'$ts')::timestamptz",
}


def adbc_sql(db: str, metadata: bool) -> str:
    columns = _CORE + (", " + _META[db] if metadata else "")
    where = _WHERE.format(p="?" if db == "sqlite" else "$1", false="0" if db == "sqlite" else "false")
    return f"SELECT {columns} {where}"


def adbc_fetch(url: str, db: str, sql: str) -> Fetched:
    """One ADBC query into a pyarrow.Table (the columnar fetch the issue sets the bar with)."""
    conn: Any
    if db == "sqlite":
        import adbc_driver_sqlite.dbapi

        conn = adbc_driver_sqlite.dbapi.connect(sqlite_path(url))
    else:
        import adbc_driver_postgresql.dbapi

        conn = adbc_driver_postgresql.dbapi.connect(libpq_url(url))
    try:
        start = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.execute(sql, (MAIN_SCOPE,))
            table = cursor.fetch_arrow_table()
        total = time.perf_counter() - start
        return Fetched(table.num_rows, total, total)
    finally:
        conn.close()


def arrow_table(client: Client, **options: Any) -> Streamed:
    start = time.perf_counter()
    table = client.list_dids_table(MAIN_SCOPE, type="all", batch_size=BATCH, **options)
    total = time.perf_counter() - start
    return Streamed(table.num_rows, total, total)


def scenario_arrow(ctx: Context, server: ServerProcess, expected: int) -> None:
    report, db = ctx.report, ctx.db
    baselines: dict[bool, Result] = {}
    for metadata in (False, True):
        sql = adbc_sql(db, metadata)
        runs = [adbc_fetch(ctx.baseline_database, db, sql) for _ in range(ctx.repeat)]
        form = "+4 metadata" if metadata else "short"
        baselines[metadata] = report.add(
            Result(
                "arrow", ctx.backend, f"baseline ADBC fetch_arrow_table {form}", runs[0].rows, [r.total_s for r in runs]
            )
        )
    with Client(server.target, timeout=None) as client:
        for name, options in (("arrow short/table", {}), ("arrow +4 metadata/table", {"metadata_keys": KEYS})):
            cpu0 = cpu_seconds(server.pid)
            with ctx.profile(server, name.replace(" ", "-").replace("/", "-")):
                streamed = [arrow_table(client, **options) for _ in range(ctx.repeat)]
            if streamed[0].rows != expected:
                report.errors.append(f"{ctx.backend} {name}: {streamed[0].rows} DIDs, expected {expected}")
            baseline = baselines[bool(options)]
            report.add(
                Result(
                    "arrow",
                    ctx.backend,
                    name,
                    streamed[0].rows,
                    [r.total_s for r in streamed],
                    baseline=baseline.name,
                    baseline_rate=baseline.rate,
                    extra={"server_cpu_s_per_run": (cpu_seconds(server.pid) - cpu0) / ctx.repeat},
                )
            )
        time.sleep(0.3)
        idle_kb = read_status_kb(server.pid)["VmRSS"]
        with RssSampler(server.pid) as sampler:
            run = arrow_table(client, metadata_keys=KEYS)
        report.add(
            Result(
                "arrow",
                ctx.backend,
                "arrow +4 metadata, server memory",
                run.rows,
                [run.total_s],
                extra={"idle_rss_mb": idle_kb / 1024, "growth_mb": (sampler.peak_kb - idle_kb) / 1024},
            )
        )
