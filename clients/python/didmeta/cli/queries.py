"""`didmeta query save|list|show|delete` and `didmeta did freeze` (registered by main)."""

from __future__ import annotations

from typing import Any

import click

from didmeta.cli.options import did_type_option
from didmeta.cli.output import emit_json, emit_table
from didmeta.client import SavedQueryInfo


def _record(q: SavedQueryInfo) -> dict[str, Any]:
    return {
        "name": q.name,
        "account": q.account,
        "scope": q.scope,
        "filter": q.filter,
        "type": q.type,
        "recursive": q.recursive,
        "ignore_case": q.ignore_case,
    }


def _selection(pattern: str, filter_text: str) -> tuple[str, str]:
    from didmeta.cli.main import _scope_and_name, _with_name

    scope_pattern, name = _scope_and_name(pattern)
    return scope_pattern, _with_name(filter_text, name)


@click.group("query")
def query() -> None:
    """Saved queries: named listings of your account (`did list --query NAME` runs one)."""


@query.command("save")
@click.argument("name")
@click.argument("pattern")
@click.option("--filter", "filter_text", default="")
@did_type_option()
@click.option("--recursive", is_flag=True)
@click.option("--ignore-case", is_flag=True)
@click.option("--replace", is_flag=True, help="Replace a saved query of that name.")
@click.pass_obj
def query_save(
    ctx: Any,
    name: str,
    pattern: str,
    filter_text: str,
    did_type: str,
    recursive: bool,
    ignore_case: bool,
    replace: bool,
) -> None:
    """Save the listing `did list PATTERN --filter ...` as NAME."""
    scope_pattern, expression = _selection(pattern, filter_text)
    saved = ctx.client.save_query(
        name, scope_pattern, expression, type=did_type, recursive=recursive, ignore_case=ignore_case, replace=replace
    )
    emit_json(_record(saved)) if ctx.as_json else click.echo(f"Saved query {saved.name} of {saved.account}")


@query.command("list")
@click.option("--account", default="", help="Another account's queries (default: yours).")
@click.pass_obj
def query_list(ctx: Any, account: str) -> None:
    """List saved queries."""
    saved = ctx.client.list_saved_queries(account)
    if ctx.as_json:
        for q in saved:
            emit_json(_record(q))
        return
    emit_table(["NAME", "SCOPE", "FILTER", "TYPE"], [(q.name, q.scope, q.filter, q.type) for q in saved])


@query.command("show")
@click.argument("name")
@click.option("--account", default="", help="The owner (default: you).")
@click.pass_obj
def query_show(ctx: Any, name: str, account: str) -> None:
    """Show one saved query."""
    record = _record(ctx.client.get_saved_query(name, account))
    if ctx.as_json:
        emit_json(record)
        return
    for field, value in record.items():
        click.echo(f"{field}: {value}")


@query.command("delete")
@click.argument("name")
@click.pass_obj
def query_delete(ctx: Any, name: str) -> None:
    """Delete one of your saved queries."""
    ctx.client.delete_saved_query(name)
    emit_json({"deleted": name}) if ctx.as_json else click.echo(f"Deleted saved query {name}")


@click.command("freeze")
@click.argument("new_did", metavar="NEW_DID")
@click.argument("pattern")
@click.option("--filter", "filter_text", default="")
@did_type_option("file", help="Types to select.")
@click.option(
    "--as",
    "collection",
    default="dataset",
    show_default=True,
    type=click.Choice(["dataset", "container"], case_sensitive=False),
    help="DATASET of files, or CONTAINER of datasets/containers.",
)
@click.option("--recursive", is_flag=True)
@click.option("--ignore-case", is_flag=True)
@click.pass_obj
def freeze(
    ctx: Any,
    new_did: str,
    pattern: str,
    filter_text: str,
    did_type: str,
    collection: str,
    recursive: bool,
    ignore_case: bool,
) -> None:
    """Create NEW_DID (closed) holding exactly the DIDs `did list PATTERN --filter ...` shows now."""
    scope_pattern, expression = _selection(pattern, filter_text)
    count = ctx.client.freeze_dids(
        new_did,
        scope_pattern,
        expression,
        did_type=collection,
        type=did_type,
        recursive=recursive,
        ignore_case=ignore_case,
    )
    emit_json({"did": new_did, "count": count}) if ctx.as_json else click.echo(f"Froze {count} DID(s) into {new_did}")
