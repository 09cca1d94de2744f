"""The CLI's credential options: a bearer token (`--token`, `--token-file`) and TLS (`--ca`, `--cert`, `--key`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from didmeta.client import tls_credentials

F = TypeVar("F", bound=Callable[..., Any])
_FILE = click.Path(path_type=Path, dir_okay=False)


def connection_options(function: F) -> F:
    """Add the credential options to the top-level command."""
    options = [
        click.option("--token", envvar="DIDMETA_TOKEN", help="Bearer token (env DIDMETA_TOKEN)."),
        click.option(
            "--token-file",
            envvar="DIDMETA_TOKEN_FILE",
            type=_FILE,
            help="File holding the bearer token, re-read when it changes (env DIDMETA_TOKEN_FILE).",
        ),
        click.option("--ca", envvar="DIDMETA_CA", type=_FILE, help="CA bundle to verify the server; enables TLS."),
        click.option("--cert", envvar="DIDMETA_CERT", type=_FILE, help="Client certificate (mTLS); enables TLS."),
        click.option("--key", envvar="DIDMETA_KEY", type=_FILE, help="Private key of --cert."),
        click.option("--tls", is_flag=True, envvar="DIDMETA_TLS", help="Use TLS with the system CA roots."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def client_options(
    token: str | None, token_file: Path | None, ca: Path | None, cert: Path | None, key: Path | None, tls: bool
) -> dict[str, Any]:
    """Keyword arguments for `Client` from the credential options."""
    if token and token_file:
        raise click.UsageError("give --token or --token-file, not both")
    options: dict[str, Any] = {"token": token or None, "token_file": token_file}
    if tls or ca or cert or key:
        options["credentials"] = tls_credentials(ca, cert, key)
    return options
