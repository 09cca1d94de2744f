"""SQLite WAL checkpoints on the event loop against off it: how long each loop write holds the loop.

`python -m bench.sqlite_checkpoints --files 1000 --calls 4000 --repeat 5 --out bench/results/sqlite-checkpoints.json`

The event loop's SQLite writer (`Dispatcher.set_metadata_on_loop`, server/point.py) commits on the loop.
With SQLite's automatic checkpoints a commit past 1,000 pages of log checkpoints in that call; the server
leaves them to a thread of its own instead (server/store/checkpointer.py). This bench times both ways in
one process on one catalogue, alternating per repetition: `thread` is the server as it is, `loop` the
same writer with SQLite's automatic checkpoints (`wal_autocheckpoint=1000`, no checkpoint thread).

What is timed is the loop's own call, the time the event loop could serve nothing else. A write the loop
does not take (the checkpoint thread holds the write lock at that moment) returns at once and is then
made as a worker thread would make it, untimed and counted. Per repetition: median, p99, p99.9 and
largest call, calls over 2 ms, the log's size at the end; the medians over repetitions and the ratios
loop / thread are printed. Every write must update one DID.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.cli import add_call_arguments, add_output_arguments, scratch_directory
from bench.loop_write import build
from bench.report import finish_document, standalone_document
from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.store.checkpointer import Checkpointer
from didmeta.values import Metadata

SLOW_S = 0.002


def automatic(dispatcher: Dispatcher, on: bool, checkpointer: Checkpointer) -> None:
    """`on`: the loop's writer checkpoints as SQLite does by default; off: the server's way."""
    point = dispatcher.point
    assert point is not None and point._loop_writer is not None
    driver = point._loop_writer.connection.dbapi_connection
    assert driver is not None
    driver.execute(f"PRAGMA wal_autocheckpoint={1000 if on else 0}")
    point._checkpointer = None if on else checkpointer


def repetition(dispatcher: Dispatcher, keys: list[DidKey], calls: int, start: int, wal: Path) -> dict[str, Any]:
    seconds, refused = [], 0
    for i in range(start, start + calls):
        key = keys[i % len(keys)]
        metadata: Metadata = {"run_number": i, "campaign": f"c{i}" * 20}
        began = time.perf_counter()
        updated = dispatcher.set_metadata_on_loop(key, metadata, "metadata")
        seconds.append(time.perf_counter() - began)
        if updated is None:
            refused += 1
            updated = dispatcher.set_metadata([(key, metadata)], fields=["metadata"])
        if updated != 1:
            raise SystemExit(f"a write updated {updated!r} DIDs, expected 1")
    seconds.sort()
    return {
        "median_us": statistics.median(seconds) * 1e6,
        "p99_us": seconds[int(len(seconds) * 0.99)] * 1e6,
        "p999_us": seconds[int(len(seconds) * 0.999)] * 1e6,
        "max_us": seconds[-1] * 1e6,
        "over_2ms": sum(s > SLOW_S for s in seconds),
        "not_taken_by_loop": refused,
        "wal_mb": wal.stat().st_size / 2**20,
    }


def measure(dispatcher: Dispatcher, keys: list[DidKey], calls: int, repeat: int, wal: Path) -> dict[str, Any]:
    point = dispatcher.point
    assert point is not None and point._checkpointer is not None
    checkpointer = point._checkpointer
    assert dispatcher.set_metadata_on_loop(keys[0], {"run_number": -1}, "metadata") == 1  # the loop's writer made
    counter = 0
    runs: dict[str, list[dict[str, Any]]] = {"thread": [], "loop": []}
    for _ in range(repeat):
        for name, results in runs.items():
            automatic(dispatcher, name == "loop", checkpointer)
            results.append(repetition(dispatcher, keys, calls, counter, wal))
            counter += calls
    automatic(dispatcher, False, checkpointer)
    medians = {
        name: {field: statistics.median(r[field] for r in results) for field in results[0]}
        for name, results in runs.items()
    }
    ratios = {
        field: medians["loop"][field] / medians["thread"][field]
        for field in ("median_us", "p99_us", "p999_us", "max_us")
        if medians["thread"][field]
    }
    return {"repetitions": runs, "medians": medians, "ratio_loop_to_thread": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_call_arguments(parser, files=1000, calls=4000)
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    document = standalone_document("sqlite_checkpoints", files=args.files, calls=args.calls, repeat=args.repeat)
    with scratch_directory(args.workdir, "didmeta-checkpoints-") as scratch:
        dispatcher, keys = build(f"sqlite:///{scratch}/catalogue.db", args.files)
        try:
            result = measure(dispatcher, keys, args.calls, args.repeat, scratch / "catalogue.db-wal")
        finally:
            dispatcher.close()
    document["result"] = result
    for name, m in result["medians"].items():
        print(
            f"{name:7} loop's call: median {m['median_us']:6.0f} us, p99 {m['p99_us']:6.0f}, "
            f"p99.9 {m['p999_us']:6.0f}, max {m['max_us']:6.0f}; {m['over_2ms']:.0f} calls over 2 ms, "
            f"{m['not_taken_by_loop']:.0f} not taken; log {m['wal_mb']:.1f} MB"
        )
    ratios = ", ".join(f"{field} {value:.2f}x" for field, value in result["ratio_loop_to_thread"].items())
    print(f"loop / thread: {ratios}")
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
