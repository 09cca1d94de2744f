"""Growth of one PostgreSQL node: the same reads on catalogues of 1M and 10M DIDs in one run (issue 18).

`make bench-scale` (= `python -m bench.scale --sizes 1000000,10000000 --out bench/results/scale-n1m-n10m.json`)

Every catalogue is generated with the bench's data recipe (bench.data, streamed: the 10M DIDs are
never all in memory) and loaded through LoadDids by a didmeta server, in LoadDids calls of
`--call-dids` DIDs each (chunks of `--chunk`). Each catalogue gets a `VACUUM ANALYZE` (what autovacuum
reaches after a bulk load). Then a fresh server per catalogue, and, in alternating order per repetition,
the reads whose cost the index structure predicts:

| case | what | predicted at 10x the DIDs |
|---|---|---|
| list_short_main_scope | whole-scope short listing (80% of the DIDs) | same DIDs/s (rule: >= 80% of 1M's rate) |
| filter_indexed_first_batch | `run_number=4242` in the main scope, first batch | flat (rule: <= 2x 1M's latency) |
| filter_json_selective_first_batch | `energy=V` (one DID's value) in a small scope (GIN), first batch | flat (<= 2x) |
| filter_json_rate | `data_format=RAW` in a small scope (20% of it) to its end | same DIDs/s (>= 80%) |
| recursive_container | a container and its ~211 descendants (ListDids recursive) | flat (<= 2x) |
| count_json | CountDids of `data_format=RAW` in a small scope | same DIDs/s counted (>= 80%) |
| get_metadata | GetMetadata of random DIDs, one at a time, median and p99 | flat (<= 2x) |
| server memory | RSS peak over idle while all of the above run | does not grow with the catalogue (<= +50 MB) |

`--workdir` keeps the PostgreSQL cluster (its files stay after the run; without it they go): a second run with the same
workdir and `--reuse` starts that cluster again, keeps a catalogue that holds its N DIDs and loads an
unfinished one on from where it stopped (the load figures add up over the runs).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.cli import KEPT_HELP, add_output_arguments, work_directory
from bench.data import MAIN_SCOPE, SCOPES, Did, Shape, batched, generate
from bench.procs import Postgres, RssSampler, ServerProcess, libpq_url, read_status_kb, sqlalchemy_url
from bench.report import machine_info, write_document
from bench.run import git_state
from bench.scenarios import Streamed, alternate, cpu_seconds, migrate, stream_batches, to_load_chunk
from didmeta.client import Client, LoadChunk
from didmeta.identifiers import DidKey

SMALL_SCOPE = SCOPES[1]  # mc23, ~10% of the DIDs
GET_CALLS = 1000
#: PostgreSQL settings of the bench's cluster beyond the test tooling's (fsync off etc.), the same for every
#: size: fewer forced checkpoints while 10M DIDs are written, and a `work_mem` at which the bitmap of a count
#: over 200k JSON matches stays exact (at the default 4 MB it went lossy at 10M DIDs and rechecked 940k rows;
#: docs/operations.md, "PostgreSQL settings for large catalogues").
PG_SETTINGS = {"max_wal_size": "8GB", "checkpoint_timeout": "15min", "work_mem": "64MB"}


@dataclass(frozen=True)
class Rule:
    """How a case's figure may change from the smallest to the largest catalogue."""

    metric: str  # "rate" (DIDs/s; higher is better), "seconds" (lower is better) or "mb" (lower is better)
    limit: float  # rate: at least limit x the small one's; seconds: at most limit x; mb: at most limit MB more

    def holds(self, small: float, large: float) -> bool:
        if self.metric == "rate":
            return large >= self.limit * small
        if self.metric == "mb":
            return large <= small + self.limit
        return large <= self.limit * small

    def describe(self) -> str:
        if self.metric == "rate":
            return f">= {self.limit:.0%} of the rate"
        return f"<= +{self.limit:g} MB" if self.metric == "mb" else f"<= {self.limit:g}x"


