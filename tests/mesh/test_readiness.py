"""Readiness: the didmeta.v1 services' health follows the real backends, stopped and started under a live server.

The overall service "" stays SERVING throughout (liveness: the process answers).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from didmeta.server.app import SERVICE_NAMES
from tests.polyglot import toolchain
from tests.support.backends import SCRIPTS_DIR, RunningBackend, start_backend, stop_backend
from tests.support.databases import new_postgres_database, new_sqlite_database
from tests.support.faults import start_postgres, stop_postgres
from tests.support.server import ServerProcess

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
INTERVAL_S = 0.5
NOT_SERVING_EXIT = 4  # grpc-health-probe's exit code for a NOT_SERVING answer


def probe(address: str, service: str) -> int:
    """grpc-health-probe's exit code for `service`."""
    command = [str(toolchain.tool("grpc-health-probe")), f"-addr={address}", f"-service={service}"]
    return subprocess.run(command, capture_output=True, timeout=60, check=False).returncode


def statuses(address: str) -> dict[str, int]:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return {
            name: stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=10).status
            for name in ("", *SERVICE_NAMES)
        }


def wait_for_status(address: str, want: int, timeout: float = 20.0) -> dict[str, int]:
    """Poll until every didmeta.v1 service reports `want`; the statuses then."""
    deadline = time.monotonic() + timeout
    while True:
        seen = statuses(address)
        if all(seen[name] == want for name in SERVICE_NAMES):
            return seen
        assert time.monotonic() < deadline, f"services did not reach {want}: {seen}"
        time.sleep(0.1)


@pytest.fixture()
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
    """A PostgreSQL server of this test alone (the shared one must not go down)."""
    backend = start_backend("postgres", tmp_path_factory.mktemp("readiness_pg"))
    try:
        yield backend
    finally:
        stop_backend(backend)


def test_catalogue_down_makes_the_services_not_serving_until_it_returns(
    own_postgres: RunningBackend, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {
            "database": new_postgres_database(own_postgres.url),
            "log_format": "text",
            "readiness_interval_seconds": INTERVAL_S,
        }
    )
    assert statuses(server.address) == {"": SERVING, **dict.fromkeys(SERVICE_NAMES, SERVING)}
    stop_postgres(own_postgres)
    try:
        down = wait_for_status(server.address, NOT_SERVING)
        assert down[""] == SERVING, "liveness is not readiness"
        # What a Kubernetes probe sees (grpc-health-probe, as in the Containerfile's HEALTHCHECK):
        assert probe(server.address, "didmeta.v1.MetadataService") == NOT_SERVING_EXIT
        assert probe(server.address, "") == 0
        time.sleep(3 * INTERVAL_S)
        assert statuses(server.address) == down, "stays NOT_SERVING while the database is down"
    finally:
        start_postgres(own_postgres)
    up = wait_for_status(server.address, SERVING)
    assert up[""] == SERVING
    assert probe(server.address, "didmeta.v1.MetadataService") == 0
    assert "backends unreachable" in server.log_path.read_text()


def test_a_plugin_backend_down_makes_the_services_not_serving(
    start_server: Callable[..., ServerProcess], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """MONGO on FerretDB: stopped, then a new FerretDB on the same port."""
    ferret_dir = tmp_path_factory.mktemp("readiness_ferret")
    ferret = start_backend("ferretdb", ferret_dir)
    port = ferret.url.rstrip("/").rsplit(":", 1)[1]
    server = start_server(
        {
            "database": new_sqlite_database(tmp_path),
            "log_format": "text",
            "plugins": ["DID_COLUMN", "MONGO"],
            "plugin_options": {"MONGO": {"url": ferret.url, "database": "readiness"}},
            "readiness_interval_seconds": INTERVAL_S,
        }
    )
    try:
        wait_for_status(server.address, SERVING)
        stop_backend(ferret)
        down = wait_for_status(server.address, NOT_SERVING)
        assert down[""] == SERVING
        restart = [str(SCRIPTS_DIR / "ferretdb.sh"), "start", str(ferret_dir), port]
        subprocess.run(restart, check=True, capture_output=True, timeout=300)
        wait_for_status(server.address, SERVING, timeout=40)
    finally:
        stop_backend(ferret)
