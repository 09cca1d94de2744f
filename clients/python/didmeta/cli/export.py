"""`didmeta did list ... --output FILE`: write an ARROW listing as Parquet, Arrow IPC or CSV."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from didmeta.client import arrow

FORMATS = {".parquet": "parquet", ".arrow": "arrow", ".feather": "arrow", ".csv": "csv"}


def output_format(path: Path) -> str:
    """The file format of an --output path, from its suffix."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise click.BadParameter(f"use a .parquet, .arrow or .csv file, not {path.name!r}", param_hint="--output")
    return found


def _collect(batches: Iterable[Any], progress: bool) -> list[Any]:
    """The batches, with a running count of DIDs on stderr."""
    collected: list[Any] = []
    rows = 0
    start = time.monotonic()
    for batch in batches:
        collected.append(batch)
        rows += batch.num_rows
        if progress:
            rate = rows / max(time.monotonic() - start, 1e-9)
            click.echo(f"\r{rows:,} DIDs ({rate:,.0f}/s)", err=True, nl=False)
    if progress:
        click.echo(f"\r{rows:,} DIDs received", err=True)
    return collected


def _for_csv(table: Any) -> Any:
    """CSV has no lists or dictionaries: lists become JSON text, dictionary columns plain strings."""
    pa = arrow.require_pyarrow()
    columns = []
    for field, original in zip(table.schema, table.columns, strict=True):
        column = original
        if pa.types.is_dictionary(field.type):
            column = original.cast(pa.string())
        elif pa.types.is_list(field.type):
            texts = [arrow.json_texts(pa, chunk, field, as_list=False) for chunk in original.chunks]
            column = pa.chunked_array(texts, type=pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def write_listing(batches: Iterable[Any], path: Path, metadata_keys: Sequence[str]) -> int:
    """Write the listing to `path` (format from its suffix); the number of DIDs written."""
    kind = output_format(path)
    pa = arrow.require_pyarrow()
    table = arrow.to_table(_collect(batches, sys.stderr.isatty()), metadata_keys)
    if kind == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    elif kind == "arrow":
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    else:
        import pyarrow.csv as pcsv

        pcsv.write_csv(_for_csv(table), path)
    return int(table.num_rows)
