"""Options shared by the CLI's selection commands (list, count, facets, freeze, saved queries)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: The `--type` values: one DID type, collections (datasets and containers), or all.
DID_TYPES = click.Choice(["all", "collection", "container", "dataset", "file"], case_sensitive=False)


def did_type_option(default: str = "collection", help: str | None = None) -> Callable[[F], F]:
    """`--type` (the command's `did_type` argument), one of `DID_TYPES`."""
    return click.option("--type", "did_type", default=default, show_default=True, type=DID_TYPES, help=help)
