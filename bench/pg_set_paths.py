"""PostgreSQL SetMetadata on the event loop, in process: the one-statement write against the optimistic one.

`python -m bench.pg_set_paths --files 2000 --calls 2000 --repeat 5 --out bench/results/pg-set-paths.json`

SetMetadata of the catalogue's own keys on PostgreSQL is awaited by the event loop (`Dispatcher.set_metadata_async`,
server/point.py). Where PostgreSQL can render the old values for the history it is one statement
(server/one_statement_write.py: the locking read, the UPDATE and the history insert, one round trip);
otherwise the optimistic write (the row read with its version, then the versioned UPDATE with its history:
two round trips). The bench times three ways over the loop's connections, one call at a time, in one process
on a throwaway cluster (tools/backends/postgres.sh), alternating per repetition:
- `get`: GetMetadata ALL (one prepared SELECT: the floor of a call that reaches PostgreSQL);
- `set one statement`: SetMetadata of an int column and a JSON string, as the unary bench writes them;
- `set optimistic`: the same write with the one statement turned off (`PointAccess._one_statement = None`).
It prints, per way, the median CPU of this process per call (Python, asyncpg) and the median wall time per call;
their difference is the time outside the process (PostgreSQL's work and the socket). Every write must record
its two history rows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.cli import add_call_arguments, add_output_arguments
from bench.loop_write import postgres_catalogue
from bench.report import finish_document, standalone_document
from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.values import Metadata

Call = Callable[[DidKey, int], Awaitable[None]]


def ways(dispatcher: Dispatcher) -> dict[str, Call]:
    point = dispatcher.point
    assert point is not None
    one_statement = point._one_statement

    async def get(key: DidKey, _: int) -> None:
        if await dispatcher.get_metadata_async(key, "ALL") is None:
            raise SystemExit(f"GetMetadata of {key} was not taken by the event loop")

    def setter(statement: Any) -> Call:
        async def write(key: DidKey, i: int) -> None:
            point._one_statement = statement
            metadata: Metadata = {"lumiblocknr": i, "bench_note": f"note-{i}"}
            written = await dispatcher.set_metadata_async(key, metadata, "metadata")
            if written is None:  # the declared keys' cache expired: read them (as the server does), then again
                dispatcher.keys.all()
                written = await dispatcher.set_metadata_async(key, metadata, "metadata")
            if written != 1:
                raise SystemExit(f"SetMetadata of {key} was not taken by the event loop")

        return write

    return {"get": get, "set one statement": setter(one_statement), "set optimistic": setter(None)}


def history_rows(dispatcher: Dispatcher) -> int:
    with dispatcher.store.read() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM history WHERE action = 'set'").scalar_one())


async def measure(dispatcher: Dispatcher, keys: list[DidKey], calls: int, repeat: int) -> dict[str, Any]:
    calls_of = ways(dispatcher)
    dispatcher.keys.all()
    for call in calls_of.values():  # warm the connections and the statements
        for i, key in enumerate(keys[:50]):
            await call(key, -1 - i)
    cpu: dict[str, list[float]] = {name: [] for name in calls_of}
    wall: dict[str, list[float]] = {name: [] for name in calls_of}
    value = 0
    for rep in range(repeat):
        for name, call in calls_of.items():
            before = history_rows(dispatcher)
            c0, w0 = time.process_time(), time.perf_counter()
            for i in range(calls):
                value += 1
                await call(keys[(rep * calls + i) % len(keys)], value)
            cpu[name].append((time.process_time() - c0) / calls * 1e6)
            wall[name].append((time.perf_counter() - w0) / calls * 1e6)
            recorded = history_rows(dispatcher) - before
            if recorded != (0 if name == "get" else 2 * calls):
                raise SystemExit(f"{name}: {recorded} history rows for {calls} calls")
            print(f"  rep {rep + 1} {name:18s} cpu {cpu[name][-1]:6.1f} us  wall {wall[name][-1]:6.1f} us per call")
    out: dict[str, Any] = {}
    for name in calls_of:
        cpu_us, wall_us = statistics.median(cpu[name]), statistics.median(wall[name])
        out[name] = {
            "cpu_us": cpu[name],
            "wall_us": wall[name],
            "median_cpu_us": cpu_us,
            "median_wall_us": wall_us,
            "median_outside_us": wall_us - cpu_us,
        }
    one, optimistic = out["set one statement"], out["set optimistic"]
    out["ratio_cpu_optimistic_to_one_statement"] = optimistic["median_cpu_us"] / one["median_cpu_us"]
    out["ratio_wall_optimistic_to_one_statement"] = optimistic["median_wall_us"] / one["median_wall_us"]
    return out


def file_metadata(i: int) -> Metadata:
    return {"run_number": i, "bench_note": "x"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_call_arguments(parser, files=2000, calls=2000)
    add_output_arguments(parser)
    args = parser.parse_args()
    document = standalone_document("pg_set_paths", files=args.files, calls=args.calls, repeat=args.repeat)
    with postgres_catalogue(args.workdir, "didmeta-pgset-", args.files, file_metadata) as (dispatcher, keys, _):
        document["results"] = asyncio.run(measure(dispatcher, keys, args.calls, args.repeat))
    results = document["results"]
    for name in ("get", "set one statement", "set optimistic"):
        way = results[name]
        print(
            f"{name:18s} median CPU {way['median_cpu_us']:6.1f} us, wall {way['median_wall_us']:6.1f} us, "
            f"outside the process {way['median_outside_us']:6.1f} us per call"
        )
    print(
        f"optimistic / one statement: CPU {results['ratio_cpu_optimistic_to_one_statement']:.2f}x, "
        f"wall {results['ratio_wall_optimistic_to_one_statement']:.2f}x"
    )
    finish_document(args.out, document)


if __name__ == "__main__":
    main()
