"""`didmeta import rucio`: the command around `didmeta.integrations.rucio.importer`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click


@click.group("import")
def import_group() -> None:
    """Import a catalogue from another system."""


@import_group.command("rucio")
@click.option("--database", required=True, help="Rucio's database URL (sqlite:///... or postgresql://...), read-only.")
@click.option("--db-schema", default=None, help="The PostgreSQL schema of Rucio's tables ([database] schema).")
@click.option("--scope", "scopes", multiple=True, help="Import only this scope (repeatable). Default: every scope.")
@click.option(
    "--resume-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where progress is recorded after each chunk; an interrupted import given the same file resumes.",
)
@click.option(
    "--keep-strings/--type-strings",
    default=False,
    show_default=True,
    help="Keep Rucio's JSON string values as strings instead of typing them by the spec's text rules.",
)
@click.option("--page", type=int, default=1000, show_default=True, help="DIDs (or attachments) per atomic chunk.")
@click.option("--refusals-file", type=click.Path(path_type=Path, dir_okay=False), help="Write every refusal as NDJSON.")
@click.pass_obj
def import_rucio(
    ctx: Any,
    database: str,
    db_schema: str | None,
    scopes: tuple[str, ...],
    resume_file: Path | None,
    keep_strings: bool,
    page: int,
    refusals_file: Path | None,
) -> None:
    """Copy a Rucio catalogue (scopes, DIDs, metadata, attachments, closed state) into the server.

    Ends with the count per scope and type in Rucio and in didmeta, and what was refused and why.
    Exit code 0 when every count matches and nothing was refused, 1 otherwise.
    """
    from didmeta.integrations.rucio.importer import RucioImporter, format_report
    from didmeta.integrations.rucio.source import RucioSource

    started = time.monotonic()
    last = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and done != total:
            return
        last[0] = now
        rate = done / max(now - started, 1e-9)
        of = f"/{total:,}" if total else ""
        click.echo(f"\r{phase}: {done:,}{of} ({rate:,.0f}/s)   ", err=True, nl=False)

    try:
        source = RucioSource(database, schema=db_schema, page=page)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--database") from None
    try:
        importer = RucioImporter(
            source,
            ctx.client,
            scopes=scopes,
            resume_file=resume_file,
            type_strings=not keep_strings,
            progress=progress,
        )
        try:
            report = importer.run()
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--scope") from None
    finally:
        source.close()
    click.echo("", err=True)
    if refusals_file is not None:
        with refusals_file.open("w") as out:
            for refusal in report.refusals:
                out.write(json.dumps({"did": refusal.did, "key": refusal.key, "reason": refusal.reason}) + "\n")
    if ctx.as_json:
        click.echo(
            json.dumps(
                {
                    "state": report.state.to_json(),
                    "counts": [
                        {
                            "scope": s,
                            "type": t,
                            "rucio": report.source_counts.get((s, t), 0),
                            "didmeta": report.didmeta_counts.get((s, t), 0),
                        }
                        for s, t in sorted(set(report.source_counts) | set(report.didmeta_counts))
                    ],
                    "refusals": [r.__dict__ for r in report.refusals],
                    "matches": report.matches,
                }
            )
        )
    else:
        click.echo(format_report(report, started, importer.refusal_reasons))
    if not report.matches:
        sys.exit(1)
