"""`didmeta key add|list|show|delete`: declared metadata keys (registered on the root group by main)."""

from __future__ import annotations

from typing import Any

import click

from didmeta.cli.output import emit_json, emit_table
from didmeta.client import KeyInfo
from didmeta.values import format_value, parse_text_value

_TYPES = ["bool", "int", "double", "string", "timestamp"]


def _record(info: KeyInfo) -> dict[str, Any]:
    return {
        "key": info.key,
        "type": f"list of {info.type}" if info.is_list else info.type,
        "allowed_values": info.allowed_values,
        "pattern": info.pattern,
        "did_types": info.did_types,
        "unit": info.unit,
        "description": info.description,
        "account": info.account,
    }


def _pattern(pattern: str) -> str:
    return f"/{pattern}/" if pattern else ""


@click.group("key")
def key() -> None:
    """Declared metadata keys: types and constraints checked on writes and in filters."""


@key.command("add")
@click.argument("name")
@click.option("--type", "value_type", required=True, type=click.Choice(_TYPES, case_sensitive=False))
@click.option("--list", "is_list", is_flag=True, help="The value is a list of --type.")
@click.option("--allowed", "allowed", multiple=True, help="An allowed value (repeatable; typed like --value).")
@click.option("--pattern", default="", help="Strings must match this regular expression in full.")
@click.option(
    "--did-type",
    "did_types",
    multiple=True,
    type=click.Choice(["file", "dataset", "container"], case_sensitive=False),
    help="Only DIDs of this type may carry the key (repeatable).",
)
@click.option("--unit", default="")
@click.option("--description", default="")
@click.pass_obj
def key_add(
    ctx: Any,
    name: str,
    value_type: str,
    is_list: bool,
    allowed: tuple[str, ...],
    pattern: str,
    did_types: tuple[str, ...],
    unit: str,
    description: str,
) -> None:
    """Declare (or redeclare) NAME; reports existing DIDs whose value violates the declaration."""
    result = ctx.client.declare_key(
        name,
        value_type,
        is_list=is_list,
        allowed_values=[parse_text_value(a) for a in allowed],
        pattern=pattern,
        did_types=list(did_types),
        unit=unit,
        description=description,
    )
    if ctx.as_json:
        emit_json(
            {
                **_record(result.declaration),
                "violation_count": result.violation_count,
                "violations": result.violations,
            }
        )
        return
    click.echo(f"Declared {name} ({_record(result.declaration)['type']})")
    if result.violation_count:
        click.echo(f"{result.violation_count} existing DID(s) violate the declaration:", err=True)
        for did in result.violations:
            click.echo(f"  {did}", err=True)
        if result.violation_count > len(result.violations):
            click.echo(f"  ... and {result.violation_count - len(result.violations)} more", err=True)


@key.command("list")
@click.pass_obj
def key_list(ctx: Any) -> None:
    """List the declared keys."""
    keys = ctx.client.list_keys()
    if ctx.as_json:
        for info in keys:
            emit_json(_record(info))
        return
    emit_table(
        ["KEY", "TYPE", "ALLOWED", "DID TYPES", "UNIT", "DESCRIPTION"],
        [
            (
                r["key"],
                r["type"],
                ", ".join(format_value(v) for v in r["allowed_values"])
                or (f"/{r['pattern']}/" if r["pattern"] else ""),
                ", ".join(r["did_types"]),
                r["unit"],
                r["description"],
            )
            for r in map(_record, keys)
        ],
    )


@key.command("show")
@click.argument("name")
@click.pass_obj
def key_show(ctx: Any, name: str) -> None:
    """Show one declaration."""
    record = _record(ctx.client.get_key(name))
    if ctx.as_json:
        emit_json(record)
        return
    for field, value in record.items():
        text = ", ".join(format_value(v) for v in value) if isinstance(value, list) else str(value)
        click.echo(f"{field}: {text}")


@key.command("delete")
@click.argument("name")
@click.pass_obj
def key_delete(ctx: Any, name: str) -> None:
    """Remove a declaration (the values stay)."""
    ctx.client.delete_key(name)
    emit_json({"deleted": name}) if ctx.as_json else click.echo(f"Key {name} is no longer declared")
