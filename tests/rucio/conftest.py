"""Fixtures of the Rucio integration tests: a Rucio catalogue built with Rucio's own core API (in its
venv, tests/support/rucio_env.py) and a didmeta server to import it into, on SQLite and PostgreSQL.

The SQLite catalogue is the small data set without JSON metadata (Rucio's JSON plugin needs a
database with JSON support); the PostgreSQL one is the differential test's few thousand DIDs with
JSON metadata. Each is built once per session.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.rucio.dataset import DataSet, generate
from tests.support.backends import RunningBackend
from tests.support.databases import new_postgres_database
from tests.support.rucio_env import RucioEnv
from tests.support.server import ServerProcess

#: (containers per scope, datasets per container, files base) per catalogue kind.
SIZES = {"sqlite": (3, 5, 4), "postgresql": (4, 8, 6)}


@dataclass
class RucioCatalogue:
    kind: str
    env: RucioEnv
    data: DataSet
    json_metadata: bool

    @property
    def url(self) -> str:
        return self.env.database


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def rucio_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def rucio_catalogues() -> dict[str, RucioCatalogue]:
    return {}


@pytest.fixture(scope="session")
def rucio_catalogue(
    rucio_kind: str,
    rucio_catalogues: dict[str, RucioCatalogue],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> RucioCatalogue:
    """The Rucio catalogue of this kind, built through Rucio's core API (once per session)."""
    return build_catalogue(rucio_kind, rucio_catalogues, request, tmp_path_factory)


def build_catalogue(
    rucio_kind: str,
    rucio_catalogues: dict[str, RucioCatalogue],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> RucioCatalogue:
    if rucio_kind not in rucio_catalogues:
        workdir = tmp_path_factory.mktemp(f"rucio-{rucio_kind}")
        if rucio_kind == "sqlite":
            database = f"sqlite:///{workdir / 'rucio.db'}"
        else:
            backend: RunningBackend = request.getfixturevalue("postgres_server")
            database = new_postgres_database(backend.url, prefix="rucio")
        env = RucioEnv(workdir, database)
        sizes = SIZES[rucio_kind]
        json_metadata = rucio_kind == "postgresql"
        args = ["build", "--sizes", ",".join(map(str, sizes))] + (["--json-metadata"] if json_metadata else [])
        env.side(*args, timeout=900)
        rucio_catalogues[rucio_kind] = RucioCatalogue(rucio_kind, env, generate(*sizes), json_metadata)
    return rucio_catalogues[rucio_kind]


@pytest.fixture()
def fresh_didmeta(
    rucio_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    """An empty didmeta server on the same kind of database as the Rucio catalogue."""
    return start_server({"database": make_catalogue_url(rucio_kind), "log_format": "text"})


def run_import(
    server: ServerProcess, database: str, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`didmeta import rucio` as a user runs it (a subprocess of the didmeta CLI)."""
    command = [str(Path(sys.executable).with_name("didmeta")), "--server", server.address, "import", "rucio"]
    return subprocess.run(
        [*command, "--database", database, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def expected_metadata(catalogue: RucioCatalogue, key: str) -> dict[str, Any]:
    did = next(d for d in catalogue.data.dids if d.key == key)
    return {**did.columns, **(did.json if catalogue.json_metadata else {})}
