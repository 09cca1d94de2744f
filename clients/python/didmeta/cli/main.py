"""`didmeta`: verbs that mirror Rucio's (`scope`, `did`, `did metadata`, `did list`) plus `serve`.

Every command finds the server through `--server HOST:PORT` or `DIDMETA_SERVER`
(default 127.0.0.1:50051). `--json` prints NDJSON. Exit codes: see `output.EXIT_CODES`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from didmeta.cli import embargo_history, summaries
from didmeta.cli.connection import client_options, connection_options
from didmeta.cli.import_rucio import import_group
from didmeta.cli.keys import key as key_group
from didmeta.cli.options import did_type_option
from didmeta.cli.output import EXIT_CODES, EXIT_ERROR, emit_json, emit_table
from didmeta.cli.queries import freeze as freeze_command
from didmeta.cli.queries import query as query_group
from didmeta.client import Client, DidInfo, DidmetaError, DidRow, InvalidArgument, LoadChunk, NewDid
from didmeta.filters import parse_filter_string, parse_filter_tree
from didmeta.filters.grammar import split_outside
from didmeta.filters.tree import flat_groups
from didmeta.identifiers import parse_did
from didmeta.values import format_value, parse_text_value


class Context:
    def __init__(self, server: str, as_json: bool, timeout: float | None) -> None:
        self.server, self.as_json, self.timeout = server, as_json, timeout
        self.client_options: dict[str, Any] = {}
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            unary = DEFAULT_CALL_TIMEOUT if self.timeout is None else (self.timeout or None)
            self._client = Client(self.server, timeout=unary, **self.client_options)
        return self._client

    @property
    def stream_timeout(self) -> float | None:
        """The deadline of a whole listing or load: --timeout if given (0: none), else none."""
        return self.timeout or None


pass_context = click.make_pass_decorator(Context)
DEFAULT_CALL_TIMEOUT = 60.0


@click.group()
@click.option(
    "--server",
    envvar="DIDMETA_SERVER",
    default="127.0.0.1:50051",
    show_default=True,
    help="HOST:PORT of the didmeta server (env DIDMETA_SERVER).",
)
@click.option("--json", "as_json", is_flag=True, help="Print NDJSON instead of tables (also after the subcommand).")
@click.option(
    "--timeout",
    type=float,
    envvar="DIDMETA_TIMEOUT",
    help=(
        "Deadline of each call in seconds, a whole listing or load included; 0: none (env DIDMETA_TIMEOUT). "
        "Default: 60 s for single calls, none for listings and loads."
    ),
)
@connection_options
@click.version_option("0.1.0", prog_name="didmeta")
@click.pass_context
def cli(ctx: click.Context, /, server: str, as_json: bool, timeout: float | None, **connection: Any) -> None:
    """didmeta: DID metadata from the command line."""
    ctx.obj = Context(server, as_json, timeout)
    ctx.obj.client_options = client_options(**connection)


# --- serve ----------------------------------------------------------------------------------------
@cli.command()
@click.option("--listen", help="HOST:PORT to serve on (default 127.0.0.1:50051).")
@click.option("--database", help="SQLAlchemy URL (default sqlite:///./didmeta.db).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="TOML or YAML config file (env DIDMETA_CONFIG).",
)
@click.option("--plugins", help="Comma-separated plugin list, e.g. DID_COLUMN,JSON.")
@click.option("--demo-data", is_flag=True, default=None, help="Load a small demo catalogue into an empty database.")
@click.option(
    "--port-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the bound port here once serving (useful with port 0).",
)
@click.option(
    "--workers",
    help="Server processes on the one port: a number or `auto` (one per core); default 1 (docs/deployment.md).",
)
@click.option(
    "--rest-listen",
    help="HOST:PORT for the REST/JSON gateway, /openapi.json and the catalogue page (docs/rest.md); off by default.",
)
@click.option(
    "--insecure-open",
    is_flag=True,
    help="Allow auth.mode = local on a non-loopback address (anyone reaching the port is admin).",
)
def serve(
    listen: str | None,
    database: str | None,
    config_file: Path | None,
    plugins: str | None,
    demo_data: bool | None,
    port_file: Path | None,
    workers: str | None,
    rest_listen: str | None,
    insecure_open: bool,
) -> None:
    """Run the didmeta gRPC server (and, with --rest-listen, its REST/JSON gateway)."""
    from pydantic import ValidationError

    from didmeta.server.app import serve as run_server
    from didmeta.server.auth import open_local_refusal
    from didmeta.server.config import load_settings
    from didmeta.server.logging_setup import configure_logging
    from didmeta.server.startup import StartupError

    try:
        settings = load_settings(
            config_file,
            listen=listen,
            database=database,
            plugins=plugins,
            demo_data=demo_data,
            workers=workers,
            rest_listen=rest_listen,
        )
    except ValidationError as error:
        raise click.UsageError(f"invalid configuration:\n{error}") from None
    except DidmetaError as error:
        click.echo(f"didmeta serve: cannot start: {error.message}", err=True)
        sys.exit(EXIT_CODES.get(error.code, EXIT_ERROR))
    settings.auth.insecure_open = settings.auth.insecure_open or insecure_open
    refusal = open_local_refusal(settings)
    if refusal is not None:
        click.echo(f"didmeta serve: {refusal}", err=True)
        sys.exit(2)
    configure_logging(settings.log_level, settings.log_format, settings.library_log_level, settings.max_log_chars)
    try:
        if settings.workers > 1:
            from didmeta.server.workers import run_workers

            sys.exit(run_workers(settings, port_file))
        asyncio.run(run_server(settings, port_file))
    except StartupError as error:
        click.echo(f"didmeta serve: {error}", err=True)
        sys.exit(error.exit_code)


# --- scopes ---------------------------------------------------------------------------------------
@cli.group()
def scope() -> None:
    """Manage scopes."""


@scope.command("add")
@click.argument("name")
@click.option("--account", default="", help="Owner account (default: the caller).")
@pass_context
def scope_add(ctx: Context, name: str, account: str) -> None:
    """Create a scope."""
    created = ctx.client.add_scope(name, account)
    if ctx.as_json:
        emit_json({"scope": created.name, "account": created.account, "created_at": created.created_at})
    else:
        click.echo(f"Added scope {created.name}")


@scope.command("list")
@click.argument("pattern", required=False, default="")
@pass_context
def scope_list(ctx: Context, pattern: str) -> None:
    """List scopes (optionally matching a `*` pattern)."""
    scopes = ctx.client.list_scopes(pattern)
    if ctx.as_json:
        for s in scopes:
            emit_json({"scope": s.name, "account": s.account, "created_at": s.created_at})
    else:
        emit_table(["SCOPE", "ACCOUNT"], [(s.name, s.account) for s in scopes])


# --- DIDs -----------------------------------------------------------------------------------------
@cli.group()
def did() -> None:
    """Manage DIDs, their content and their metadata."""


@did.command("add")
@click.option(
    "--type",
    "did_type",
    type=click.Choice(["file", "dataset", "container"], case_sensitive=False),
    required=True,
)
@click.argument("dids", nargs=-1, required=True)
@click.option("--bytes", "size", type=int, help="File size in bytes.")
@click.option("--adler32", help="File Adler-32 checksum (8 hex digits).")
@click.option("--md5", help="File MD5 checksum (32 hex digits).")
@click.option("--meta", "meta", multiple=True, metavar="KEY=VALUE", help="Initial metadata (repeatable).")
@pass_context
def did_add(
    ctx: Context,
    did_type: str,
    dids: Sequence[str],
    size: int | None,
    adler32: str | None,
    md5: str | None,
    meta: Sequence[str],
) -> None:
    """Create DIDs of one type."""
    metadata = dict(_key_value(item) for item in meta)
    created = ctx.client.add_dids(
        NewDid(d, did_type, bytes=size, adler32=adler32, md5=md5, metadata=metadata) for d in dids
    )
    if ctx.as_json:
        emit_json({"created": created})
    else:
        click.echo(f"Added {created} DID(s)")


@did.command("show")
@click.argument("did_name", metavar="DID")
@pass_context
def did_show(ctx: Context, did_name: str) -> None:
    """Show a DID's intrinsic attributes."""
    info = ctx.client.get_did(did_name)
    shown = {**info.__dict__, "length": _length(info)}  # a file has no length
    record = {k: v for k, v in shown.items() if v not in (None, "")}
    if ctx.as_json:
        emit_json(record)
    else:
        emit_table(["ATTRIBUTE", "VALUE"], [(k, format_value(v)) for k, v in record.items()])


