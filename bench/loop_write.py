"""SetMetadata on SQLite's event-loop writer, in process: the point path's write against the worker thread's.

`python -m bench.loop_write --files 1000 --calls 2000 --repeat 5 --out bench/results/loop-write.json`

On a SQLite file the servicer writes one DID's row on the event loop when the write lock is free
(`Dispatcher.set_metadata_on_loop`, server/point.py); otherwise the same write runs in a worker thread
through `Dispatcher.set_metadata` (the point path's statements through SQLAlchemy, or the generic path).
This bench times both in one process, on one catalogue of `--files` files, with no gRPC: two keys per
call (a DID column and a JSON key, both changed every call, so every call writes its row and two history
records), the two ways alternating per repetition. It prints the median and mean microseconds per call of
each repetition and the ratio of the medians (thread / loop). Every call must report one DID updated; the
loop's writes refused while the checkpoint thread holds the write lock are made the worker thread's way,
left out of the times and counted (`not_taken_by_loop_per_repetition`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.cli import add_call_arguments, add_output_arguments, scratch_directory
from bench.procs import Postgres, sqlalchemy_url
from bench.report import finish_document, standalone_document
from didmeta.identifiers import DidKey, DidType
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.values import Metadata

SCOPE = "data"


def build(url: str, files: int, metadata: Callable[[int], Metadata] | None = None) -> tuple[Dispatcher, list[DidKey]]:
    """A catalogue of `files` files f0, f1, ... in one scope (file i with `metadata(i)`, if given)."""
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), Store(url))
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    keys = [DidKey(SCOPE, f"f{i}") for i in range(files)]
    dispatcher.add_dids(
        [
            NewDid(NewDidSpec(key, DidType.FILE, "root", bytes=1), metadata(i) if metadata is not None else {})
            for i, key in enumerate(keys)
        ]
    )
    return dispatcher, keys


@contextmanager
def postgres_catalogue(
    workdir: Path | None, prefix: str, files: int, metadata: Callable[[int], Metadata]
) -> Iterator[tuple[Dispatcher, list[DidKey], str]]:
    """A throwaway PostgreSQL cluster (tools/backends/postgres.sh) holding a catalogue of `files` files (`build`):
    the started dispatcher, the files' keys and the database's URL (libpq form); all stopped at the end."""
    with scratch_directory(workdir, prefix) as scratch:
        postgres = Postgres(scratch / "pg").start()
        try:
            url = postgres.fresh_database("catalogue")
            dispatcher, keys = build(sqlalchemy_url(url), files, metadata)
            try:
                yield dispatcher, keys, url
            finally:
                dispatcher.close()
        finally:
            postgres.stop()


def ways(dispatcher: Dispatcher) -> dict[str, Callable[[DidKey, Metadata], int | None]]:
    return {
        "loop": lambda key, metadata: dispatcher.set_metadata_on_loop(key, metadata, "metadata"),
        "thread": lambda key, metadata: dispatcher.set_metadata([(key, metadata)], fields=["metadata"]),
    }


def timed(
    write: Callable[[DidKey, Metadata], int | None],
    keys: list[DidKey],
    calls: int,
    start: int,
    dispatcher: Dispatcher,
) -> tuple[list[float], int]:
    """Seconds per call, and the calls the loop did not take. Every call must update one DID. A loop write is
    refused while the checkpoint thread holds the write lock (server/store/checkpointer.py, every 200 loop
    writes): that call is then made the worker thread's way, as the server makes it, untimed and counted."""
    seconds, refused = [], 0
    for i in range(start, start + calls):
        key = keys[i % len(keys)]
        metadata: Metadata = {"run_number": i, "campaign": f"c{i}"}
        began = time.perf_counter()
        updated = write(key, metadata)
        elapsed = time.perf_counter() - began
        if updated is None:
            refused += 1
            updated = dispatcher.set_metadata([(key, metadata)], fields=["metadata"])
        else:
            seconds.append(elapsed)
        if updated != 1:
            raise SystemExit(f"a write updated {updated!r} DIDs, expected 1")
    return seconds, refused


def measure(dispatcher: Dispatcher, keys: list[DidKey], calls: int, repeat: int) -> dict[str, Any]:
    writes = ways(dispatcher)
    counter = 0
    for write in writes.values():  # warm-up: statements compiled, connections made
        timed(write, keys, min(calls, 200), counter, dispatcher)
        counter += min(calls, 200)
    medians: dict[str, list[float]] = {name: [] for name in writes}
    means: dict[str, list[float]] = {name: [] for name in writes}
    refused: dict[str, list[int]] = {name: [] for name in writes}
    for _ in range(repeat):
        for name, write in writes.items():
            seconds, not_taken = timed(write, keys, calls, counter, dispatcher)
            counter += calls
            medians[name].append(statistics.median(seconds) * 1e6)
            means[name].append(statistics.fmean(seconds) * 1e6)
            refused[name].append(not_taken)
    median = {name: statistics.median(values) for name, values in medians.items()}
    return {
        "median_us_per_repetition": medians,
        "mean_us_per_repetition": means,
        "not_taken_by_loop_per_repetition": refused,
        "median_us": median,
        "ratio_thread_to_loop": median["thread"] / median["loop"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_call_arguments(parser, files=1000, calls=2000)
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    document = standalone_document("loop_write", files=args.files, calls=args.calls)
    with scratch_directory(args.workdir, "didmeta-loop-write-") as scratch:
        dispatcher, keys = build(f"sqlite:///{scratch}/catalogue.db", args.files)
        try:
            result = measure(dispatcher, keys, args.calls, args.repeat)
        finally:
            dispatcher.close()
    document["result"] = result
    for name in ("loop", "thread"):
        per_repetition = ", ".join(f"{value:.0f}" for value in result["median_us_per_repetition"][name])
        refused = sum(result["not_taken_by_loop_per_repetition"][name])
        print(
            f"{name:7} median {result['median_us'][name]:7.1f} us per call   (repetitions: {per_repetition}; "
            f"not taken by the loop: {refused})"
        )
    print(f"thread / loop: {result['ratio_thread_to_loop']:.2f}x")
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
