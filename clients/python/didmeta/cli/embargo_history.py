"""`didmeta did embargo set|clear|show` and `didmeta did history` (registered on the `did` group by main)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from didmeta.cli.output import emit_json, emit_table
from didmeta.values import format_value, parse_timestamp_text

_RELATIVE_RE = re.compile(r"\+?(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(text: str, option: str, *, past: bool = False) -> datetime:
    """An ISO-8601 time (naive = UTC) or a duration (`+30m`, `2h`, `7d`, `4w`) from now, or ago with `past`."""
    relative = _RELATIVE_RE.fullmatch(text.strip())
    if relative:
        amount, unit = relative.groups()
        delta = timedelta(**{_UNITS[unit]: int(amount)})
        return datetime.now(UTC) - delta if past else datetime.now(UTC) + delta
    parsed = parse_timestamp_text(text)
    if parsed is None:
        raise click.BadParameter(f"{text!r}: give an ISO-8601 time or a duration like +2h, 7d", param_hint=option)
    return parsed


@click.group("embargo")
def embargo() -> None:
    """Hide a DID (and optionally everything below it) until a time."""


@embargo.command("set")
@click.argument("did_name", metavar="DID")
@click.option("--until", "until_text", required=True, help="ISO-8601 time (UTC if no zone) or a duration: +2h, 7d.")
@click.option("--recursive", is_flag=True, help="Also hide everything below the DID.")
@click.pass_obj
def embargo_set(ctx: Any, did_name: str, until_text: str, recursive: bool) -> None:
    """Embargo DID until a time."""
    record = ctx.client.set_embargo(did_name, parse_time(until_text, "--until"), recursive=recursive)
    if ctx.as_json:
        emit_json(record.__dict__)
    else:
        below = " and everything below it" if record.recursive else ""
        click.echo(f"Embargoed {record.did}{below} until {format_value(record.until)}")


@embargo.command("clear")
@click.argument("did_name", metavar="DID")
@click.pass_obj
def embargo_clear(ctx: Any, did_name: str) -> None:
    """Lift the embargo of DID now."""
    cleared = ctx.client.clear_embargo(did_name)
    if ctx.as_json:
        emit_json({"did": did_name, "cleared": cleared})
    else:
        click.echo(f"Cleared the embargo of {did_name}" if cleared else f"{did_name} has no embargo")


@embargo.command("show")
@click.argument("did_name", metavar="DID")
@click.pass_obj
def embargo_show(ctx: Any, did_name: str) -> None:
    """Show the embargo of DID."""
    record = ctx.client.get_embargo(did_name)
    if ctx.as_json:
        emit_json(record.__dict__ if record is not None else {"did": did_name, "embargo": None})
    elif record is None:
        click.echo(f"{did_name} has no embargo")
    else:
        rows = [(k, format_value(v)) for k, v in record.__dict__.items()]
        emit_table(["ATTRIBUTE", "VALUE"], rows)


@click.command("history")
@click.argument("did_name", metavar="DID")
@click.option("--key", default="", help="Only changes of this metadata key.")
@click.option("--since", "since_text", help="Only records from this time on: ISO-8601 (UTC if no zone) or 2h, 7d ago.")
@click.pass_obj
def history(ctx: Any, did_name: str, key: str, since_text: str | None) -> None:
    """The audit history of DID: who changed what, when, in which request."""
    since = parse_time(since_text, "--since", past=True) if since_text else None
    events = ctx.client.list_history(did_name, key=key, since=since)
    if ctx.as_json:
        for event in events:
            emit_json(event.__dict__)
        return

    def show(value: Any) -> str:
        return "" if value is None else format_value(value)

    emit_table(
        ["WHEN", "ACCOUNT", "ACTION", "KEY", "OLD", "NEW", "REQUEST"],
        [(show(e.at), e.account, e.action, e.key or "", show(e.old), show(e.new), e.request_id) for e in events],
    )
