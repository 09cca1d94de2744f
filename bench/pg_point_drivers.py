"""PostgreSQL point reads on the event loop, in process: the server's path (asyncpg) against psycopg's AsyncConnection.

`python -m bench.pg_point_drivers --files 1000 --calls 3000 --repeat 5 --out bench/results/pg-point-drivers.json`

GetMetadata on PostgreSQL is awaited by the event loop over connections of its own
(`Dispatcher.get_metadata_async`, server/point.py, store/loop_pool.py): one prepared `SELECT` of the row.
Those connections were psycopg `AsyncConnection`s until this bench showed that asyncpg (a driver with its
protocol in C) sends the same statement for less than half the CPU; they are asyncpg's now. The bench times
the server's path (asyncpg) against the same prepared statement over psycopg's `AsyncConnection`
(`prepare_threshold=0`, autocommit: the former path), one connection each, the same row turned into the
same metadata (`PointAccess._metadata`), in one process on a throwaway cluster (tools/backends/postgres.sh),
the two ways alternating per repetition (the server's way also pays for the dispatcher's routing of the
call, a few microseconds, which the psycopg way skips). It prints the median CPU and wall microseconds per
call of each way and the ratio psycopg / asyncpg. Both must give equal metadata.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from bench.cli import add_call_arguments, add_output_arguments
from bench.loop_write import postgres_catalogue
from bench.report import finish_document, standalone_document
from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.values import Metadata

Read = Callable[[DidKey], Awaitable[Metadata | None]]


async def psycopg_reader(dispatcher: Dispatcher, url: str) -> tuple[Read, Callable[[], Awaitable[None]]]:
    """The point read's statement over one psycopg `AsyncConnection` (the former loop path), its row through
    the same conversion."""
    point = dispatcher.point
    assert point is not None
    connection = await psycopg.AsyncConnection.connect(url, autocommit=True, prepare_threshold=0)

    async def read(key: DidKey) -> Metadata | None:
        cursor = await connection.execute(point._select, (key.scope, key.name))
        return point._metadata(key, await cursor.fetchone(), dispatcher.plugins)  # an ALL read: every plugin

    return read, connection.close


async def measure(dispatcher: Dispatcher, url: str, keys: list[DidKey], calls: int, repeat: int) -> dict[str, Any]:
    reads: dict[str, Read] = {"asyncpg": lambda key: dispatcher.get_metadata_async(key, "ALL")}  # the server's path
    reads["psycopg"], close = await psycopg_reader(dispatcher, url)
    for key in keys[:50]:  # both ways give the same metadata; warm both connections
        first, second = await reads["asyncpg"](key), await reads["psycopg"](key)
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


def file_metadata(i: int) -> Metadata:
    return {"run_number": i, "quality": "good", "e": i / 4}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_call_arguments(parser, files=1000, calls=3000)
    add_output_arguments(parser)
    args = parser.parse_args()
    document = standalone_document("pg_point_drivers", files=args.files, calls=args.calls, repeat=args.repeat)
    with postgres_catalogue(args.workdir, "didmeta-pgdrivers-", args.files, file_metadata) as (dispatcher, keys, url):
        document["results"] = asyncio.run(measure(dispatcher, url, keys, args.calls, args.repeat))
    results = document["results"]
    print(
        f"median CPU per read: psycopg {results['psycopg']['median_cpu_us']:.1f} us, asyncpg "
        f"{results['asyncpg']['median_cpu_us']:.1f} us: psycopg / asyncpg "
        f"{results['ratio_cpu_psycopg_to_asyncpg']:.2f}x (wall {results['ratio_wall_psycopg_to_asyncpg']:.2f}x)"
    )
    finish_document(args.out, document)


if __name__ == "__main__":
    main()
