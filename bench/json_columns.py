"""Typing a JSON key's column of an Arrow listing batch: the kernels against decoding value by value.

`python -m bench.json_columns --rows 5000 --repeat 200 --out bench/results/json-columns.json`

A columnar Arrow listing gets each JSON key as the texts of its values (query/meta_sql.py) and types the
column with pyarrow compute kernels (query/arrow_convert.py `json_column`, the types read by `json_text_kinds`).
This bench times that per batch of `--rows` texts for an int, a double, a string and a timestamp key (in
both stored forms: SQLite's compact `{"$ts":"..."}`, PostgreSQL's `{"$ts": "..."}`), some values absent,
against the same run's baseline: each text decoded in Python (`meta_sql.json_text_value`, as long listings
do) and the column built by `metadata_array`, which the row-built Arrow batches use. Both ways must give
equal columns. It prints the median microseconds per batch of each way and the ratio baseline / kernels.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from bench.cli import add_output_arguments
from bench.report import finish_document, standalone_document
from didmeta.server.query.arrow import metadata_array
from didmeta.server.query.arrow_convert import json_column
from didmeta.server.query.meta_sql import json_text_value


def columns(rows: int) -> dict[str, list[str | None]]:
    """Per key, a batch of JSON texts as the databases render them (None: the key is absent)."""
    stamp = "2026-11-30T12:34:56.{:06d}Z"
    return {
        "int": [str(i * 7919 % 1_000_003) for i in range(rows)],
        "double": [repr(6500.0 + i / 8) if i % 10 else None for i in range(rows)],
        "string": [json.dumps(("RAW", "AOD", "DAOD")[i % 3]) for i in range(rows)],
        "timestamp, SQLite form": ['{"$ts":"' + stamp.format(i) + '"}' if i % 20 else None for i in range(rows)],
        "timestamp, PostgreSQL form": ['{"$ts": "' + stamp.format(i) + '"}' if i % 20 else None for i in range(rows)],
    }


def kernels(texts: Any) -> Any:
    column, _ = json_column(pa, texts)
    return column


def decoded(texts: Any) -> Any:
    return metadata_array(pa, [json_text_value(text) for text in texts.to_pylist()])


def median_us(way: Callable[[Any], Any], texts: Any, repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        way(texts)
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds) * 1e6


def measure(rows: int, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in columns(rows).items():
        texts = pa.array(values, pa.string())
        mine, theirs = kernels(texts), decoded(texts)
        if mine.type != theirs.type or mine.to_pylist() != theirs.to_pylist():
            raise SystemExit(f"{name}: the kernels' column ({mine.type}) differs from the decoded one ({theirs.type})")
        kernel_us, decoded_us = median_us(kernels, texts, repeat), median_us(decoded, texts, repeat)
        out[name] = {
            "type": str(mine.type),
            "kernels_us": kernel_us,
            "decoded_us": decoded_us,
            "ratio_decoded_to_kernels": decoded_us / kernel_us,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="texts per batch (the SQLite path's batch size)")
    parser.add_argument("--repeat", type=int, default=200, help="timed batches per way and key")
    add_output_arguments(parser, workdir_help="unused (no files): accepted as by the other benches")
    args = parser.parse_args(argv)
    document = standalone_document("json_columns", rows=args.rows, repeat=args.repeat)
    result = measure(args.rows, args.repeat)
    document["result"] = result
    for name, row in result.items():
        print(
            f"{name:28} {row['type']:24} kernels {row['kernels_us']:7.0f} us   decoded {row['decoded_us']:8.0f} us"
            f"   decoded / kernels {row['ratio_decoded_to_kernels']:5.1f}x"
        )
    finish_document(args.out, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
