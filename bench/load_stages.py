"""LoadDids' stages in process, with Python's garbage collector as it starts and as the server sets it up.

`python -m bench.load_stages --dids 100000 --repeat 3 --out bench/results/load-stages.json`

The bench data's DIDs (`bench.data`, about 7 keys each, attachments in the chunk of the child) are
encoded as the Python client encodes `LoadDidsRequest` chunks of 5,000, then loaded into a fresh SQLite
catalogue through what the LoadDids servicer runs for each chunk, one stage after the other in one
thread, without gRPC:
* **decode**: the chunk's bytes parsed, its DIDs and attachments taken from the wire
  (`new_did_from_wire`, `attachments_from_wire`);
* **plan**: `Dispatcher.plan_load` (validation, routing, rows);
* **apply**: `Dispatcher.apply_load` (the chunk's transaction).

Each repetition runs two child processes, alternating: `python`, the collector as Python starts it
(thresholds 700, 10, 10), and `server`, the collector as `didmeta serve` leaves it
(`server/collector.py`, `gc_young_threshold` 10,000, the start-up heap frozen). In each child the
collector is set after the data are encoded to bytes and their objects dropped, as a server holds none
of its clients' objects. Printed: per collector, the median over repetitions of each stage's mean µs
per DID and of the whole load's seconds, the collector's passes per generation, and the ratio of the
whole load's medians (python / server).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.cli import add_output_arguments, scratch_directory
from bench.report import finish_document, standalone_document

CHUNK = 5000
STAGES = ("decode", "plan", "apply")
COLLECTORS = ("python", "server")


def encoded_chunks(dids: int) -> tuple[list[bytes], set[str]]:
    """The bench data as the client's LoadDids chunks (serialized), and the scopes they use."""
    from bench import data
    from bench.scenarios import to_load_chunk
    from didmeta.client._client import load_request

    generated = list(data.generate(dids))
    chunks = [
        load_request(to_load_chunk(generated[start : start + CHUNK])).SerializeToString()
        for start in range(0, len(generated), CHUNK)
    ]
    return chunks, {did.scope for did in generated}


def run_child(collector: str, dids: int, scratch: Path) -> dict[str, Any]:
    """One load in this process: seconds in all and the mean µs per DID of each stage."""
    from didmeta.plugins.did_column import DidColumnPlugin
    from didmeta.plugins.json_column import JsonColumnPlugin
    from didmeta.server.access.identity import Identity, current_identity
    from didmeta.server.collector import tune_collector
    from didmeta.server.config import Settings
    from didmeta.server.dispatcher import Dispatcher
    from didmeta.server.servicers.did_servicer import attachments_from_wire, new_did_from_wire
    from didmeta.server.store.engine import Store
    from didmeta.v1 import metadata_service_pb2

    chunks, scopes = encoded_chunks(dids)
    store = Store(f"sqlite:///{scratch / f'{collector}.db'}")
    dispatcher = Dispatcher(store, [DidColumnPlugin({}, store), JsonColumnPlugin({}, store)])
    dispatcher.start()
    current_identity.set(Identity("root", True))
    for scope in sorted(scopes):
        dispatcher.add_scope(scope, "root")
    gc.collect()
    if collector == "server":
        tune_collector(Settings.model_fields["gc_young_threshold"].default)
    passes_before = [generation["collections"] for generation in gc.get_stats()]
    spent = dict.fromkeys(STAGES, 0.0)
    started = time.perf_counter()
    try:
        for raw in chunks:
            t0 = time.perf_counter()
            message = metadata_service_pb2.LoadDidsRequest.FromString(raw)
            new = [new_did_from_wire(d, f"chunk.dids[{i}]") for i, d in enumerate(message.dids)]
            pairs = attachments_from_wire(message.attachments, "chunk.attachments")
            t1 = time.perf_counter()
            plan = dispatcher.plan_load(new, [], pairs)
            t2 = time.perf_counter()
            result = dispatcher.apply_load(plan)
            t3 = time.perf_counter()
            if result.created != len(new):
                raise RuntimeError(f"a chunk created {result.created} DIDs of {len(new)}")
            for stage, seconds in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                spent[stage] += seconds
        total = time.perf_counter() - started
    finally:
        dispatcher.close()
    after = [generation["collections"] for generation in gc.get_stats()]
    passes = [count - before for count, before in zip(after, passes_before, strict=True)]
    return {
        "seconds": total,
        "us_per_did": {stage: spent[stage] / dids * 1e6 for stage in STAGES},
        "collector_passes": passes,
        "thresholds": list(gc.get_threshold()),
    }


def measure(dids: int, repeat: int, scratch: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {collector: [] for collector in COLLECTORS}
    for repetition in range(repeat):
        for collector in COLLECTORS:
            child = ["--child", collector, "--dids", str(dids), "--workdir", str(scratch / f"{collector}-{repetition}")]
            out = subprocess.run(
                [sys.executable, "-m", "bench.load_stages", *child],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                raise RuntimeError(f"the {collector} child failed:\n{out.stderr[-3000:]}")
            runs[collector].append(json.loads(out.stdout.strip().splitlines()[-1]))
    medians = {
        collector: {
            "seconds": statistics.median(run["seconds"] for run in runs[collector]),
            **{stage: statistics.median(run["us_per_did"][stage] for run in runs[collector]) for stage in STAGES},
        }
        for collector in COLLECTORS
    }
    return {
        "runs": runs,
        "median": medians,
        "ratio_python_to_server": medians["python"]["seconds"] / medians["server"]["seconds"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dids", type=int, default=100_000, help="DIDs to load (chunks of 5,000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (the two collectors alternate)")
    parser.add_argument("--child", choices=COLLECTORS, help=argparse.SUPPRESS)
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    if args.child:
        with scratch_directory(args.workdir, "didmeta-load-stages-") as scratch:
            print(json.dumps(run_child(args.child, args.dids, scratch)))
        return 0
    document = standalone_document("load_stages", dids=args.dids, repeat=args.repeat)
    with scratch_directory(args.workdir, "didmeta-load-stages-") as scratch:
        result = measure(args.dids, args.repeat, scratch)
    document["result"] = result
    for collector in COLLECTORS:
        median = result["median"][collector]
        stages = "  ".join(f"{stage} {median[stage]:5.1f}" for stage in STAGES)
        passes = [run["collector_passes"] for run in result["runs"][collector]]
        print(f"{collector:7} {median['seconds']:6.2f} s   µs per DID: {stages}   collector passes: {passes}")
    print(f"python / server: {result['ratio_python_to_server']:.2f}x")
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