@did.command("attach")
@click.argument("parent")
@click.argument("children", nargs=-1, required=True)
@pass_context
def did_attach(ctx: Context, parent: str, children: Sequence[str]) -> None:
    """Attach CHILDREN to the collection PARENT."""
    count = ctx.client.attach(parent, children)
    emit_json({"attached": count}) if ctx.as_json else click.echo(f"Attached {count} DID(s) to {parent}")


@did.command("detach")
@click.argument("parent")
@click.argument("children", nargs=-1, required=True)
@pass_context
def did_detach(ctx: Context, parent: str, children: Sequence[str]) -> None:
    """Detach CHILDREN from the collection PARENT."""
    count = ctx.client.detach(parent, children)
    emit_json({"detached": count}) if ctx.as_json else click.echo(f"Detached {count} DID(s) from {parent}")


@did.command("close")
@click.argument("did_name", metavar="DID")
@pass_context
def did_close(ctx: Context, did_name: str) -> None:
    """Close a collection."""
    ctx.client.set_status(did_name, open=False)
    emit_json({"did": did_name, "open": False}) if ctx.as_json else click.echo(f"Closed {did_name}")


@did.command("reopen")
@click.argument("did_name", metavar="DID")
@pass_context
def did_reopen(ctx: Context, did_name: str) -> None:
    """Reopen a collection."""
    ctx.client.set_status(did_name, open=True)
    emit_json({"did": did_name, "open": True}) if ctx.as_json else click.echo(f"Reopened {did_name}")


