"""Memory of `didmeta serve --workers N`'s workers: how much of each stays shared with the supervisor.

`python -m bench.worker_memory --workers 2 --repeat 2 --out bench/results/worker-memory.json`

Starts the server with N workers on an empty SQLite catalogue, twice per repetition, alternating: with the
collector as the server sets it up (`server/collector.py`: the supervisor freezes its objects before
each fork, each worker freezes its start-up heap and raises the young threshold) and with
`DIDMETA_GC_YOUNG_THRESHOLD=0` (Python's collector, untouched). A page the workers inherit stays shared
until a worker writes to it; a pass of the collector writes to every object it walks. Each worker's
`/proc/PID/smaps_rollup` is read once the workers serve and again after `--calls` Health.Check calls and
`--calls / 10` listings per connection, over four connections (the kernel spreads connections over the
workers). Printed: per
way, the median over workers and repetitions of Rss, Pss and Private_Dirty in MB, and the ratio of
Private_Dirty (Python's / the server's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.cli import add_output_arguments, scratch_directory
from bench.procs import ServerProcess, children
from bench.report import finish_document, standalone_document

WAYS = {"server": {}, "python": {"DIDMETA_GC_YOUNG_THRESHOLD": "0"}}
FIELDS = ("Rss", "Pss", "Shared_Dirty", "Private_Dirty")
CONNECTIONS = 4


def rollup(pid: int) -> dict[str, float]:
    """The process's memory totals (MB) from /proc/PID/smaps_rollup."""
    sizes: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        sizes[name] = int(value.split()[0]) / 1024
    return {name: sizes[name] for name in FIELDS}


def call(port: int, calls: int) -> None:
    """Health.Check and short listings over `CONNECTIONS` connections (one each, in turn)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from didmeta.client import Client

    for _ in range(CONNECTIONS):
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for _ in range(calls):
                stub.Check(health_pb2.HealthCheckRequest())
        with Client(f"127.0.0.1:{port}") as client:
            for _ in range(calls // 10):
                list(client.list_dids("bench"))


def measure_once(way: str, workers: int, calls: int, scratch: Path) -> dict[str, Any]:
    """One server with `workers` workers: each worker's memory after start and after the calls."""
    from didmeta.client import Client

    database = f"sqlite:///{scratch / f'{way}-{time.monotonic_ns()}.db'}"
    settings = {"workers": workers}
    with ServerProcess(database, scratch / "server", extra_env=WAYS[way], settings=settings) as server:
        pids = children(server.pid)
        if len(pids) != workers:
            raise RuntimeError(f"{len(pids)} workers, expected {workers}")
        with Client(server.target) as client:
            client.add_scope("bench", "root")
        started = [rollup(pid) for pid in pids]
        call(server.port, calls)
        return {"after_start": started, "after_calls": [rollup(pid) for pid in pids]}


def measure(workers: int, calls: int, repeat: int, scratch: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    for _ in range(repeat):
        for way in WAYS:
            runs[way].append(measure_once(way, workers, calls, scratch))
    medians = {
        way: {
            phase: {
                name: statistics.median(sizes[name] for run in runs[way] for sizes in run[phase]) for name in FIELDS
            }
            for phase in ("after_start", "after_calls")
        }
        for way in WAYS
    }
    after = {way: medians[way]["after_calls"]["Private_Dirty"] for way in WAYS}
    return {"runs": runs, "median_mb": medians, "ratio_private_python_to_server": after["python"] / after["server"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--calls", type=int, default=2000, help="Health.Check calls per connection")
    parser.add_argument("--repeat", type=int, default=2, help="repetitions (the two ways alternate)")
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    document = standalone_document("worker_memory", workers=args.workers, calls=args.calls, repeat=args.repeat)
    with scratch_directory(args.workdir, "didmeta-worker-memory-") as scratch:
        result = measure(args.workers, args.calls, args.repeat, scratch)
    document["result"] = result
    for way in WAYS:
        for phase in ("after_start", "after_calls"):
            sizes = result["median_mb"][way][phase]
            text = "  ".join(f"{name} {sizes[name]:6.1f}" for name in FIELDS)
            print(f"{way:7} {phase:12} MB per worker: {text}")
    print(f"Private_Dirty after the calls, python / server: {result['ratio_private_python_to_server']:.2f}x")
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
