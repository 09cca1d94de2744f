"""Shared fixtures: real backend servers (started once per session) and didmeta server processes.

`catalogue` is parametrized over SQLite and PostgreSQL: every integration test that uses it runs
on both. PostgreSQL is installed and started by tools/backends/postgres.sh on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from didmeta.client import Client
from tests.support.backends import RunningBackend, start_backend, stop_backend
from tests.support.cleanup import interrupt_on_sigterm
from tests.support.databases import new_postgres_database, new_sqlite_database
from tests.support.server import ServerProcess

# Hypothesis: the same examples on every run of the suite, so a red CI run can be reproduced and a
# green one is not luck; DIDMETA_HYPOTHESIS_EXPLORE=1 draws fresh random examples to hunt for new bugs
# (docs/testing.md). Registered here, before any test module builds its settings from the profile.
settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("DIDMETA_HYPOTHESIS_EXPLORE") == "1" else "reproducible")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
    backend = start_backend("postgres", tmp_path_factory.mktemp("postgres"))
    try:
        yield backend
    finally:
        stop_backend(backend)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def catalogue_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def make_catalogue_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """A function: kind ('sqlite' | 'postgresql') -> URL of a brand-new catalogue database."""

    def make(kind: str) -> str:
        if kind == "sqlite":
            return new_sqlite_database(tmp_path_factory.mktemp("sqlite"))
        backend: RunningBackend = request.getfixturevalue("postgres_server")
        return new_postgres_database(backend.url)

    return make


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServerProcess]]:
    """A function starting a didmeta server process with given settings; all are stopped at the end."""
    started: list[ServerProcess] = []

    def start(settings: dict[str, Any], **options: Any) -> ServerProcess:
        server = ServerProcess(tmp_path_factory.mktemp("server"), settings, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    """A server with the default plugins (DID_COLUMN, JSON) on SQLite and on PostgreSQL."""
    return start_server({"database": make_catalogue_url(catalogue_kind), "log_format": "text"})


@pytest.fixture()
def client(server: ServerProcess) -> Iterator[Client]:
    with server.client(timeout=30) as c:
        yield c


_scope_counter = iter(range(10**9))


@pytest.fixture()
def scope(client: Client) -> str:
    """A fresh scope for one test."""
    name = f"s{next(_scope_counter)}"
    client.add_scope(name)
    return name


def pytest_configure(config: pytest.Config) -> None:
    interrupt_on_sigterm()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark conformance tests; deselect (not skip) tests meant for another server of their parametrization."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if "tests/conformance" in str(Path(str(item.fspath))):
            item.add_marker(pytest.mark.backends)
        only = item.get_closest_marker("only_for_server")
        callspec = getattr(item, "callspec", None)
        if only is not None and callspec is not None and callspec.params.get("server") not in only.args:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture()
def tmp(tmp_path: Path) -> Path:
    return tmp_path