@did.command("delete")
@click.argument("dids", nargs=-1, required=True)
@pass_context
def did_delete(ctx: Context, dids: Sequence[str]) -> None:
    """Delete DIDs with their attachments and metadata."""
    count = ctx.client.delete_dids(dids)
    emit_json({"deleted": count}) if ctx.as_json else click.echo(f"Deleted {count} DID(s)")


did.add_command(embargo_history.embargo)
did.add_command(embargo_history.history)
did.add_command(summaries.facets)
cli.add_command(key_group)
cli.add_command(query_group)
did.add_command(freeze_command)


@did.group("content")
def content() -> None:
    """The content of collections."""


@content.command("list")
@click.argument("did_name", metavar="DID")
@pass_context
def content_list(ctx: Context, did_name: str) -> None:
    """List the direct children of a collection."""
    children = list(ctx.client.list_content(did_name))
    if ctx.as_json:
        for c in children:
            emit_json({"did": f"{c.scope}:{c.name}", "type": c.type, "bytes": c.bytes, "length": _length(c)})
    else:
        emit_table(
            ["SCOPE:NAME", "[DID TYPE]", "BYTES"],
            [(f"{c.scope}:{c.name}", c.type, str(c.bytes)) for c in children],
        )


def _length(did: DidInfo | DidRow) -> int | None:
    """A collection's length; None for a FILE, which has none (the wire carries 0 for it)."""
    return None if did.type == "FILE" else did.length


def _scope_and_name(pattern: str) -> tuple[str, str]:
    scope_part, sep, name_part = pattern.partition(":")
    if not sep:
        raise click.BadParameter(f"{pattern!r} is not SCOPE:NAME (use SCOPE:* for a whole scope)")
    return scope_part, name_part or "*"


def _has_name_clause(group: str) -> bool:
    """Whether an OR group has its own `name` clause (a malformed group is left to the server to refuse)."""
    try:
        parsed = parse_filter_string(group)
    except DidmetaError:
        return False
    return any(raw.key == "name" for clauses in parsed for raw in clauses)


def _with_name(filter_text: str, name: str) -> str:
    """Add `name=PATTERN` to every OR group that has no `name` clause of its own (nothing for `*`).

    A filter with `not` or parentheses is kept whole: `(FILTER),name=PATTERN`.
    """
    if name.strip("*") == "":
        return filter_text
    clause = f'name="{name}"' if "*" not in name else f"name={name}"
    try:
        nested = flat_groups(parse_filter_tree(filter_text)) is None
    except DidmetaError:
        nested = False  # malformed: left to the server to refuse
    if nested:
        return f"({filter_text}),{clause}"
    groups = [g for g in split_outside(filter_text, ";") if g.strip()] or [""]
    return ";".join(g if _has_name_clause(g) else f"{g},{clause}" if g.strip() else clause for g in groups)


