"""CLI output: aligned tables for people, NDJSON for scripts, and exit codes scripts can rely on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import click
import grpc

from didmeta.values import format_value

#: Exit codes by status; documented in docs/cli.md.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT: 2,
    grpc.StatusCode.NOT_FOUND: 3,
    grpc.StatusCode.ALREADY_EXISTS: 4,
    grpc.StatusCode.FAILED_PRECONDITION: 5,
    grpc.StatusCode.PERMISSION_DENIED: 6,
    grpc.StatusCode.UNAUTHENTICATED: 6,
    grpc.StatusCode.UNAVAILABLE: 7,
    grpc.StatusCode.DEADLINE_EXCEEDED: 7,
    grpc.StatusCode.UNIMPLEMENTED: 8,
}


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_value(value)
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def emit_json(record: Mapping[str, Any]) -> None:
    click.echo(json.dumps({k: json_value(v) for k, v in record.items()}, sort_keys=False))


def emit_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    text_rows = [[format_value(cell) if not isinstance(cell, str) else cell for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in text_rows]) for i, h in enumerate(headers)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    click.echo(line)
    click.echo("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    click.echo(line)
    for row in text_rows:
        click.echo("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    click.echo(line)
