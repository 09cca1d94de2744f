"""A live didmeta server with the REST/JSON gateway (SQLite and PostgreSQL catalogues)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.rest import RestServer, start_rest_server
from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def rest_server(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> RestServer:
    return start_rest_server(start_server, {"database": make_catalogue_url(catalogue_kind)})