@did.command("list")
@click.argument("pattern", required=False)
@click.option("--filter", "filter_text", default="", help='Filter expression, e.g. "type=ALL,run_number>=100".')
@did_type_option()
@click.option("--long", is_flag=True, help="Show type, bytes, length (and --key values).")
@click.option("--recursive", is_flag=True, help="Also list matching descendants.")
@click.option("--limit", type=int, default=0, help="At most N DIDs (0: all).")
@click.option("--ignore-case", is_flag=True, help="Compare strings case-insensitively.")
@click.option("--key", "keys", multiple=True, help="With --long: metadata keys to show (repeatable).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an Arrow listing (all columns, --key values typed) to FILE.parquet, .arrow or .csv.",
)
@click.option("--explain", is_flag=True, help="Show how the listing would run (clauses, backend queries, plans).")
@click.option("--query", "saved", default=None, help="Run a saved query (`didmeta query save`) instead of PATTERN.")
@pass_context
def did_list(
    ctx: Context,
    pattern: str | None,
    filter_text: str,
    did_type: str,
    long: bool,
    recursive: bool,
    limit: int,
    ignore_case: bool,
    keys: Sequence[str],
    output: Path | None,
    explain: bool,
    saved: str | None,
) -> None:
    """List DIDs in SCOPE:NAME-PATTERN matching a filter (or those of a saved query: --query NAME)."""
    if saved is not None:
        if pattern is not None or filter_text:
            raise click.UsageError("--query NAME replaces PATTERN and --filter")
        query = ctx.client.get_saved_query(saved)
        pattern, filter_text = f"{query.scope}:*", query.filter
        did_type, recursive, ignore_case = query.type, query.recursive, query.ignore_case
    if pattern is None:
        raise click.UsageError("give SCOPE:PATTERN (or --query NAME)")
    scope_pattern, name = _scope_and_name(pattern)
    if explain:
        summaries.show_explanation(
            ctx,
            ctx.client.explain_dids(
                scope_pattern,
                _with_name(filter_text, name),
                type=did_type,
                recursive=recursive,
                ignore_case=ignore_case,
            ),
        )
        return
    options: dict[str, Any] = {
        "type": did_type,
        "recursive": recursive,
        "limit": limit,
        "ignore_case": ignore_case,
        "timeout": ctx.stream_timeout,
    }
    expression = _with_name(filter_text, name)
    if output is not None:
        from didmeta.cli.export import output_format, write_listing

        output_format(output)
        batches = ctx.client.list_dids_arrow(scope_pattern, expression, metadata_keys=list(keys), **options)
        written = write_listing(batches, output, keys)
        if ctx.as_json:
            emit_json({"output": str(output), "dids": written})
        else:
            click.echo(f"{written} DIDs written to {output}")
        return
    if not long:
        rows = ctx.client.list_dids(scope_pattern, expression, **options)
        if ctx.as_json:
            for did_text in rows:
                emit_json({"did": did_text})
        else:
            emit_table(["SCOPE:NAME"], ((r,) for r in rows))
        return
    long_rows = ctx.client.list_dids_long(scope_pattern, expression, metadata_keys=list(keys), **options)
    if ctx.as_json:
        for row in long_rows:
            emit_json(
                {
                    "did": f"{row.scope}:{row.name}",
                    "type": row.type,
                    "bytes": row.bytes,
                    "length": _length(row),
                    **({"metadata": row.metadata} if keys else {}),
                }
            )
        return
    headers = ["SCOPE:NAME", "[DID TYPE]", "BYTES", "LENGTH", *(k.upper() for k in keys)]
    emit_table(
        headers,
        (
            (
                f"{r.scope}:{r.name}",
                r.type,
                str(r.bytes),
                format_value(_length(r)) if r.type != "FILE" else "",
                *(format_value(r.metadata[k]) if k in r.metadata else "" for k in keys),
            )
            for r in long_rows
        ),
    )


