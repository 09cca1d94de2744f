"""`didmeta did facets` (registered on `did` by main) and the output of `didmeta did list --explain`."""

from __future__ import annotations

import re
from typing import Any

import click

from didmeta.cli.options import did_type_option
from didmeta.cli.output import emit_json, emit_table
from didmeta.client import Explanation, Facet
from didmeta.values import format_value

_WIDTH_RE = re.compile(r"([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)([smhdw]?)")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_facet(text: str) -> tuple[str, float]:
    """`KEY` or `KEY:WIDTH`; WIDTH is a number, or a duration (30m, 1h, 1d, 2w) for timestamp keys."""
    key, sep, width_text = text.partition(":")
    if not key:
        raise click.BadParameter(f"{text!r}: give KEY or KEY:WIDTH", param_hint="--key")
    if not sep:
        return key, 0.0
    match = _WIDTH_RE.fullmatch(width_text.strip())
    if not match or float(match.group(1)) <= 0:
        raise click.BadParameter(
            f"{text!r}: the bucket width must be a positive number or a duration like 1h, 1d", param_hint="--key"
        )
    return key, float(match.group(1)) * _SECONDS[match.group(2)]


def _facet_json(facet: Facet) -> dict[str, Any]:
    return {
        "key": facet.key,
        "values": [{"value": v, "count": n} for v, n in facet.values],
        "buckets": [{"lower": b, "count": n} for b, n in facet.buckets],
        "missing": facet.missing,
        "other": facet.other,
        "distinct": facet.distinct,
    }


@click.command("facets")
@click.argument("pattern")
@click.option("--filter", "filter_text", default="")
@click.option(
    "--key",
    "keys",
    multiple=True,
    required=True,
    help="KEY, or KEY:WIDTH for a histogram too (a number; for timestamps a duration: 1h, 1d). Repeatable.",
)
@click.option("--top", default=10, show_default=True, help="Most frequent values shown per key (at most 1000).")
@did_type_option()
@click.option("--recursive", is_flag=True)
@click.option("--ignore-case", is_flag=True)
@click.pass_obj
def facets(
    ctx: Any,
    pattern: str,
    filter_text: str,
    keys: tuple[str, ...],
    top: int,
    did_type: str,
    recursive: bool,
    ignore_case: bool,
) -> None:
    """Top values, histograms and missing counts of keys over the DIDs `did list` would show."""
    from didmeta.cli.main import _scope_and_name, _with_name

    scope_pattern, name = _scope_and_name(pattern)
    result = ctx.client.facet_dids(
        scope_pattern,
        _with_name(filter_text, name),
        [parse_facet(k) for k in keys],
        type=did_type,
        recursive=recursive,
        ignore_case=ignore_case,
        top=top,
    )
    if ctx.as_json:
        emit_json({"count": result.count, "facets": [_facet_json(f) for f in result.facets]})
        return
    click.echo(f"{result.count} DIDs")
    for facet in result.facets:
        click.echo(
            f"{facet.key}: {facet.distinct} distinct value(s), {facet.missing} missing, {facet.other} list/map value(s)"
        )
        if facet.values:
            emit_table(["VALUE", "COUNT"], ((format_value(v), str(n)) for v, n in facet.values))
        if facet.buckets:
            emit_table(["FROM", "COUNT"], ((format_value(b), str(n)) for b, n in facet.buckets))


def show_explanation(ctx: Any, explanation: Explanation) -> None:
    """`did list --explain`: one JSON document, or the groups, then each query with its plan."""
    if ctx.as_json:
        emit_json(
            {
                "groups": [
                    {"types": types, "clauses": [vars(c) for c in clauses]} for types, clauses in explanation.groups
                ],
                "merged": explanation.merged,
                "queries": [vars(q) for q in explanation.queries],
            }
        )
        return
    how = "merged sorted streams" if explanation.merged else "one SQL statement"
    click.echo(f"filter ({how}):")
    for index, (types, clauses) in enumerate(explanation.groups):
        routed = ", ".join(f"{c.clause} -> {c.plugin}{' (complement)' if c.complement else ''}" for c in clauses)
        click.echo(f"  group {index} [{','.join(types)}]: {routed or '(no clauses)'}")
    for query in explanation.queries:
        target = "all groups" if query.group < 0 else f"group {query.group}"
        click.echo(f"\n{query.backend} ({query.language}, {target}):")
        click.echo(query.query)
        if query.parameters:
            click.echo("parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(query.parameters.items())))
        if query.plan:
            click.echo("plan:")
            click.echo("\n".join("  " + line for line in query.plan.splitlines()))
