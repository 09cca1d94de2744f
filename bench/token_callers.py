"""Unary calls of a non-admin caller in token mode: GetMetadata and small listings against Health.Check.

The main suite runs its server in `local` mode, where every caller is an admin. In production callers
present tokens and are not admins: embargoes apply to them and their rights are checked per call. This
bench starts a token-mode server on a SQLite file, fills one scope (owned by `root`) with files of 100
runs, and drives four calls at concurrency 16 with a `grpc.aio` client in this process, each as `alice`
(she may read the scope, it is not restricted; her token carries `didmeta.write` on it for the writes):
Health.Check (the floor), GetMetadata of a random file, ListDids of one run (some 30 DIDs), SetMetadata
of one key on a random file; then the last three again once an embargo is in force on one file (her
calls then check each DID for embargoes: the point read's, the quick listing's and the point write's
own statements; before that check they took the general path). It prints
req/s and the server's CPU per call of each repetition, the medians, and their ratios to Health.Check's.

    .venv/bin/python -m bench.token_callers --out bench/results/token-callers.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.cli import add_output_arguments, scratch_directory
from bench.report import loadavg, machine_info
from bench.run import git_state
from bench.scenarios import cpu_seconds
from didmeta.v1 import did_pb2, did_service_pb2, did_service_pb2_grpc, filter_pb2
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.v1 import metadata_service_pb2_grpc as pb_grpc
from didmeta.wire import metadata_to_wire
from tests.support.auth import ISSUER, SECRET, hs256_token
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess

SCOPE = "tb"
FILES = 3000
RUNS = 100
CONCURRENCY = 16
Call = Callable[[random.Random], Awaitable[Any]]


def bearer(account: str, scope: str = "") -> list[tuple[str, str]]:
    return [("authorization", "Bearer " + hs256_token(account, scope, ttl=3600))]


async def fill(channel: grpc.aio.Channel) -> None:
    dids = did_service_pb2_grpc.DidServiceStub(channel)
    root = bearer("root")
    await dids.AddScope(did_service_pb2.AddScopeRequest(scope=SCOPE, account="root"), metadata=root)
    for start in range(0, FILES, 500):
        new = []
        for i in range(start, start + 500):
            did = did_pb2.NewDid(scope=SCOPE, name=f"f{i}", type=did_pb2.DID_TYPE_FILE, bytes=i)
            metadata_to_wire({"run_number": i % RUNS}, did.metadata)
            new.append(did)
        await dids.AddDids(did_service_pb2.AddDidsRequest(dids=new), metadata=root)


def calls(channel: grpc.aio.Channel) -> dict[str, Call]:
    health = health_pb2_grpc.HealthStub(channel)
    metadata = pb_grpc.MetadataServiceStub(channel)
    alice = bearer("alice")
    alice_writer = bearer("alice", f"didmeta.write:{SCOPE}")

    async def check(_: random.Random) -> Any:
        return await health.Check(health_pb2.HealthCheckRequest())

    async def get(rng: random.Random) -> Any:
        key = did_pb2.DidKey(scope=SCOPE, name=f"f{rng.randrange(FILES)}")
        return await metadata.GetMetadata(pb.GetMetadataRequest(did=key), metadata=alice)

    async def small_listing(rng: random.Random) -> Any:
        request = pb.ListDidsRequest(
            scope=SCOPE,
            type=did_pb2.DID_TYPE_SELECTOR_ALL,
            filter=filter_pb2.Filter(expression=f"run_number={rng.randrange(RUNS)}"),
        )
        return [response async for response in metadata.ListDids(request, metadata=alice)]

    async def set_one(rng: random.Random) -> Any:
        key = did_pb2.DidKey(scope=SCOPE, name=f"f{rng.randrange(1, FILES)}")
        request = pb.SetMetadataRequest(did=key)
        metadata_to_wire({"campaign": f"c{rng.randrange(10)}"}, request.metadata)
        return await metadata.SetMetadata(request, metadata=alice_writer)

    return {
        "Health.Check": check,
        "GetMetadata (alice)": get,
        "ListDids small (alice)": small_listing,
        "SetMetadata (alice)": set_one,
    }


async def measure(server: ServerProcess, call: Call, count: int) -> dict[str, float]:
    assert server.process is not None
    pid, rng, left = server.process.pid, random.Random(1), [count]

    async def worker() -> None:
        while left[0] > 0:
            left[0] -= 1
            await call(rng)

    cpu, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - started
    return {"rate": count / seconds, "server_cpu_us_per_call": (cpu_seconds(pid) - cpu) / count * 1e6}


async def embargo_one(channel: grpc.aio.Channel) -> None:
    """An embargo in force on one file (not one the calls ask for by name: f0's run is listed, though)."""
    until = Timestamp()
    until.FromSeconds(int(time.time()) + 86_400)
    request = did_service_pb2.SetEmbargoRequest(did=did_pb2.DidKey(scope=SCOPE, name="f0"), until=until)
    await did_service_pb2_grpc.DidServiceStub(channel).SetEmbargo(request, metadata=bearer("root"))


async def run(server: ServerProcess, count: int, repeat: int) -> dict[str, list[dict[str, float]]]:
    async with grpc.aio.insecure_channel(server.address) as channel:
        await fill(channel)
        results: dict[str, list[dict[str, float]]] = {}
        measured = calls(channel)
        for embargo in (False, True):
            if embargo:
                await embargo_one(channel)
            for base, call in measured.items():
                if embargo and base == "Health.Check":
                    continue
                name = base + " + an embargo" if embargo else base
                await measure(server, call, 200)  # warm-up
                results[name] = []
                for repetition in range(repeat):
                    figures = await measure(server, call, count)
                    results[name].append(figures)
                    print(
                        f"{name:38s} rep {repetition}  {figures['rate']:8,.0f} req/s  "
                        f"server CPU {figures['server_cpu_us_per_call']:6,.0f} µs/call",
                        flush=True,
                    )
        return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per repetition (default 3000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    auth = {"mode": "token", "hs256_secret": SECRET, "issuers": [ISSUER], "admin_accounts": ["root"]}
    start_load, started = loadavg(), time.monotonic()
    with scratch_directory(args.workdir, "didmeta-token-bench-") as scratch:
        directory = scratch
        server = ServerProcess(directory / "server", {"database": new_sqlite_database(directory), "auth": auth})
        server.start()
        try:
            results = asyncio.run(run(server, args.calls, args.repeat))
        finally:
            server.stop()
    floor = statistics.median(r["rate"] for r in results["Health.Check"])
    floor_cpu = statistics.median(r["server_cpu_us_per_call"] for r in results["Health.Check"])
    summary = {}
    print(f"\n{'call':38s} {'median req/s':>12s} {'vs floor':>9s} {'CPU µs/call':>12s} {'CPU vs floor':>13s}")
    for name, runs in results.items():
        rate = statistics.median(r["rate"] for r in runs)
        cpu = statistics.median(r["server_cpu_us_per_call"] for r in runs)
        summary[name] = {"rate": rate, "ratio": rate / floor, "server_cpu_us_per_call": cpu}
        summary[name]["cpu_ratio"] = cpu / floor_cpu
        print(f"{name:38s} {rate:12,.0f} {rate / floor:9.2f} {cpu:12,.0f} {cpu / floor_cpu:13.2f}")
    if args.out is not None:
        record = {
            "command": "python -m bench.token_callers " + " ".join(sys.argv[1:] if argv is None else argv),
            "settings": {"calls": args.calls, "repeat": args.repeat, "concurrency": CONCURRENCY, "files": FILES},
            "git": git_state(),
            "machine": machine_info(),
            "loadavg": {"start": start_load, "end": loadavg()},
            "elapsed_s": round(time.monotonic() - started, 1),
            "results": results,
            "summary": summary,
        }
        args.out.write_text(json.dumps(record, indent=1) + "\n")
        print(f"results: {args.out}")


if __name__ == "__main__":
    main()