@did.command("count")
@click.argument("pattern")
@click.option("--filter", "filter_text", default="")
@did_type_option()
@click.option("--recursive", is_flag=True)
@click.option("--ignore-case", is_flag=True)
@click.option("--totals", is_flag=True, help="Also sum the bytes and events of the DIDs.")
@pass_context
def did_count(
    ctx: Context, pattern: str, filter_text: str, did_type: str, recursive: bool, ignore_case: bool, totals: bool
) -> None:
    """Count the DIDs `did list` would show."""
    scope_pattern, name = _scope_and_name(pattern)
    options: dict[str, Any] = {"type": did_type, "recursive": recursive, "ignore_case": ignore_case}
    if totals:
        summed = ctx.client.count_totals(scope_pattern, _with_name(filter_text, name), **options)
        record = {"count": summed.count, "bytes": summed.bytes, "events": summed.events}
        if ctx.as_json:
            emit_json(record)
        else:
            emit_table(["COUNT", "BYTES", "EVENTS"], [tuple(str(v) for v in record.values())])
        return
    count = ctx.client.count_dids(scope_pattern, _with_name(filter_text, name), **options)
    emit_json({"count": count}) if ctx.as_json else click.echo(count)


def _key_value(item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep:
        raise click.BadParameter(f"{item!r} is not KEY=VALUE")
    return key, parse_text_value(value)


_RECORD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "bytes": int,
    "adler32": str,
    "metadata": dict,
    "parent": (str, type(None)),
}


def _load_record(line: str, where: str) -> tuple[str, dict[str, Any]]:
    """One NDJSON line of `did load` as (DID, record); INVALID_ARGUMENT naming the file and line if malformed."""

    def bad(problem: str) -> InvalidArgument:
        return InvalidArgument(f"{where}: not a DID record: {problem}", reason="INVALID_RECORD")

    try:
        record = json.loads(line)
    except ValueError as error:
        raise bad(f"not JSON ({error})") from None
    if not isinstance(record, dict) or not isinstance(record.get("did"), str):
        raise bad('expected an object with a "did" string')
    try:
        key = str(parse_did(record["did"]))
    except InvalidArgument as error:
        raise bad(error.message) from None
    for name, kinds in _RECORD_FIELDS.items():
        if name in record and not isinstance(record[name], kinds):
            raise bad(f"{name!r} has the wrong type ({type(record[name]).__name__})")
    if "type" in record and record["type"].lower() not in ("file", "dataset", "container"):
        raise bad(f"unknown type {record['type']!r}: file, dataset or container")
    return key, record


def _load_chunks(path: Path, chunk_size: int, progress: Any) -> Iterator[LoadChunk]:
    chunk = LoadChunk()
    with path.open() as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            key, record = _load_record(line, f"{path}:{number}")
            if "type" in record:
                chunk.dids.append(
                    NewDid(
                        key,
                        record["type"],
                        bytes=record.get("bytes"),
                        adler32=record.get("adler32"),
                        metadata=record.get("metadata", {}),
                    )
                )
            elif "metadata" in record:
                chunk.metadata.append((key, record["metadata"]))
            if record.get("parent"):
                chunk.attachments.append((record["parent"], key))
            if len(chunk.dids) + len(chunk.metadata) >= chunk_size:
                progress.update(len(chunk.dids) + len(chunk.metadata))
                yield chunk
                chunk = LoadChunk()
    if chunk.dids or chunk.metadata or chunk.attachments:
        progress.update(len(chunk.dids) + len(chunk.metadata))
        yield chunk


@did.command("load")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--chunk-size", type=int, default=5000, show_default=True, help="Records per atomic chunk.")
@pass_context
def did_load(ctx: Context, path: Path, chunk_size: int) -> None:
    """Bulk-load NDJSON records: {"did", "type"?, "bytes"?, "metadata"?, "parent"?} per line."""
    total = sum(1 for line in path.open() if line.strip())
    with click.progressbar(length=total, label="loading", file=sys.stderr, show_pos=True) as progress:
        result = ctx.client.load(_load_chunks(path, chunk_size, progress), timeout=ctx.stream_timeout)
    summary = {
        "chunks": result.chunks,
        "created": result.created,
        "updated": result.updated,
        "attached": result.attached,
    }
    emit_json(summary) if ctx.as_json else click.echo(
        f"Loaded {result.chunks} chunk(s): {result.created} created, {result.updated} updated, "
        f"{result.attached} attached"
    )


# --- metadata -------------------------------------------------------------------------------------
@did.group("metadata")
def metadata() -> None:
    """Metadata of DIDs."""


