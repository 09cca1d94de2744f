"""Plain vs hash-partitioned catalogue (`database_partitions`) on the same data in the same run.

`python -m bench.partitioning --n 1000000 --partitions 16 --repeat 5 --out bench/results/partitioning-n1m.json`

Two PostgreSQL databases get the same rows of the bench's data recipe (bench.data), written with the
baseline COPY loader into the schema didmeta's own migrations made: one plain (`database_partitions`
= 0), one with N hash partitions by scope. A didmeta server runs on each; the client measures, in
alternating order per repetition, scope-restricted listings (a short listing of the main scope and
of a small one, selective filters in one scope, CountDids) and, last, the delete of every DID of the
small scopes through ListDids + DeleteDids. Medians and the ratio partitioned/plain are printed and
written to --out with the rows per partition and the plans PostgreSQL chose.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bench import baselines
from bench.cli import KEPT_HELP, add_output_arguments, work_directory
from bench.data import MAIN_SCOPE, SCOPES, batched, generate, streamed_collection_sizes
from bench.procs import Postgres, ServerProcess, sqlalchemy_url
from bench.report import loadavg, machine_info, write_document
from bench.run import git_state
from bench.scenarios import Streamed, alternate, stream_batches
from didmeta.client import Client

SMALL_SCOPE = SCOPES[1]  # mc23, ~10% of the DIDs
DELETED_SCOPES = SCOPES[1:]  # mc23 and user.bench, ~10% each
DELETE_CHUNK = 10_000


@dataclass(frozen=True)
class Case:
    name: str
    scope: str
    filter: str = ""
    count: bool = False  # CountDids instead of ListDids


CASES = [
    Case("list_short_main_scope", MAIN_SCOPE),
    Case("list_short_small_scope", SMALL_SCOPE),
    Case("filter_column_eq_main_scope", MAIN_SCOPE, "run_number=4242"),
    Case("filter_column_eq_small_scope", SMALL_SCOPE, "run_number=4242"),
    Case("filter_json_eq_small_scope", SMALL_SCOPE, "data_format=RAW"),
    Case("filter_cross_plugin_small_scope", SMALL_SCOPE, "datatype=AOD,energy>13000"),
    Case("count_json_eq_small_scope", SMALL_SCOPE, "data_format=RAW", count=True),
]


@dataclass
class Layout:
    label: str
    partitions: int
    url: str = ""
    load_s: float = 0.0
    server: ServerProcess | None = None
    runs: dict[str, list[Streamed]] = field(default_factory=dict)
    deletes: dict[str, dict[str, float]] = field(default_factory=dict)


def prepare(postgres: Postgres, layout: Layout, n: int, builder: baselines.RowBuilder, chunk: int) -> None:
    """A fresh database with didmeta's schema in `layout`, the recipe's n DIDs COPYed in as they are generated
    (never all in memory), then ANALYZE."""
    import psycopg

    from didmeta.server.store.engine import Store

    layout.url = postgres.fresh_database(f"part_{layout.label}")
    store = Store(sqlalchemy_url(layout.url), partitions=layout.partitions)
    try:
        store.migrate()
    finally:
        store.dispose()
    layout.load_s = baselines.copy_postgres(layout.url, batched(generate(n), chunk), SCOPES, builder)
    with psycopg.connect(layout.url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # a database-wide ANALYZE covers the partitioned parents too (autovacuum does not)


def rows_per_partition(url: str) -> dict[str, dict[str, int]]:
    import psycopg

    sql = "SELECT tableoid::regclass::text, scope, count(*) FROM dids GROUP BY 1, 2 ORDER BY 1, 2"
    with psycopg.connect(url) as conn:
        result: dict[str, dict[str, int]] = {}
        for table, scope, count in conn.execute(sql):
            result.setdefault(str(table), {})[str(scope)] = int(count)
        return result


def plans(url: str) -> dict[str, list[str]]:
    """EXPLAIN (no ANALYZE) of the queries behind two cases, as PostgreSQL plans them on this layout."""
    import psycopg

    queries = {
        "short_listing": "SELECT name FROM dids WHERE scope = %s ORDER BY name",
        "json_eq": 'SELECT name FROM dids WHERE scope = %s AND meta @> \'{"data_format": "RAW"}\' ORDER BY name',
        "delete_scope": "DELETE FROM dids WHERE scope = %s",
    }
    with psycopg.connect(url) as conn:
        return {
            name: [str(row[0]) for row in conn.execute(f"EXPLAIN {sql}", (SMALL_SCOPE,))]
            for name, sql in queries.items()
        }


def run_case(client: Client, case: Case) -> Streamed:
    if case.count:
        start = time.perf_counter()
        count = client.count_dids(case.scope, case.filter, type="all")
        seconds = time.perf_counter() - start
        return Streamed(count, seconds, seconds)
    return stream_batches(client, case.scope, case.filter, type="all")


def delete_scope(client: Client, scope: str) -> dict[str, float]:
    """Every DID of `scope` deleted with DeleteDids in chunks; seconds of the deletes alone."""
    names = list(client.list_dids(scope, type="all"))
    start = time.perf_counter()
    deleted = 0
    for i in range(0, len(names), DELETE_CHUNK):
        deleted += client.delete_dids(names[i : i + DELETE_CHUNK])
    seconds = time.perf_counter() - start
    if deleted != len(names) or client.count_dids(scope, type="all"):
        raise RuntimeError(f"{scope}: deleted {deleted} of {len(names)}")
    return {"dids": float(deleted), "seconds": seconds, "rate": deleted / seconds}


def apply_work_mem(postgres: Postgres, value: str) -> str:
    """Set `work_mem` for every new session of the cluster (both layouts) when `value` is given, as
    docs/operations.md recommends for large catalogues; the value a new session sees."""
    import psycopg

    if value:
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            conn.execute("SELECT set_config('work_mem', %s, false)", (value,))  # refused here if not a valid size
        postgres.configure({"work_mem": value})
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        row = conn.execute("SHOW work_mem").fetchone()
    return str(row[0]) if row else "?"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def summarise(case: Case, plain: Layout, split: Layout) -> dict[str, Any]:
    """Every run's seconds, the medians and the ratio partitioned/plain of one case."""
    row: dict[str, Any] = {"case": asdict(case), "rows": plain.runs[case.name][0].rows}
    for what in ("total_s", "first_s"):
        medians = {}
        for layout in (plain, split):
            seconds = [getattr(run, what) for run in layout.runs[case.name]]
            row[f"{layout.label}_{what}"] = seconds
            medians[layout.label] = median(seconds)
        row[f"median_{what}"] = medians
        row[f"ratio_{what.removesuffix('_s')}"] = medians[split.label] / medians[plain.label]
    row["rows_partitioned"] = split.runs[case.name][0].rows
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="DIDs (default 1M)")
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument(
        "--delete-scopes",
        default=",".join(DELETED_SCOPES),
        help="comma list of the scopes deleted at the end (each ~10%% of the DIDs; empty for none)",
    )
    parser.add_argument(
        "--work-mem",
        default="",
        help="PostgreSQL work_mem for the run, e.g. 64MB (default: the server's default, 4MB)",
    )
    add_output_arguments(parser, workdir_help=KEPT_HELP)
    args = parser.parse_args(argv)
    loadavg_start = loadavg()
    workdir = work_directory(args.workdir, "didmeta-partitioning-")
    began = time.perf_counter()
    deleted_scopes = [s for s in args.delete_scopes.split(",") if s]
    if not set(deleted_scopes) <= set(DELETED_SCOPES):
        parser.error(f"--delete-scopes takes {', '.join(DELETED_SCOPES)}")
    print(f"sizing the collections of {args.n:,} DIDs", flush=True)
    builder = baselines.RowBuilder((), sqlite=False, sizes=streamed_collection_sizes(args.n))
    layouts = [Layout("plain", 0), Layout(f"hash{args.partitions}", args.partitions)]
    postgres = Postgres(workdir / "pg").start()
    try:
        postgres_settings = {"work_mem": apply_work_mem(postgres, args.work_mem)}
        for layout in layouts:
            prepare(postgres, layout, args.n, builder, args.chunk)
            print(f"{layout.label}: loaded in {layout.load_s:.1f} s", flush=True)
        for layout in layouts:
            layout.server = ServerProcess(
                layout.url, workdir / f"server-{layout.label}", settings={"database_partitions": layout.partitions}
            ).start()
        clients = {layout.label: Client(layout.server.target, timeout=None) for layout in layouts if layout.server}
        for case in CASES:  # one warm-up run each, not measured
            for layout in layouts:
                run_case(clients[layout.label], case)
        for rep in range(args.repeat):
            for case in CASES:

                def measure(layout: Layout, case: Case = case) -> None:
                    layout.runs.setdefault(case.name, []).append(run_case(clients[layout.label], case))

                alternate(layouts, rep, measure)
        layout_facts = {
            layout.label: {"rows": rows_per_partition(layout.url), "plans": plans(layout.url)} for layout in layouts
        }
        for index, scope in enumerate(deleted_scopes):

            def remove(layout: Layout, scope: str = scope) -> None:
                layout.deletes[scope] = delete_scope(clients[layout.label], scope)

            alternate(layouts, index, remove)
        for client in clients.values():
            client.close()
    finally:
        for layout in layouts:
            if layout.server is not None:
                layout.server.stop()
        postgres.stop()
    plain, split = layouts
    results = [summarise(case, plain, split) for case in CASES]
    print(f"\n{'case':36} {'rows':>8} {plain.label + ' s':>12} {split.label + ' s':>12} {'ratio':>7}")
    for case, row in zip(CASES, results, strict=True):
        print(
            f"{case.name:36} {row['rows']:>8} {row['median_total_s'][plain.label]:>12.4f}"
            f" {row['median_total_s'][split.label]:>12.4f} {row['ratio_total']:>7.2f}"
        )
    deletes: dict[str, Any] = {}
    for scope in deleted_scopes:
        p, s = plain.deletes[scope], split.deletes[scope]
        deletes[scope] = {plain.label: p, split.label: s, "ratio": s["seconds"] / p["seconds"]}
        name = "delete_scope " + scope
        print(
            f"{name:36} {int(p['dids']):>8} {p['seconds']:>12.2f} {s['seconds']:>12.2f} {deletes[scope]['ratio']:>7.2f}"
        )
    report = {
        "settings": {**vars(args), "out": str(args.out), "workdir": str(workdir)},
        "postgres": postgres_settings,
        "git": git_state(),
        "machine": {**machine_info(), "loadavg_start": loadavg_start},  # its loadavg: at the end of the run
        "load_s": {layout.label: layout.load_s for layout in layouts},
        "results": results,
        "deletes": deletes,
        "layout": layout_facts,
        "wall_s": time.perf_counter() - began,
    }
    write_document(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
