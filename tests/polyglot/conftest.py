"""One live server (SQLite catalogue, default plugins) shared by the polyglot tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def polyglot_server(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    return start_server({"database": make_catalogue_url("sqlite"), "log_format": "text"})
