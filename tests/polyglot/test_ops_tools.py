"""Third-party gRPC tools against a live server: grpcurl (reflection: list, describe, ListDids with JSON,
an error with its ErrorInfo) and grpc-health-probe (overall, per service, unknown service, no server)."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from didmeta.client import NewDid
from tests.polyglot import toolchain
from tests.support.server import ServerProcess


def _run(command: list[str | Path], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=toolchain.environment(),
    )


def _grpcurl(server: ServerProcess, *args: str, data: object = None) -> subprocess.CompletedProcess[str]:
    """grpcurl -plaintext [-d JSON] ADDRESS ARGS... (the server is found by reflection)."""
    options = ["-d", json.dumps(data)] if data is not None else []
    return _run([toolchain.tool("grpcurl"), "-plaintext", *options, server.address, *args])


@pytest.fixture(scope="module")
def catalogue(polyglot_server: ServerProcess) -> str:
    scope = "grpcurl"
    with polyglot_server.client(timeout=30) as client:
        client.add_scope(scope)
        client.add_dids(NewDid(f"{scope}:ds_{i}", "DATASET", metadata={"run": i}) for i in range(1, 6))
    return scope


def test_grpcurl_lists_the_services(polyglot_server: ServerProcess) -> None:
    result = _grpcurl(polyglot_server, "list")
    assert result.returncode == 0, result.stderr
    services = set(result.stdout.split())
    assert {"didmeta.v1.DidService", "didmeta.v1.MetadataService", "grpc.health.v1.Health"} <= services


def test_grpcurl_describes_list_dids(polyglot_server: ServerProcess) -> None:
    result = _grpcurl(polyglot_server, "describe", "didmeta.v1.MetadataService")
    assert result.returncode == 0, result.stderr
    assert (
        "rpc ListDids ( .didmeta.v1.ListDidsRequest ) returns ( stream .didmeta.v1.ListDidsResponse )" in result.stdout
    )
    message = _grpcurl(polyglot_server, "describe", "didmeta.v1.ListDidsRequest")
    assert "string page_token = 8;" in message.stdout, message.stdout


def test_grpcurl_describes_a_single_method(polyglot_server: ServerProcess) -> None:
    """Python's reflection alone cannot resolve a method's name; didmeta's pool does (reflection_pool.py)."""
    result = _grpcurl(polyglot_server, "describe", "didmeta.v1.MetadataService.ListDids")
    assert result.returncode == 0, result.stderr
    assert "didmeta.v1.MetadataService.ListDids is a method:" in result.stdout, result.stdout
    assert (
        "rpc ListDids ( .didmeta.v1.ListDidsRequest ) returns ( stream .didmeta.v1.ListDidsResponse )" in result.stdout
    )
    unknown = _grpcurl(polyglot_server, "describe", "didmeta.v1.MetadataService.NoSuchMethod")
    assert unknown.returncode != 0, unknown.stdout


def test_grpcurl_streams_list_dids_as_json(polyglot_server: ServerProcess, catalogue: str) -> None:
    request = {
        "scope": catalogue,
        "filter": {"expression": "run.gte=2"},
        "type": "DID_TYPE_SELECTOR_ALL",
        "batchSize": 2,
    }
    result = _grpcurl(polyglot_server, "didmeta.v1.MetadataService/ListDids", data=request)
    assert result.returncode == 0, result.stderr
    decoder = json.JSONDecoder()
    text, messages = result.stdout.strip(), []
    while text:
        message, end = decoder.raw_decode(text)
        messages.append(message)
        text = text[end:].strip()
    assert len(messages) == 2  # batches of 2: ds_2 ds_3 | ds_4 ds_5
    names = [name for m in messages for name in m["batch"]["names"]]
    assert names == ["ds_2", "ds_3", "ds_4", "ds_5"]
    assert all(m["next_page_token"] for m in messages)


def test_grpcurl_shows_not_found_with_its_reason(polyglot_server: ServerProcess, catalogue: str) -> None:
    request = {"did": {"scope": catalogue, "name": "nope"}}
    result = _grpcurl(polyglot_server, "didmeta.v1.DidService/GetDid", data=request)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Code: NotFound" in output
    assert "DID_NOT_FOUND" in output and "google.rpc.ErrorInfo" in output


@pytest.mark.parametrize("service", ["", "didmeta.v1.DidService", "didmeta.v1.MetadataService"])
def test_health_probe_reports_serving(polyglot_server: ServerProcess, service: str) -> None:
    result = _run([toolchain.tool("grpc-health-probe"), f"-addr={polyglot_server.address}", f"-service={service}"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SERVING" in result.stdout + result.stderr


def test_health_probe_fails_for_an_unknown_service(polyglot_server: ServerProcess) -> None:
    result = _run([toolchain.tool("grpc-health-probe"), f"-addr={polyglot_server.address}", "-service=nope.v1.Nope"])
    assert result.returncode == 3, result.stdout + result.stderr  # 3: the RPC failed (NOT_FOUND)


def test_health_probe_fails_without_a_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    result = _run([toolchain.tool("grpc-health-probe"), f"-addr=127.0.0.1:{port}", "-connect-timeout=1s"])
    assert result.returncode == 2, result.stdout + result.stderr  # 2: connection failed
