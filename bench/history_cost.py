"""The audit history's cost on a bulk load, and the embargo's on listings: `python -m bench.history_cost --n 100000`.

Loads N files (3 metadata keys each) in chunks of 5,000 into 100 datasets through the Dispatcher
(the code LoadDids runs, without gRPC), once with the history recorded and once with recording
switched off, each into a fresh SQLite database, and prints both times and the overhead. Then lists
the scope as an admin, as a non-admin caller with no embargo, and as one with 10 of the 100 datasets
under a recursive embargo. Reported in docs/performance.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection

from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.plugins.did_column import DidColumnPlugin
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.server.access.identity import Identity, current_identity
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.history import Change, History
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store

SCOPE = "bench"
CHUNK = 5000


class NoHistory(History):
    def record(self, conn: Connection, changes: Sequence[Change]) -> None:
        return None


def load(url: str, n: int, history: History) -> float:
    store = Store(url)
    dispatcher = Dispatcher(store, [DidColumnPlugin({}, store), JsonColumnPlugin({}, store)], history=history)
    dispatcher.start()
    try:
        return _load(dispatcher, n)
    finally:
        dispatcher.close()


def _load(dispatcher: Dispatcher, n: int) -> float:
    dispatcher.add_scope(SCOPE, "root")
    datasets = [NewDid(NewDidSpec(DidKey(SCOPE, f"ds{i}"), DidType.DATASET, "root")) for i in range(100)]
    dispatcher.load_chunk(datasets, [], [])
    started = time.perf_counter()
    for start in range(0, n, CHUNK):
        files = [
            NewDid(
                NewDidSpec(DidKey(SCOPE, f"f{i:08d}"), DidType.FILE, "root", bytes=i),
                {"run_number": i % 1000, "quality": "good", "note": f"n{i % 7}"},
            )
            for i in range(start, min(n, start + CHUNK))
        ]
        pairs = [(DidKey(SCOPE, f"ds{i % 100}"), f.spec.key) for i, f in enumerate(files, start)]
        dispatcher.load_chunk(files, [], pairs)
    return time.perf_counter() - started


def _listing_seconds(dispatcher: Dispatcher, expression: str) -> tuple[float, int]:
    query = ListQuery(SCOPE, parse_filter(expression), TYPE_SELECTORS["all"])
    started = time.perf_counter()
    stream = dispatcher.open_listing(query, long=False, after=None, limit=None)
    rows = 0
    try:
        while batch := stream.fetch(5000):
            rows += len(batch)
    finally:
        stream.close()
    return time.perf_counter() - started, rows


def embargo_cost(url: str) -> None:
    """Listing time as admin, as a plain caller with no embargo, and with 10% of the files embargoed."""
    store = Store(url)
    dispatcher = Dispatcher(store, [DidColumnPlugin({}, store), JsonColumnPlugin({}, store)])
    dispatcher.start()
    try:
        for label, identity in [("admin", Identity("root", True)), ("caller, no embargo", Identity("x", False))]:
            token = current_identity.set(identity)
            try:
                for expression in ("", "quality=good"):
                    seconds, rows = _listing_seconds(dispatcher, expression)
                    print(f"list {expression or 'all'!r:16} as {label:28} {seconds:6.2f} s, {rows} rows")
            finally:
                current_identity.reset(token)
        until = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        for i in range(10):  # 10 of the 100 datasets, recursively: 10% of the files
            dispatcher.set_embargo(DidKey(SCOPE, f"ds{i}"), until, True, "root")
        token = current_identity.set(Identity("x", False))
        try:
            for expression in ("", "quality=good"):
                seconds, rows = _listing_seconds(dispatcher, expression)
                print(f"list {expression or 'all'!r:16} as {'caller, 10% embargoed':28} {seconds:6.2f} s, {rows} rows")
        finally:
            current_identity.reset(token)
    finally:
        dispatcher.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        without = load(f"sqlite:///{Path(tmp) / 'off.db'}", args.n, NoHistory())
        with_history = load(f"sqlite:///{Path(tmp) / 'on.db'}", args.n, History())
        print(f"load of {args.n} files: {without:.1f} s without history, {with_history:.1f} s with history")
        print(f"overhead: {100 * (with_history - without) / without:+.0f}%")
        embargo_cost(f"sqlite:///{Path(tmp) / 'on.db'}")


if __name__ == "__main__":
    main()
