"""The audit history's cost on a bulk load: `python -m bench.history_cost --n 100000 [--db URL]`.

Loads N files (3 metadata keys each) in chunks of 5,000 into 100 datasets through the Dispatcher
(the code LoadDids runs, without gRPC), once with the history recorded and once with recording
switched off, each into a fresh SQLite database (or the PostgreSQL server URL given), and prints
both times and the overhead. Reported in docs/performance.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection

from didmeta.identifiers import DidKey, DidType
from didmeta.plugins.did_column import DidColumnPlugin
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.history import Change, History
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store

SCOPE = "bench"
CHUNK = 5000


class NoHistory(History):
    def record(self, conn: Connection, changes: Sequence[Change]) -> None:
        return None


def load(url: str, n: int, history: History) -> float:
    store = Store(url)
    dispatcher = Dispatcher(store, [DidColumnPlugin({}, store), JsonColumnPlugin({}, store)], history)
    dispatcher.start()
    try:
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


if __name__ == "__main__":
    main()