@metadata.command("add")
@click.argument("did_name", metavar="DID")
@click.option("--key", required=True)
@click.option("--value", required=True, help='Typed like filters: 5 is an int, "5" a string, 2024-01-01 a date.')
@click.option("--recursive", is_flag=True, help="Also set it on the direct children.")
@pass_context
def metadata_add(ctx: Context, did_name: str, key: str, value: str, recursive: bool) -> None:
    """Set one metadata key."""
    ctx.client.set_metadata(did_name, {key: parse_text_value(value)}, recursive=recursive)
    if ctx.as_json:
        emit_json({"did": did_name, "key": key, "value": parse_text_value(value)})


@metadata.command("list")
@click.argument("did_name", metavar="DID")
@click.option("--plugin", default="DID_COLUMN", show_default=True, help="A plugin name, or ALL.")
@pass_context
def metadata_list(ctx: Context, did_name: str, plugin: str) -> None:
    """Show a DID's metadata from one plugin or from ALL."""
    values = ctx.client.get_metadata(did_name, plugin)
    if ctx.as_json:
        emit_json(dict(sorted(values.items())))
    else:
        for key in sorted(values):
            click.echo(f"{key + ':':<16} {format_value(values[key])}")


@metadata.command("delete")
@click.argument("did_name", metavar="DID")
@click.option("--key", "keys", required=True, multiple=True)
@pass_context
def metadata_delete(ctx: Context, did_name: str, keys: Sequence[str]) -> None:
    """Delete metadata keys."""
    ctx.client.delete_metadata(did_name, keys)
    if ctx.as_json:
        emit_json({"did": did_name, "deleted": list(keys)})


# --- tokens ---------------------------------------------------------------------------------------
@cli.group()
def token() -> None:
    """Issue bearer tokens (HS256, with the server's shared secret)."""


@token.command("issue")
@click.option("--account", required=True, help="The account the token speaks for (its `sub`).")
@click.option("--scope", "scopes", multiple=True, help="A capability, e.g. didmeta.write:user.alice (repeatable).")
@click.option("--ttl", default="1h", show_default=True, help="Lifetime: 90s, 15m, 1h, 2d.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="The server's config file, for auth.hs256_secret, issuers and audience (env DIDMETA_CONFIG).",
)
def token_issue(account: str, scopes: tuple[str, ...], ttl: str, config_file: Path | None) -> None:
    """Print a signed token for ACCOUNT with the given capabilities."""
    from didmeta.server.access.token_issue import issue_token, parse_ttl
    from didmeta.server.config import load_settings

    capabilities = [item for text in scopes for item in text.split()]
    settings = load_settings(config_file)
    click.echo(issue_token(settings.auth, account, capabilities, parse_ttl(ttl)))


# --- plugins --------------------------------------------------------------------------------------
@cli.group()
def plugin() -> None:
    """Metadata plugins of the server."""


@plugin.command("list")
@pass_context
def plugin_list(ctx: Context) -> None:
    """List the enabled plugins in ownership order."""
    plugins = ctx.client.list_plugins()
    if ctx.as_json:
        for p in plugins:
            emit_json(p.__dict__)
    else:
        emit_table(
            ["ORDER", "NAME", "HEALTHY", "KEYS"],
            [(str(p.order), p.name, "yes" if p.healthy else "no", ",".join(p.managed_keys)) for p in plugins],
        )


def _json_after_subcommand(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(Context).as_json = True  # type: ignore[union-attr]


def _accept_json_anywhere(group: click.Group) -> None:
    """Give every command a `--json` flag too, so `did list 'mc23:*' --json` works as users type it."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_json_anywhere(command)
        elif command.name != "serve":
            command.params.append(
                click.Option(
                    ["--json"],
                    is_flag=True,
                    expose_value=False,
                    callback=_json_after_subcommand,
                    help="Print NDJSON instead of tables (same as didmeta --json).",
                )
            )


cli.add_command(import_group)

_accept_json_anywhere(cli)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI, turning didmeta errors into a message and an exit code."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="didmeta", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except DidmetaError as error:
        click.echo(f"Error ({error.code.name}, {error.reason}): {error.message}", err=True)
        sys.exit(EXIT_CODES.get(error.code, EXIT_ERROR))
    except ValueError as error:  # a bad value caught by the client before any call: INVALID_ARGUMENT
        click.echo(f"Error (INVALID_ARGUMENT, INVALID_ARGUMENT): {error}", err=True)
        sys.exit(EXIT_CODES[InvalidArgument.code])
