"""PostgreSQL's JIT on and off, on the same catalogue in the same run: what it does to listings.

`python -m bench.pg_jit --n 1000000 --repeat 5 --out bench/results/pg-jit-n1m.json`

One PostgreSQL database gets the bench's data recipe (bench.data) with the baseline COPY loader into
didmeta's own schema (as bench.partitioning does), then a VACUUM ANALYZE. A didmeta server runs on it.
The client lists, in every repetition, with `jit = on` (PostgreSQL's default) and `jit = off` set for the
whole cluster (`ALTER SYSTEM` and a reload), the order of the two alternating per repetition: short
listings of a big and a small scope, a JSON-key filter and an indexed filter. It reports the first
batch's latency and the whole listing's time, medians and the ratio off/on, and the `EXPLAIN ANALYZE`
JIT timing of the big scope's listing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench import baselines
from bench.cli import KEPT_HELP, add_output_arguments, work_directory
from bench.data import MAIN_SCOPE, SCOPES, streamed_collection_sizes
from bench.partitioning import Layout, prepare
from bench.procs import Postgres, ServerProcess
from bench.report import loadavg, machine_info, write_document
from bench.run import git_state
from bench.scenarios import Streamed, alternate, stream_batches
from didmeta.client import Client

VALUES = ("on", "off")
#: Seconds for a reload to reach every backend of the cluster.
RELOAD_WAIT = 0.5


@dataclass(frozen=True)
class Case:
    name: str
    scope: str
    filter: str = ""


CASES = [
    Case("list_short_main_scope", MAIN_SCOPE),
    Case("list_short_small_scope", SCOPES[1]),
    Case("filter_json_eq_small_scope", SCOPES[1], "data_format=RAW"),
    Case("filter_column_eq_main_scope", MAIN_SCOPE, "run_number=4242"),
]


def set_jit(postgres: Postgres, value: str) -> None:
    postgres.configure({"jit": value})
    time.sleep(RELOAD_WAIT)


def jit_timing(url: str) -> dict[str, list[str]]:
    """The EXPLAIN ANALYZE lines about JIT and times of the big scope's listing, per value."""
    import psycopg

    lines: dict[str, list[str]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for value in VALUES:
            conn.execute(f"SET jit = {value}")
            plan = conn.execute(
                "EXPLAIN ANALYZE SELECT scope, name FROM dids WHERE scope = %s ORDER BY name", (MAIN_SCOPE,)
            )
            keep = ("JIT", "Functions", "Timing", "Planning Time", "Execution Time")
            lines[value] = [str(row[0]).strip() for row in plan if any(word in str(row[0]) for word in keep)]
    return lines


def summarise(case: Case, runs: dict[str, list[Streamed]]) -> dict[str, Any]:
    row: dict[str, Any] = {"case": case.name, "scope": case.scope, "filter": case.filter, "rows": runs["on"][0].rows}
    for what in ("first_s", "total_s"):
        medians = {value: statistics.median(getattr(run, what) for run in runs[value]) for value in VALUES}
        row[what] = {value: [getattr(run, what) for run in runs[value]] for value in VALUES}
        row[f"median_{what}"] = medians
        row[f"ratio_{what.removesuffix('_s')}_off_on"] = medians["off"] / medians["on"]
    row["rows_off"] = runs["off"][0].rows
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="DIDs (default 1M)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=10_000)
    add_output_arguments(parser, workdir_help=KEPT_HELP)
    args = parser.parse_args(argv)
    workdir = work_directory(args.workdir, "didmeta-pg-jit-")
    loadavg_start = loadavg()
    began = time.perf_counter()
    builder = baselines.RowBuilder((), sqlite=False, sizes=streamed_collection_sizes(args.n))
    layout = Layout("plain", 0)
    runs: dict[str, dict[str, list[Streamed]]] = {case.name: {value: [] for value in VALUES} for case in CASES}
    postgres = Postgres(workdir / "pg").start()
    try:
        prepare(postgres, layout, args.n, builder, args.chunk)
        print(f"loaded {args.n:,} DIDs in {layout.load_s:.1f} s", flush=True)
        server = ServerProcess(layout.url, workdir / "server").start()
        try:
            client = Client(server.target, timeout=None)
            for case in CASES:  # warm-up, not measured
                stream_batches(client, case.scope, case.filter, type="all")

            def measure(value: str) -> None:
                set_jit(postgres, value)
                for case in CASES:
                    runs[case.name][value].append(stream_batches(client, case.scope, case.filter, type="all"))

            for rep in range(args.repeat):
                alternate(VALUES, rep, measure)
            client.close()
        finally:
            server.stop()
        timing = jit_timing(layout.url)
    finally:
        postgres.stop()
    results = [summarise(case, runs[case.name]) for case in CASES]
    header = ("case", "rows", "first on", "first off", "off/on", "total on", "total off", "off/on")
    print("\n{:30} {:>8} {:>10} {:>10} {:>7} {:>9} {:>9} {:>7}".format(*header))
    for row in results:
        first, total = row["median_first_s"], row["median_total_s"]
        print(
            f"{row['case']:30} {row['rows']:>8} {first['on'] * 1000:>8.1f}ms {first['off'] * 1000:>8.1f}ms"
            f" {row['ratio_first_off_on']:>7.2f} {total['on']:>8.3f}s {total['off']:>8.3f}s"
            f" {row['ratio_total_off_on']:>7.2f}"
        )
    for value, lines in timing.items():
        print(f"EXPLAIN ANALYZE, jit={value}: " + "; ".join(lines))
    report = {
        "settings": {**vars(args), "out": str(args.out), "workdir": str(workdir)},
        "git": git_state(),
        "machine": {**machine_info(), "loadavg_start": loadavg_start},  # its loadavg: at the end of the run
        "load_s": layout.load_s,
        "results": results,
        "explain_analyze": timing,
        "wall_s": time.perf_counter() - began,
    }
    write_document(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
