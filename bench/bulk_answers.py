"""GetMetadataBulk answers: building a batch's messages against the same run's baselines.

`python -m bench.bulk_answers --dids 500 --keys 4 --repeat 200 --out bench/results/bulk-answers/run1.json`

The servicer turns each batch the dispatcher reads (`--dids` DIDs with `--keys` metadata values each: ints,
doubles, strings, a timestamp) into messages capped at `max_batch_bytes` (servicers/bulk_messages.py). This
bench times that per batch against two baselines of the same run: the floor, the same message built with no
cap at all, and the way the servicer took until the batch was measured once, kept here as the reference: each
item built on its own, measured with `ByteSize()` and copied into the message (`cut_messages`, which the
servicer now takes only for a batch over the cap). It also times the encoding gRPC does to send the message.
All ways must give the same DIDs and values (a map's entries are encoded in no fixed order). It prints the
median microseconds per batch of each way (the ways take turns, so that a noisy moment falls on all of them)
and the ratios to the current way.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.cli import add_output_arguments
from bench.report import finish_document, standalone_document
from didmeta.identifiers import DidKey
from didmeta.server.config import Settings
from didmeta.server.servicers.bulk_messages import batch_message, bulk_messages, cut_messages
from didmeta.v1 import did_pb2
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.values import Metadata
from didmeta.wire import did_key_to_wire, metadata_from_wire, metadata_to_wire

Batch = Sequence[tuple[DidKey, Metadata]]


def batch(dids: int, keys: int) -> Batch:
    """`dids` DIDs of one dataset's files, each with `keys` values cycling through four types."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    kinds: list[Callable[[int], Any]] = [
        lambda i: 400_000 + i,
        lambda i: 6500.0 + i / 8,
        lambda i: ("RAW", "AOD", "DAOD_PHYS")[i % 3],
        lambda i: start + timedelta(seconds=i),
    ]
    return [
        (
            DidKey("data26_13p6TeV", f"DAOD_PHYS.{i:08d}._000001.pool.root.1"),
            {f"key{k}": kinds[k % 4](i) for k in range(keys)},
        )
        for i in range(dids)
    ]


def floor(found: Batch, max_bytes: int) -> list[pb.GetMetadataBulkResponse]:
    """The batch as one message, no cap (the servicer's own building)."""
    return [batch_message(found, [])]


def item_message(key: DidKey, metadata: Metadata) -> did_pb2.DidMetadata:
    item = did_pb2.DidMetadata(did=did_key_to_wire(key))
    metadata_to_wire(metadata, item.metadata)
    return item


def measured_per_item(found: Batch, max_bytes: int) -> list[pb.GetMetadataBulkResponse]:
    """The reference: each item built on its own, then measured and copied into the messages (`cut_messages`,
    which the servicer now uses only for a batch over the cap)."""
    return list(cut_messages([item_message(key, metadata) for key, metadata in found], [], max_bytes))


def current(found: Batch, max_bytes: int) -> list[pb.GetMetadataBulkResponse]:
    return list(bulk_messages(found, [], max_bytes))


Way = Callable[[Batch, int], list[pb.GetMetadataBulkResponse]]


def medians_us(ways: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Each way's median time, the ways taking turns so that a noisy second falls on all of them."""
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, way in ways.items():
            began = time.perf_counter()
            way()
            seconds[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) * 1e6 for name, values in seconds.items()}


def measure(dids: int, keys: int, repeat: int) -> dict[str, Any]:
    found, max_bytes = batch(dids, keys), int(Settings.model_fields["max_batch_bytes"].default)
    ways: dict[str, Way] = {"floor": floor, "current": current, "measured_per_item": measured_per_item}
    answers = {name: way(found, max_bytes) for name, way in ways.items()}
    contents = [
        [(r.did.name, metadata_from_wire(r.metadata)) for m in messages for r in m.results]
        for messages in answers.values()
    ]
    if any(content != contents[0] for content in contents):
        raise SystemExit("the ways built different answers")
    sent = answers["current"]
    timed: dict[str, Callable[[], Any]] = {name: functools.partial(way, found, max_bytes) for name, way in ways.items()}
    timed["encode"] = lambda: [m.SerializeToString() for m in sent]
    out: dict[str, Any] = {f"{name}_us": us for name, us in medians_us(timed, repeat).items()}
    out["messages"] = len(sent)
    out["ratio_current_to_floor"] = out["current_us"] / out["floor_us"]
    out["ratio_measured_per_item_to_current"] = out["measured_per_item_us"] / out["current_us"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dids", type=int, default=500, help="DIDs per batch (the dispatcher's batch size)")
    parser.add_argument("--keys", type=int, default=4, help="metadata values per DID")
    parser.add_argument("--repeat", type=int, default=200, help="timed batches per way")
    add_output_arguments(parser, workdir_help="unused (no files): accepted as by the other benches")
    args = parser.parse_args(argv)
    document = standalone_document("bulk_answers", dids=args.dids, keys=args.keys, repeat=args.repeat)
    result = document["result"] = measure(args.dids, args.keys, args.repeat)
    print(
        f"{args.dids} DIDs x {args.keys} keys, {result['messages']} message(s): floor {result['floor_us']:.0f} us, "
        f"current {result['current_us']:.0f} us ({result['ratio_current_to_floor']:.2f}x floor), "
        f"measured per item {result['measured_per_item_us']:.0f} us "
        f"({result['ratio_measured_per_item_to_current']:.2f}x current), encoding {result['encode_us']:.0f} us"
    )
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
