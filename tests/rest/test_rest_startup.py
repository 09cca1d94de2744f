"""`rest_listen` as an operator meets it: validated with the other settings, a busy port is one clear line,
local auth never serves a public REST port by accident, and SIGTERM stops the gateway with the server."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from didmeta.server.auth import open_local_refusal
from didmeta.server.config import load_settings
from tests.support.auth import Pki
from tests.support.rest import start_rest_server
from tests.support.server import ServerProcess

DIDMETA = Path(sys.executable).parent / "didmeta"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("DIDMETA_"):
            monkeypatch.delenv(name)
    yield


def test_rest_listen_is_validated() -> None:
    assert load_settings().rest_listen is None  # off by default
    assert load_settings(rest_listen="127.0.0.1:8080").rest_listen == "127.0.0.1:8080"
    with pytest.raises(ValidationError, match="HOST:PORT"):
        load_settings(rest_listen="8080")
    with pytest.raises(ValidationError, match="workers = 1"):
        load_settings(rest_listen="127.0.0.1:8080", workers=2)


def test_rest_listen_is_refused_with_mtls(tmp_path: Path) -> None:
    tls = {"cert_file": tmp_path / "c", "key_file": tmp_path / "k", "client_ca_file": tmp_path / "ca"}
    with pytest.raises(ValidationError, match=r"rest_listen cannot be used with auth\.mode = mtls"):
        load_settings(rest_listen="127.0.0.1:8080", tls=tls, auth={"mode": "mtls"})


def test_local_auth_refuses_a_public_rest_port() -> None:
    public = load_settings(rest_listen="0.0.0.0:8080")
    refusal = open_local_refusal(public)
    assert refusal is not None and "0.0.0.0:8080" in refusal
    assert open_local_refusal(load_settings(rest_listen="127.0.0.1:8080")) is None
    assert open_local_refusal(load_settings(rest_listen="0.0.0.0:8080", auth={"insecure_open": True})) is None


def test_busy_rest_port_is_one_line_exit_1_before_anything_is_opened(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DIDMETA_")}
        database = f"sqlite:///{tmp_path / 'a.db'}"
        result = subprocess.run(
            [str(DIDMETA), "serve", "--listen", "127.0.0.1:0", "--rest-listen", address, "--database", database],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "rest_listen" in lines[0] and address in lines[0] and "in use" in lines[0]
    assert not (tmp_path / "a.db").exists()


def test_sigterm_stops_the_gateway_with_the_server(tmp_path: Path, start_server: Callable[..., ServerProcess]) -> None:
    server = start_rest_server(start_server, {"database": f"sqlite:///{tmp_path / 'b.db'}"})
    with urllib.request.urlopen(f"{server.base}/v1/plugins", timeout=10) as reply:
        assert reply.status == 200
    log = server.process.log_path.read_text()
    assert "didmeta REST gateway listening" in log and f"127.0.0.1:{server.port}" in log
    assert server.process.terminate() == 0
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=2):
        pass  # nothing listens on the REST port any more


def test_with_tls_the_rest_port_serves_https(tmp_path: Path, start_server: Callable[..., ServerProcess]) -> None:
    pki = Pki(tmp_path / "pki").create_ca()
    cert, key = pki.issue("server", "localhost", server=True)
    server = start_rest_server(
        start_server,
        {"database": f"sqlite:///{tmp_path / 'c.db'}", "tls": {"cert_file": str(cert), "key_file": str(key)}},
    )
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    url = f"https://127.0.0.1:{server.port}/v1/plugins"
    with urllib.request.urlopen(url, context=context, timeout=10) as reply:
        assert reply.status == 200 and json.loads(reply.read())["plugins"][0]["name"] == "DID_COLUMN"
    with pytest.raises((urllib.error.URLError, ConnectionError)):  # no plain HTTP answer on the TLS port
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/v1/plugins", timeout=10).close()
