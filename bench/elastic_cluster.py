"""ELASTIC on one OpenSearch node against a 3-node cluster, the same data in the same run (issue 18).

`make bench-elastic-cluster` (= `python -m bench.elastic_cluster --n 1000000 --repeat 3
--out bench/results/elastic-cluster-n1m.json`)

Two layouts, each with its own SQLite catalogue and didmeta server (plugins DID_COLUMN + ELASTIC, so every
key that is not an optimised column lives in OpenSearch):

* `single`: one OpenSearch node, the index with 1 shard and 0 replicas;
* `cluster`: three nodes (tests/support/backends.py `start_opensearch_cluster`), the index with 3 shards and
  1 replica, the plugin's `url` naming all three nodes.

The bench's data set (bench.data, streamed) goes in through LoadDids, one layout after the other, with the
plugin's `refresh = "false"`; then one index refresh (timed apart) and, on the cluster, a wait until every
replica is placed. The servers keep `refresh = "false"` for the measurements: a SetMetadata is acknowledged
once OpenSearch has it (in its translog, on every copy), not once a search can see it, and GetMetadata reads
documents in real time (mget).

Measured on both layouts, in alternating order per repetition: filtered listings whose keys live in ELASTIC
(their rows must be equal in both layouts, or the run fails), CountDids of a JSON key, GetMetadata (plugin
ELASTIC) and SetMetadata (a key ELASTIC owns) at concurrency 16 from a grpc.aio client. Every acknowledged
SetMetadata is read back at the end. Medians and the ratio cluster/single are printed and written to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from bench.cli import KEPT_HELP, add_output_arguments, work_directory
from bench.data import MAIN_SCOPE, SCOPES, batched, generate
from bench.procs import ServerProcess
from bench.report import loadavg, machine_info, percentile, write_document
from bench.run import git_state
from bench.scale import sample_keys
from bench.scenarios import Streamed, alternate, stream_batches, to_load_chunk
from didmeta.client import Client, LoadChunk
from didmeta.identifiers import DidKey
from didmeta.v1 import did_pb2, metadata_service_pb2, metadata_service_pb2_grpc
from didmeta.wire import metadata_to_wire
from tests.support.backends import RunningBackend, start_backend, start_opensearch_cluster, stop_backend

SMALL_SCOPE = SCOPES[1]  # mc23, ~10% of the DIDs
CONCURRENCY = 16
WRITE_KEY = "bench_write"  # not an optimised column: ELASTIC owns it
INDEX = "bench_elastic"
HTTP_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Case:
    """A measured read; `metric` says what is recorded: DIDs/s of the whole listing, its first batch's
    seconds, its total seconds, or the seconds of a CountDids."""

    name: str
    scope: str
    filter: str
    metric: str  # "rate" | "first_s" | "total_s" | "count_s"


def selective_filter(n: int) -> str:
    """`energy=V` with V the energy of the first DID of the small scope that has one: a handful of matches."""
    for did in generate(n):
        if did.scope == SMALL_SCOPE and "energy" in did.metadata:
            return f"energy={did.metadata['energy']!r}"
    raise RuntimeError(f"no DID of {SMALL_SCOPE} has an energy")


def cases(selective: str) -> list[Case]:
    return [
        Case("filter_eq_small_scope", SMALL_SCOPE, "data_format=RAW", "rate"),
        Case("filter_range_main_scope", MAIN_SCOPE, "energy>13000", "rate"),
        Case("filter_selective_first_batch", SMALL_SCOPE, selective, "first_s"),
        Case("filter_cross_plugin_small_scope", SMALL_SCOPE, "datatype=AOD,energy>13000", "total_s"),
        Case("count_json_small_scope", SMALL_SCOPE, "data_format=RAW", "count_s"),
    ]


#: every figure of the table: name -> unit ("DIDs/s" and "req/s": higher is better; "s": lower is better)
UNITS = {
    "load": "DIDs/s",
    "filter_eq_small_scope": "DIDs/s",
    "filter_range_main_scope": "DIDs/s",
    "filter_selective_first_batch": "s",
    "filter_cross_plugin_small_scope": "s",
    "count_json_small_scope": "s",
    "get_metadata_c16": "req/s",
    "get_metadata_c16_p99": "s",
    "set_metadata_c16": "req/s",
    "set_metadata_c16_p99": "s",
}


@dataclass
class Layout:
    label: str
    shards: int
    replicas: int
    node_count: int
    nodes: list[RunningBackend] = field(default_factory=list)
    server: ServerProcess | None = None
    client: Client | None = None
    load: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    written: dict[DidKey, int] = field(default_factory=dict)  # DID -> value of its last acknowledged write
    unanswered: dict[DidKey, set[int]] = field(default_factory=dict)  # DID -> values written after it, failed
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def options(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "index": INDEX,
            "flavor": "opensearch",
            "shards": self.shards,
            "replicas": self.replicas,
            "refresh": "false",
            "timeout_seconds": 120,  # creating a replicated index, large bulk requests on a busy machine
        }

    def record(self, name: str, value: float, rows: int | None = None) -> None:
        self.figures.setdefault(name, []).append(value)
        if rows is not None:
            known = self.rows.setdefault(name, rows)
            if known != rows:
                raise RuntimeError(f"{self.label} {name}: {rows} rows, {known} in an earlier repetition")


def http_json(method: str, url: str, timeout: float = HTTP_TIMEOUT_S) -> Any:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.load(answer)


# --- backends ------------------------------------------------------------------------------------------------
def start_layouts(workdir: Path) -> tuple[Layout, Layout]:
    """The single node (in a thread) and the 3-node cluster started at the same time; both stopped if one fails."""
    single, cluster = Layout("single", 1, 0, 1), Layout("cluster", 3, 1, 3)
    errors: list[BaseException] = []

    def start_single() -> None:
        try:
            single.nodes = [start_backend("opensearch", workdir / "single")]
        except BaseException as error:  # re-raised below, once the cluster's start has ended
            errors.append(error)

    thread = threading.Thread(target=start_single)
    thread.start()
    started = False
    try:
        cluster.nodes = start_opensearch_cluster(workdir / "cluster", nodes=3)  # stops its nodes if it fails
        started = True
    finally:
        thread.join()
        if errors or not started:
            stop_nodes([single, cluster])
    if errors:
        raise RuntimeError(f"the single OpenSearch node did not start: {errors[0]}")
    return single, cluster


def stop_nodes(layouts: Sequence[Layout]) -> None:
    for layout in layouts:
        for node in layout.nodes:
            stop_backend(node)  # by the PID in the node's directory
        layout.nodes = []


def index_facts(layout: Layout) -> dict[str, Any]:
    base = layout.nodes[0].url
    shards = http_json("GET", f"{base}/_cat/shards/{INDEX}?format=json&bytes=b")
    indices = http_json("GET", f"{base}/_cat/indices/{INDEX}?format=json&bytes=b")
    return {
        "shards": [{k: s.get(k) for k in ("shard", "prirep", "state", "docs", "store", "node")} for s in shards],
        "index": indices[0] if indices else {},
    }


# --- load ----------------------------------------------------------------------------------------------------
def load(layout: Layout, n: int, chunk: int, workdir: Path) -> None:
    """Catalogue + server for `layout`, every DID through one LoadDids call, one refresh, (cluster) green."""
    catalogue = f"sqlite:///{workdir / f'catalogue-{layout.label}.db'}"
    settings = {"plugins": ["DID_COLUMN", "ELASTIC"], "plugin_options": {"ELASTIC": layout.options()}}
    layout.server = ServerProcess(catalogue, workdir / f"server-{layout.label}", settings=settings).start()
    layout.client = Client(layout.server.target, timeout=None)
    for scope in SCOPES:
        layout.client.add_scope(scope, "root")
    messages: Iterator[LoadChunk] = (to_load_chunk(part) for part in batched(generate(n), chunk))
    start = time.perf_counter()
    created = layout.client.load(messages).created
    seconds = time.perf_counter() - start
    if created != n:
        raise RuntimeError(f"{layout.label}: LoadDids created {created} of {n} DIDs")
    start = time.perf_counter()
    http_json("POST", f"{layout.nodes[0].url}/{INDEX}/_refresh")
    refresh_s = time.perf_counter() - start
    start = time.perf_counter()
    health = http_json("GET", f"{layout.nodes[0].url}/_cluster/health/{INDEX}?wait_for_status=green&timeout=300s")
    if health.get("status") != "green":
        raise RuntimeError(f"{layout.label}: the index is {health.get('status')}, not green, after the load")
    layout.load = {
        "dids": created,
        "seconds": seconds,
        "dids_per_s": created / seconds,
        "chunk": chunk,
        "refresh_s": refresh_s,
        "green_wait_s": time.perf_counter() - start,
    }
    layout.record("load", created / seconds)
    print(f"{layout.label}: loaded {created:,} DIDs in {seconds:.1f} s ({created / seconds:,.0f}/s)", flush=True)


# --- reads ---------------------------------------------------------------------------------------------------
def run_case(client: Client, case: Case) -> tuple[int, float]:
    """(rows, the case's figure) of one run."""
    if case.metric == "count_s":
        start = time.perf_counter()
        count = client.count_dids(case.scope, case.filter, type="all")
        return count, time.perf_counter() - start
    run: Streamed = stream_batches(client, case.scope, case.filter, type="all")
    if case.metric == "rate":
        return run.rows, run.rows / run.total_s
    return run.rows, run.first_s if case.metric == "first_s" else run.total_s


@dataclass
class Driven:
    seconds: float
    latencies: list[float]
    acknowledged: list[int]  # indexes of the requests that succeeded
    failed: list[int]  # indexes of the requests whose answer was an error (a write may still have been applied)


async def drive(
    target: str, method: str, requests: Sequence[Any], concurrency: int, max_seconds: float, warm: int = 0
) -> Driven:
    """Each request once (in order, `concurrency` at a time, until `max_seconds`) over one grpc.aio channel."""
    async with grpc.aio.insecure_channel(target) as channel:
        call = getattr(metadata_service_pb2_grpc.MetadataServiceStub(channel), method)
        for request in requests[:warm]:
            await call(request, timeout=60)
        counter = iter(range(warm, len(requests)))
        latencies: list[float] = []
        acknowledged: list[int] = []
        failed: list[int] = []
        deadline = time.perf_counter() + max_seconds

        async def worker() -> None:
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                began = time.perf_counter()
                try:
                    await call(requests[i], timeout=60)
                except grpc.aio.AioRpcError:
                    failed.append(i)
                else:
                    acknowledged.append(i)
                latencies.append(time.perf_counter() - began)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Driven(time.perf_counter() - start, latencies, acknowledged, failed)


def get_requests(keys: Sequence[DidKey]) -> list[Any]:
    return [
        metadata_service_pb2.GetMetadataRequest(did=did_pb2.DidKey(scope=k.scope, name=k.name), plugin="ELASTIC")
        for k in keys
    ]


def set_requests(keys: Sequence[DidKey], rep: int) -> list[Any]:
    requests = []
    for i, k in enumerate(keys):
        request = metadata_service_pb2.SetMetadataRequest(did=did_pb2.DidKey(scope=k.scope, name=k.name))
        metadata_to_wire({WRITE_KEY: rep * 1_000_000 + i}, request.metadata)
        requests.append(request)
    return requests


def unary(layout: Layout, name: str, method: str, requests: Sequence[Any], max_seconds: float) -> Driven:
    assert layout.server is not None
    warm = 50 if method == "GetMetadata" else 0  # writes: every request counts (each DID written once)
    run = asyncio.run(drive(layout.server.target, method, requests, CONCURRENCY, max_seconds, warm))
    layout.record(name, len(run.latencies) / run.seconds)
    layout.record(f"{name}_p99", percentile(run.latencies, 0.99))
    layout.errors[name] = layout.errors.get(name, 0) + len(run.failed)
    return run


def measure(layout: Layout, reads: Sequence[Case], keys: Sequence[DidKey], rep: int, max_seconds: float) -> None:
    """One repetition of every figure on one layout."""
    assert layout.client is not None
    for case in reads:
        rows, figure = run_case(layout.client, case)
        layout.record(case.name, figure, rows)
    unary(layout, "get_metadata_c16", "GetMetadata", get_requests(keys), max_seconds)
    # Writes go to a different half of the keys in odd and even repetitions: no DID is written twice in a row.
    half = keys[rep % 2 :: 2]
    sets = set_requests(half, rep)
    run = unary(layout, "set_metadata_c16", "SetMetadata", sets, max_seconds)
    for i in run.acknowledged:
        layout.written[half[i]] = rep * 1_000_000 + i
        layout.unanswered.pop(half[i], None)
    for i in run.failed:  # its answer was lost: the value may be stored, or the acknowledged one kept
        layout.unanswered.setdefault(half[i], set()).add(rep * 1_000_000 + i)


def read_back(layout: Layout) -> dict[str, int]:
    """GetMetadataBulk (plugin ELASTIC) of every DID whose write was acknowledged: the value must be the last one."""
    assert layout.client is not None
    wrong = []
    keys = list(layout.written)
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        found = dict(layout.client.get_metadata_bulk(part, plugin="ELASTIC"))
        for key in part:
            stored = (found.get(key) or {}).get(WRITE_KEY)
            if stored != layout.written[key] and stored not in layout.unanswered.get(key, set()):
                wrong.append((f"{key.scope}:{key.name}", layout.written[key], stored))
    if wrong:
        raise RuntimeError(f"{layout.label}: {len(wrong)} acknowledged writes not read back, e.g. {wrong[:3]}")
    return {"acknowledged": len(keys), "read_back": len(keys)}


# --- report --------------------------------------------------------------------------------------------------
def summary(single: Layout, cluster: Layout, reads: Sequence[Case]) -> list[dict[str, Any]]:
    rows = []
    filters = {case.name: case for case in reads}
    for name, unit in UNITS.items():
        a, b = statistics.median(single.figures[name]), statistics.median(cluster.figures[name])
        row: dict[str, Any] = {
            "case": name,
            "unit": unit,
            "runs": {single.label: single.figures[name], cluster.label: cluster.figures[name]},
            "median": {single.label: a, cluster.label: b},
            "ratio_cluster_to_single": b / a if a else None,
        }
        if name in filters:
            case = filters[name]
            row.update(scope=case.scope, filter=case.filter, rows=single.rows[name])
            if single.rows[name] != cluster.rows[name]:  # checked before, kept here for the record
                raise RuntimeError(f"{name}: {single.rows[name]} rows on one node, {cluster.rows[name]} on the cluster")
        rows.append(row)
    return rows


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    print(f"\n{'case':34} {'rows':>8} {'unit':>7} {'single':>11} {'cluster':>11} {'cluster/single':>15}")
    for row in rows:
        ratio = row["ratio_cluster_to_single"]
        print(
            f"{row['case']:34} {row.get('rows', ''):>8} {row['unit']:>7} {row['median']['single']:>11.4g}"
            f" {row['median']['cluster']:>11.4g} {ratio if ratio is None else f'{ratio:.2f}':>15}"
        )


def check_rows(layouts: Sequence[Layout], reads: Sequence[Case]) -> None:
    single, cluster = layouts
    for case in reads:
        if single.rows.get(case.name) != cluster.rows.get(case.name):
            raise RuntimeError(
                f"{case.name} ({case.scope}: {case.filter}): {single.rows.get(case.name)} rows on one node, "
                f"{cluster.rows.get(case.name)} on the cluster"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="DIDs (default 1M)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=5_000, help="DIDs per LoadDids chunk")
    parser.add_argument("--unary-calls", type=int, default=2_000, help="GetMetadata calls per repetition")
    parser.add_argument("--unary-seconds", type=float, default=30.0, help="time cap of each unary measurement")
    add_output_arguments(parser, workdir_help=KEPT_HELP)
    args = parser.parse_args(argv)
    workdir = (work_directory(args.workdir, "didmeta-elastic-cluster-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    loadavg_start = loadavg()
    reads = cases(selective_filter(args.n))
    keys = sample_keys(args.n, min(args.unary_calls, args.n), seed=7)
    print("starting one OpenSearch node and a 3-node cluster", flush=True)
    layouts = list(start_layouts(workdir))
    start_s = time.perf_counter() - began
    print(f"started in {start_s:.0f} s", flush=True)
    checks: dict[str, Any] = {}
    try:
        for layout in layouts:  # one after the other: the loads do not compete for the 2 cores
            load(layout, args.n, args.chunk, workdir)
        for layout in layouts:  # one unmeasured pass of the reads each: caches as in a running service
            assert layout.client is not None
            for case in reads:
                run_case(layout.client, case)
        for rep in range(args.repeat):
            print(f"repetition {rep + 1} of {args.repeat}", flush=True)

            def one(layout: Layout, rep: int = rep) -> None:
                measure(layout, reads, keys, rep, args.unary_seconds)

            alternate(layouts, rep, one)
            check_rows(layouts, reads)  # fail loudly, as soon as the layouts disagree
        for layout in layouts:
            checks[layout.label] = read_back(layout)
            layout.facts = index_facts(layout)
    finally:
        for layout in layouts:
            if layout.client is not None:
                layout.client.close()
            if layout.server is not None:
                layout.server.stop()
        stop_nodes(layouts)
    single, cluster = layouts
    rows = summary(single, cluster, reads)
    print_table(rows)
    errors = {f"{layout.label} {name}": count for layout in layouts for name, count in layout.errors.items() if count}
    report = {
        "settings": {**vars(args), "out": str(args.out), "workdir": str(workdir), "concurrency": CONCURRENCY},
        "git": git_state(),
        "machine": {**machine_info(), "loadavg_start": loadavg_start, "loadavg_end": loadavg()},
        "layouts": {
            layout.label: {
                "shards": layout.shards,
                "replicas": layout.replicas,
                "nodes": layout.node_count,
                "load": layout.load,
                "writes": checks.get(layout.label),
                "index": layout.facts,
            }
            for layout in layouts
        },
        "results": rows,
        "errors": errors,
        "start_s": start_s,
        "wall_s": time.perf_counter() - began,
    }
    if errors:
        print(f"failed calls: {errors}", flush=True)
    write_document(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
