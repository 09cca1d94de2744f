"""Embargo look-ups of a few DIDs under a large recursive embargo: walking up against walking down.

`python -m bench.embargo_lookups --files 100000 --out bench/results/embargo-lookups.json`

A non-admin caller's look-up of a DID (GetMetadata, SetMetadata, attachments: `Viewer.visible_keys`) asks
whether an embargo hides it. The listing condition (`Viewer.visible`) answers by walking down from every
embargo in force to the DIDs below the recursive ones; `Viewer.visible_among` walks up from the DIDs asked
for to their ancestors. This bench builds, per database (SQLite file, and PostgreSQL from
tools/backends/postgres.sh unless `--db sqlite`), one scope with a dataset of `--files` files under a
container, a recursive embargo on the container, and a second scope with unrelated files; then, for a
caller who owns neither scope, it times each way (alternating, `--repeat` times each) for one unrelated
file, one hidden file, and 100 files of which half are hidden. Both ways must find the same visible DIDs.
It prints medians in ms and the ratio walk-down / walk-up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from bench.cli import add_output_arguments, scratch_directory
from bench.procs import Postgres
from bench.report import finish_document, standalone_document
from didmeta.identifiers import DidKey, DidType
from didmeta.server.access.embargo import Viewer
from didmeta.server.access.identity import Identity
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.store.catalog import NewDidSpec, keys_in, utcnow
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import dids

CALLER = Identity("alice", False)  # owns neither scope: the embargo hides the dataset's files from her
CHUNK = 5000


def build(url: str, files: int) -> Dispatcher:
    dispatcher = Dispatcher.from_settings(Settings.model_validate({}), Store(url))
    dispatcher.start()
    dispatcher.add_scope("data", "root")
    dispatcher.add_scope("user", "root")
    container, dataset = DidKey("data", "all"), DidKey("data", "ds")
    dispatcher.add_dids(
        [NewDid(NewDidSpec(container, DidType.CONTAINER, "root")), NewDid(NewDidSpec(dataset, DidType.DATASET, "root"))]
    )
    dispatcher.attach([(container, dataset)])
    for start in range(0, files, CHUNK):
        keys = [DidKey("data", f"f{i}") for i in range(start, min(files, start + CHUNK))]
        dispatcher.add_dids([NewDid(NewDidSpec(key, DidType.FILE, "root", bytes=1)) for key in keys])
        dispatcher.attach([(dataset, key) for key in keys])
    dispatcher.add_dids(
        [NewDid(NewDidSpec(DidKey("user", f"u{i}"), DidType.FILE, "root", bytes=1)) for i in range(100)]
    )
    until = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    dispatcher.set_embargo(container, until, True, "root")
    return dispatcher


def walk_down(conn: Connection, viewer: Viewer, keys: list[DidKey]) -> set[DidKey]:
    """The listing condition over the keys (what look-ups ran before `visible_among`)."""
    query = select(dids.c.scope, dids.c.name).where(
        keys_in(dids.c.scope, dids.c.name, keys), viewer.visible(dids.c.scope, dids.c.name)
    )
    return {DidKey(scope, name) for scope, name in conn.execute(query)}


def walk_up(conn: Connection, viewer: Viewer, keys: list[DidKey]) -> set[DidKey]:
    return viewer.visible_keys(conn, keys)


def timed(
    dispatcher: Dispatcher, way: Callable[[Connection, Viewer, list[DidKey]], set[DidKey]], keys: list[DidKey]
) -> tuple[float, set[DidKey]]:
    viewer = Viewer(dispatcher.store.dialect, CALLER, now=utcnow())
    with dispatcher.store.read() as conn:
        started = time.perf_counter()
        found = way(conn, viewer, keys)
        return time.perf_counter() - started, found


def measure(dispatcher: Dispatcher, files: int, repeat: int) -> list[dict[str, Any]]:
    cases = {
        "1 unrelated file": [DidKey("user", "u7")],
        "1 hidden file": [DidKey("data", f"f{files // 2}")],
        "100 files, half hidden": [DidKey("data", f"f{i}") for i in range(50)]
        + [DidKey("user", f"u{i}") for i in range(50)],
    }
    rows = []
    for case, keys in cases.items():
        times: dict[str, list[float]] = {"walk down": [], "walk up": []}
        for i in range(repeat):
            order = [("walk down", walk_down), ("walk up", walk_up)]
            for name, way in order if i % 2 == 0 else order[::-1]:
                seconds, found = timed(dispatcher, way, keys)
                times[name].append(seconds)
                if name == "walk down":
                    expected = found
                elif found != expected:
                    raise AssertionError(f"{case}: walking up found {len(found)} DIDs, walking down {len(expected)}")
        medians = {name: statistics.median(values) * 1e3 for name, values in times.items()}
        rows.append(
            {
                "case": case,
                "keys": len(keys),
                "median_ms": medians,
                "ms": {name: [round(v * 1e3, 3) for v in values] for name, values in times.items()},
                "ratio_down_to_up": medians["walk down"] / medians["walk up"],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000, help="files below the embargoed container")
    parser.add_argument("--repeat", type=int, default=11, help="timings per way and case")
    parser.add_argument("--db", default="sqlite,postgres", help="comma list of sqlite, postgres")
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    document = standalone_document("embargo_lookups", files=args.files, results=[])
    with scratch_directory(args.workdir, "didmeta-embargo-") as scratch:
        for db in args.db.split(","):
            postgres = Postgres(scratch / "postgres").start() if db == "postgres" else None
            try:
                url = postgres.fresh_database("embargo") if postgres else f"sqlite:///{scratch}/catalogue.db"
                dispatcher = build(url, args.files)
                try:
                    for row in measure(dispatcher, args.files, args.repeat):
                        document["results"].append({"db": db, **row})
                        down, up = row["median_ms"]["walk down"], row["median_ms"]["walk up"]
                        print(
                            f"{db:9} {row['case']:24} walk down {down:9.2f} ms   walk up {up:7.2f} ms   "
                            f"ratio {row['ratio_down_to_up']:7.1f}x",
                            flush=True,
                        )
                finally:
                    dispatcher.close()
            finally:
                if postgres is not None:
                    postgres.stop()
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