@dataclass
class Catalogue:
    n: int
    url: str = ""
    shape: Shape | None = None
    load: dict[str, Any] = field(default_factory=dict)
    server: ServerProcess | None = None
    client: Client | None = None
    idle_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    figures: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    plans: dict[str, list[str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"n{self.n // 1_000_000}m" if self.n % 1_000_000 == 0 else f"n{self.n}"

    def record(self, name: str, value: float, rows: int | None = None) -> None:
        self.figures.setdefault(name, []).append(value)
        if rows is not None:
            known = self.rows.setdefault(name, rows)
            if known != rows:
                raise RuntimeError(f"{self.label} {name}: {rows} rows, {known} in an earlier repetition")


# --- loading ------------------------------------------------------------------------------------------
def catalogue_count(url: str) -> int:
    import psycopg

    try:
        with psycopg.connect(libpq_url(url)) as conn:
            row = conn.execute("SELECT count(*) FROM dids").fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return -1


def load(postgres: Postgres, catalogue: Catalogue, chunk: int, call_dids: int, workdir: Path, reuse: bool) -> None:
    """The catalogue of N DIDs through LoadDids (one server; calls of `call_dids` DIDs), then VACUUM ANALYZE.

    With `reuse`, a catalogue that holds its N DIDs is kept as it is, and one that holds fewer (an earlier
    run stopped during its load; chunks are atomic and the recipe is deterministic, so they are a prefix of
    the recipe's order) is loaded on from where it stopped; the seconds of earlier runs come from
    `load-LABEL.json` in the workdir, which every call updates.
    """
    import psycopg

    name = f"scale_{catalogue.label}"
    catalogue.url = postgres.url.rsplit("/", 1)[0] + f"/{name}"
    progress_file = workdir / f"load-{catalogue.label}.json"
    present = catalogue_count(catalogue.url) if reuse else -1
    progress: dict[str, Any] = {"created": 0, "seconds": 0.0, "server_cpu_s": 0.0, "marks": [], "resumed_at": []}
    if present > 0 and progress_file.exists():
        progress = json.loads(progress_file.read_text())
    if present == catalogue.n and progress.get("vacuum_analyze_s") is not None:
        print(f"{catalogue.label}: reusing the loaded catalogue", flush=True)
        catalogue.load = {**progress, "reused": True}
        return
    if present <= 0:
        catalogue.url = postgres.fresh_database(name)
        migrate(sqlalchemy_url(catalogue.url))
        present = 0
    elif present < catalogue.n:
        print(f"{catalogue.label}: {present:,} DIDs already loaded; loading on", flush=True)
        progress["resumed_at"].append(present)
    loader = ServerProcess(catalogue.url, workdir / f"load-{catalogue.label}")
    with loader as server, Client(server.target, timeout=None) as client:
        if not present:
            for scope in SCOPES:
                client.add_scope(scope, "root")
        created = present
        generated = generate(catalogue.n)  # streamed: one chunk at a time is in memory
        for _ in itertools.islice(generated, present):
            pass
        while created < catalogue.n:
            cpu0, start = cpu_seconds(server.pid), time.perf_counter()
            part = itertools.islice(generated, call_dids)
            messages: Iterator[LoadChunk] = (to_load_chunk(c) for c in batched(part, chunk))
            done = client.load(messages).created
            if not done:
                break
            created += done
            progress["seconds"] += time.perf_counter() - start
            progress["server_cpu_s"] += cpu_seconds(server.pid) - cpu0
            progress["created"] = created
            progress["marks"].append((created, progress["seconds"]))
            progress_file.write_text(json.dumps(progress))
            rate = created / progress["seconds"]
            print(f"{catalogue.label}: {created:>11,} DIDs in {progress['seconds']:8.1f} s ({rate:,.0f}/s)", flush=True)
    if created != catalogue.n:
        raise RuntimeError(f"{catalogue.label}: LoadDids created {created}, expected {catalogue.n}")
    began = time.perf_counter()
    with psycopg.connect(libpq_url(catalogue.url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    marks = [(0, 0.0), *progress["marks"]]
    progress.update(
        {
            "dids_per_s": created / progress["seconds"],
            "per_call_dids_per_s": [(b[0] - a[0]) / (b[1] - a[1]) for a, b in itertools.pairwise(marks)],
            "vacuum_analyze_s": time.perf_counter() - began,
            "database_bytes": int(size[0]) if size else 0,
        }
    )
    progress_file.write_text(json.dumps(progress))
    catalogue.load = progress


# --- the reads --------------------------------------------------------------------------------------------
def middle_container(smallest: Shape) -> str:
    """A container of the main scope in the middle of the smallest catalogue: the same DID at every size."""
    index = smallest.containers // 20 * 10  # a multiple of 10: scope_of_container gives the main scope
    return f"{MAIN_SCOPE}.c{index:06d}"


def run_listing(catalogue: Catalogue, scope: str, filter_: str = "", **options: Any) -> Streamed:
    assert catalogue.client is not None
    return stream_batches(catalogue.client, scope, filter_, type="all", **options)


def measure(catalogue: Catalogue, keys: list[DidKey], container: str, selective_json: str) -> None:
    """One repetition of every case on one catalogue."""
    client = catalogue.client
    assert client is not None
    run = run_listing(catalogue, MAIN_SCOPE)
    catalogue.record("list_short_main_scope", run.rows / run.total_s, run.rows)
    run = run_listing(catalogue, MAIN_SCOPE, "run_number=4242")
    catalogue.record("filter_indexed_first_batch", run.first_s, run.rows)
    run = run_listing(catalogue, SMALL_SCOPE, selective_json)
    catalogue.record("filter_json_selective_first_batch", run.first_s, run.rows)
    run = run_listing(catalogue, SMALL_SCOPE, "data_format=RAW")
    catalogue.record("filter_json_rate", run.rows / run.total_s, run.rows)
    run = run_listing(catalogue, MAIN_SCOPE, f"name={container}", recursive=True)
    catalogue.record("recursive_container", run.total_s, run.rows)
    start = time.perf_counter()
    counted = client.count_dids(SMALL_SCOPE, "data_format=RAW", type="all")
    catalogue.record("count_json", counted / (time.perf_counter() - start), counted)
    seconds = []
    for key in keys:
        began = time.perf_counter()
        client.get_metadata(key, plugin="ALL")
        seconds.append(time.perf_counter() - began)
    catalogue.record("get_metadata_median", statistics.median(seconds))
    catalogue.record("get_metadata_p99", sorted(seconds)[int(len(seconds) * 0.99) - 1])


def sample_keys(n: int, count: int, seed: int) -> list[DidKey]:
    """`count` DIDs of a catalogue of n, chosen uniformly (regenerating the recipe up to the largest index)."""
    wanted = set(random.Random(seed).sample(range(n), count))
    keys = []
    for did in generate(n):
        if did.index in wanted:
            keys.append(DidKey(did.scope, did.name))
            if len(keys) == count:
                break
    random.Random(seed + 1).shuffle(keys)
    return keys


def selective_json_filter(smallest: int) -> str:
    """`energy=V` with V the energy of the first container of the small scope with one: the same DID and value
    at every size (the recipe draws values in DID order, containers first); ~1 other match per 14M DIDs.
    A catalogue too small to have such a container uses its first DID of the small scope with an energy."""
    fallback: Did | None = None
    for did in generate(smallest):
        if did.scope == SMALL_SCOPE and "energy" in did.metadata:
            if did.type == "C":
                return f"energy={did.metadata['energy']!r}"
            fallback = fallback or did
    if fallback is None:
        raise RuntimeError(f"no DID of {SMALL_SCOPE} has an energy")
    return f"energy={fallback.metadata['energy']!r}"


def plans(catalogue: Catalogue, container: str, selective_json: str) -> dict[str, list[str]]:
    """The plans didmeta's own ExplainDids reports for the filtered cases on this catalogue."""
    assert catalogue.client is not None
    cases = {
        "filter_indexed": (MAIN_SCOPE, "run_number=4242", False),
        "filter_json_selective": (SMALL_SCOPE, selective_json, False),
        "filter_json": (SMALL_SCOPE, "data_format=RAW", False),
        "recursive_container": (MAIN_SCOPE, f"name={container}", True),
    }
    result = {}
    for name, (scope, filter_, recursive) in cases.items():
        explained = catalogue.client.explain_dids(scope, filter_, type="all", recursive=recursive)
        result[name] = [line for query in explained.queries for line in query.plan.splitlines()]
    return result


# --- the report -------------------------------------------------------------------------------------------
RULES = {
    "list_short_main_scope": Rule("rate", 0.8),
    "filter_indexed_first_batch": Rule("seconds", 2.0),
    "filter_json_selective_first_batch": Rule("seconds", 2.0),
    "filter_json_rate": Rule("rate", 0.8),
    "recursive_container": Rule("seconds", 2.0),
    "count_json": Rule("rate", 0.8),
    "get_metadata_median": Rule("seconds", 2.0),
    "get_metadata_p99": Rule("seconds", 2.0),
    "server_rss_growth_mb": Rule("mb", 50.0),
}


def summary(catalogues: list[Catalogue]) -> list[dict[str, Any]]:
    small, large = catalogues[0], catalogues[-1]
    rows = []
    for name, rule in RULES.items():
        medians = {c.label: statistics.median(c.figures[name]) for c in catalogues}
        a, b = medians[small.label], medians[large.label]
        rows.append(
            {
                "case": name,
                "metric": rule.metric,
                "rows": {c.label: c.rows.get(name) for c in catalogues},
                "runs": {c.label: c.figures[name] for c in catalogues},
                "median": medians,
                "ratio_large_to_small": b / a if a else None,
                "rule": rule.describe(),
                "holds": rule.holds(a, b),
            }
        )
    return rows


def print_table(catalogues: list[Catalogue], rows: list[dict[str, Any]]) -> None:
    small, large = catalogues[0].label, catalogues[-1].label
    for c in catalogues:
        if c.load.get("dids_per_s"):
            print(
                f"load {c.label}: {c.load['seconds']:.0f} s, {c.load['dids_per_s']:,.0f} DIDs/s, "
                f"{c.load['database_bytes'] / c.n:,.0f} bytes/DID"
            )
    print(f"\n{'case':36} {'unit':>7} {small:>12} {large:>12} {'ratio':>7}  rule")
    for row in rows:
        unit = {"rate": "DIDs/s", "seconds": "s", "mb": "MB"}[row["metric"]]
        a, b = row["median"][small], row["median"][large]
        verdict = "holds" if row["holds"] else "BREAKS"
        print(
            f"{row['case']:36} {unit:>7} {a:>12.4g} {b:>12.4g} {row['ratio_large_to_small']:>7.2f}  "
            f"{row['rule']} {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="comma list of catalogue sizes, smallest first")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=5_000, help="DIDs per LoadDids chunk")
    parser.add_argument("--call-dids", type=int, default=1_000_000, help="DIDs per LoadDids call")
    parser.add_argument("--get-calls", type=int, default=GET_CALLS)
    add_output_arguments(parser, workdir_help=KEPT_HELP)
    parser.add_argument("--reuse", action="store_true", help="keep catalogues already loaded in --workdir")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if len(sizes) < 2:
        parser.error("give at least two sizes")
    workdir = work_directory(args.workdir, "didmeta-scale-")
    began = time.perf_counter()
    catalogues = [Catalogue(n, shape=Shape.of(n)) for n in sizes]
    postgres = Postgres(workdir / "pg")
    postgres.start(resume=args.reuse and (workdir / "pg" / "run" / "data" / "PG_VERSION").exists())
    try:
        postgres.configure(PG_SETTINGS)
        for catalogue in catalogues:
            load(postgres, catalogue, args.chunk, args.call_dids, workdir, args.reuse)
        keys = {c.label: sample_keys(c.n, args.get_calls, seed=7) for c in catalogues}
        container = middle_container(Shape.of(sizes[0]))
        selective_json = selective_json_filter(sizes[0])
        for catalogue in catalogues:
            catalogue.server = ServerProcess(catalogue.url, workdir / f"server-{catalogue.label}").start()
            catalogue.client = Client(catalogue.server.target, timeout=None)
            run_listing(catalogue, MAIN_SCOPE, limit=10)
            time.sleep(0.3)
            catalogue.idle_rss_mb = read_status_kb(catalogue.server.pid)["VmRSS"] / 1024
        for catalogue in catalogues:  # one unmeasured pass each: caches as in a running service
            measure(catalogue, keys[catalogue.label][:100], container, selective_json)
            catalogue.figures.clear()
            catalogue.rows.clear()
        for rep in range(args.repeat):
            print(f"repetition {rep + 1} of {args.repeat}", flush=True)

            def one(catalogue: Catalogue) -> None:
                assert catalogue.server is not None
                with RssSampler(catalogue.server.pid) as sampler:
                    measure(catalogue, keys[catalogue.label], container, selective_json)
                catalogue.record("server_rss_growth_mb", sampler.peak_kb / 1024 - catalogue.idle_rss_mb)
                catalogue.peak_rss_mb = max(catalogue.peak_rss_mb, sampler.peak_kb / 1024)

            alternate(catalogues, rep, one)
        for catalogue in catalogues:
            catalogue.plans = plans(catalogue, container, selective_json)
    finally:
        for catalogue in catalogues:
            if catalogue.client is not None:
                catalogue.client.close()
            if catalogue.server is not None:
                catalogue.server.stop()
        postgres.stop(keep_data=args.workdir is not None)  # a temporary workdir's cluster goes
    rows = summary(catalogues)
    print_table(catalogues, rows)
    report = {
        "settings": {**vars(args), "out": str(args.out), "workdir": str(workdir), "postgres": PG_SETTINGS},
        "git": git_state(),
        "machine": machine_info(),  # its loadavg: at the end of the run
        "catalogues": {
            c.label: {
                "n": c.n,
                "shape": vars(c.shape) if c.shape else None,
                "load": c.load,
                "idle_rss_mb": c.idle_rss_mb,
                "peak_rss_mb": c.peak_rss_mb,
                "plans": c.plans,
            }
            for c in catalogues
        },
        "results": rows,
        "wall_s": time.perf_counter() - began,
    }
    write_document(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
