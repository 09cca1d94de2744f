"""PostgreSQL point reads on the event loop, in process: psycopg's AsyncConnection (the server's path) against asyncpg.

`python -m bench.pg_point_drivers --files 1000 --calls 3000 --repeat 5 --out bench/results/pg-point-drivers.json`

GetMetadata on PostgreSQL is awaited by the event loop over psycopg `AsyncConnection`s of its own
(`Dispatcher.get_metadata_async`, server/point.py, store/loop_pool.py): one prepared `SELECT` of the row.
What is left of its server CPU beyond the gRPC floor is mostly psycopg's own asynchronous machinery for
that one query. This bench times the server's path against the same prepared statement sent by asyncpg
(a driver with its protocol in C), on one connection each, the same row turned into the same metadata
(`PointAccess._metadata`), in one process on a throwaway cluster (tools/backends/postgres.sh), the two
ways alternating per repetition. It prints the median CPU and wall microseconds per call of each way and
the ratio psycopg / asyncpg. Both must give equal metadata. asyncpg is not a dependency of didmeta:
`.venv/bin/pip install asyncpg` first (the bench says so if it is missing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.loop_write import build
from bench.procs import Postgres, sqlalchemy_url
from bench.report import finish_document, standalone_document
from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.values import Metadata

Read = Callable[[DidKey], Awaitable[Metadata | None]]


async def asyncpg_reader(dispatcher: Dispatcher, url: str) -> tuple[Read, Callable[[], Awaitable[None]]]:
    """The point read's statement over one asyncpg connection, its row through the same conversion."""
    import asyncpg  # type: ignore[import-not-found,import-untyped,unused-ignore]

    point = dispatcher.point
    assert point is not None
    connection = await asyncpg.connect(url)
    statement = await connection.prepare(point._select.replace("%s", "$1", 1).replace("%s", "$2", 1))
    meta = len(point._results) - 1  # the row's last column, `meta` (jsonb, as text from asyncpg)

    async def read(key: DidKey) -> Metadata | None:
        record = await statement.fetchrow(key.scope, key.name)
        raw = list(record)
        if raw[meta] is not None:
            raw[meta] = json.loads(raw[meta])
        return point._metadata(key, raw, dispatcher.plugins)  # an ALL read: every plugin

    return read, connection.close


async def measure(dispatcher: Dispatcher, url: str, keys: list[DidKey], calls: int, repeat: int) -> dict[str, Any]:
    reads: dict[str, Read] = {"psycopg": lambda key: dispatcher.get_metadata_async(key, "ALL")}
    reads["asyncpg"], close = await asyncpg_reader(dispatcher, url)
    for key in keys[:50]:  # both ways give the same metadata; warm both connections
        first, second = await reads["psycopg"](key), await reads["asyncpg"](key)
        if first is None or first != second:
            raise SystemExit(f"the two ways disagree on {key}: {first} / {second}")
    cpu: dict[str, list[float]] = {name: [] for name in reads}
    wall: dict[str, list[float]] = {name: [] for name in reads}
    for rep in range(repeat):
        for name, read in reads.items():
            c0, w0 = time.process_time(), time.perf_counter()
            for i in range(calls):
                await read(keys[(rep * calls + i) % len(keys)])
            cpu[name].append((time.process_time() - c0) / calls * 1e6)
            wall[name].append((time.perf_counter() - w0) / calls * 1e6)
            print(f"  rep {rep + 1} {name:8s} cpu {cpu[name][-1]:6.1f} us  wall {wall[name][-1]:6.1f} us per call")
    await close()
    out: dict[str, Any] = {
        name: {"cpu_us": cpu[name], "wall_us": wall[name], "median_cpu_us": statistics.median(cpu[name])}
        for name in reads
    }
    out["ratio_cpu_psycopg_to_asyncpg"] = out["psycopg"]["median_cpu_us"] / out["asyncpg"]["median_cpu_us"]
    out["ratio_wall_psycopg_to_asyncpg"] = statistics.median(wall["psycopg"]) / statistics.median(wall["asyncpg"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    try:
        import asyncpg  # noqa: F401  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        sys.exit("asyncpg is not installed: .venv/bin/pip install asyncpg (it is not a didmeta dependency)")
    document = standalone_document("pg_point_drivers", files=args.files, calls=args.calls, repeat=args.repeat)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="didmeta-pgdrivers-", dir=args.workdir) as scratch:
        postgres = Postgres(Path(scratch) / "pg").start()
        try:
            url = postgres.fresh_database("drivers")
            dispatcher, keys = build(
                sqlalchemy_url(url), args.files, lambda i: {"run_number": i, "quality": "good", "e": i / 4}
            )
            try:
                document["results"] = asyncio.run(measure(dispatcher, url, keys, args.calls, args.repeat))
            finally:
                dispatcher.close()
        finally:
            postgres.stop()
    results = document["results"]
    print(
        f"median CPU per read: psycopg {results['psycopg']['median_cpu_us']:.1f} us, asyncpg "
        f"{results['asyncpg']['median_cpu_us']:.1f} us: psycopg / asyncpg "
        f"{results['ratio_cpu_psycopg_to_asyncpg']:.2f}x (wall {results['ratio_wall_psycopg_to_asyncpg']:.2f}x)"
    )
    finish_document(args.out, document)


if __name__ == "__main__":
    main()
