"""TLS, mTLS and the start-up guard against real server processes with certificates made in the test;
the CLI and the Python client with `--token`, a token file that is rotated, and `didmeta token issue`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from didmeta.client import Client, tls_credentials
from tests.support.auth import ISSUER, SECRET, Pki, hs256_token
from tests.support.checks import expect_error, free_port
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess, write_config

DIDMETA = Path(sys.executable).parent / "didmeta"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    pki = Pki(tmp_path_factory.mktemp("pki")).create_ca()
    pki.issue("server", "didmeta server", server=True)
    for stem, name in (("alice", "Alice Smith"), ("bob", "bob"), ("operator", "operator")):
        pki.issue(stem, name)
    return pki


def _pair(pki: Pki, stem: str) -> tuple[Path, Path]:
    return pki.directory / f"{stem}.pem", pki.directory / f"{stem}.key"


@pytest.fixture(scope="module")
def mtls_server(
    pki: Pki, tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    cert, key = _pair(pki, "server")
    return start_server(
        {
            "database": new_sqlite_database(tmp_path_factory.mktemp("mtls")),
            "log_format": "text",
            "tls": {"cert_file": str(cert), "key_file": str(key), "client_ca_file": str(pki.ca_file)},
            "auth": {
                "mode": "mtls",
                "identity_map": {"CN=Alice Smith,O=didmeta tests": "alice"},
                "admin_accounts": ["operator"],
            },
        }
    )


def mtls_client(server: ServerProcess, pki: Pki, stem: str | None) -> Client:
    cert, key = _pair(pki, stem) if stem else (None, None)
    return Client(server.address, timeout=30, credentials=tls_credentials(pki.ca_file, cert, key))


def test_mtls_accounts_come_from_the_certificate_subject(mtls_server: ServerProcess, pki: Pki) -> None:
    with mtls_client(mtls_server, pki, "operator") as operator:  # CN=operator, an admin account
        operator.add_scope("alice", "alice")
        operator.add_scope("bob", "bob")
    with mtls_client(mtls_server, pki, "alice") as alice:  # mapped subject -> alice
        alice.add_did("alice:from-cert", "file", bytes=1)
        assert alice.get_did("alice:from-cert").account == "alice"
        expect_error(
            lambda: alice.add_scope("mine", "alice"), grpc.StatusCode.PERMISSION_DENIED, mentions=("didmeta.admin",)
        )
    with mtls_client(mtls_server, pki, "bob") as bob:  # unmapped: the common name
        bob.add_did("bob:b1", "file", bytes=1)
        assert bob.get_did("bob:b1").account == "bob"
        expect_error(lambda: bob.add_did("alice:intruder", "file", bytes=1), grpc.StatusCode.PERMISSION_DENIED)


def test_mtls_refuses_a_client_without_a_certificate(mtls_server: ServerProcess, pki: Pki) -> None:
    with mtls_client(mtls_server, pki, None) as anonymous:
        expect_error(anonymous.list_scopes, grpc.StatusCode.UNAVAILABLE)
    with Client(mtls_server.address, timeout=10) as plaintext:
        expect_error(plaintext.list_scopes, grpc.StatusCode.UNAVAILABLE)


def test_mtls_needs_a_client_ca(tmp_path: Path, pki: Pki) -> None:
    cert, key = _pair(pki, "server")
    config = write_config(
        tmp_path / "c.toml",
        {"tls": {"cert_file": str(cert), "key_file": str(key)}, "auth": {"mode": "mtls"}},
    )
    result = _serve(tmp_path, "--config", str(config))
    assert result.returncode == 2 and "client_ca_file" in result.stderr


# --- start-up guard -------------------------------------------------------------------------------
def _serve(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIDMETA_")}
    return subprocess.run(
        [str(DIDMETA), "serve", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_local_mode_refuses_a_non_loopback_address(tmp_path: Path) -> None:
    result = _serve(tmp_path, "--listen", f"0.0.0.0:{free_port()}", "--database", new_sqlite_database(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing" in lines[0] and "--insecure-open" in lines[0], result.stderr


def test_insecure_open_starts_and_warns(tmp_path: Path, start_server: Callable[..., ServerProcess]) -> None:
    server = ServerProcess(
        tmp_path, {"database": new_sqlite_database(tmp_path), "log_format": "text"}, extra_args=["--insecure-open"]
    ).start(listen="0.0.0.0:0")
    try:
        with server.client(timeout=30) as client:
            client.add_scope("open", "root")
        assert "authentication is off" in server.log_path.read_text()
    finally:
        server.stop()


# --- tokens over TLS: Python client token file, CLI -----------------------------------------------
@pytest.fixture(scope="module")
def tls_token_server(
    pki: Pki, tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    cert, key = _pair(pki, "server")
    server = start_server(
        {
            "database": new_sqlite_database(tmp_path_factory.mktemp("tls-token")),
            "log_format": "text",
            "tls": {"cert_file": str(cert), "key_file": str(key)},
            "auth": {"mode": "token", "hs256_secret": SECRET, "issuers": [ISSUER], "admin_accounts": ["root"]},
        }
    )
    with Client(
        server.address, timeout=30, token=hs256_token("root"), credentials=tls_credentials(pki.ca_file)
    ) as root:
        root.add_scope("alice", "alice")
        root.add_scope("bob", "bob")
    return server


def test_client_rereads_a_rotated_token_file(tls_token_server: ServerProcess, pki: Pki, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(hs256_token("alice") + "\n")
    with Client(
        tls_token_server.address, timeout=30, token_file=token_file, credentials=tls_credentials(pki.ca_file)
    ) as client:
        client.add_did("alice:rotated-1", "file", bytes=1)
        expect_error(lambda: client.add_did("bob:rotated-2", "file", bytes=1), grpc.StatusCode.PERMISSION_DENIED)
        time.sleep(0.01)
        token_file.write_text(hs256_token("bob", ttl=1200) + "\n")  # the sidecar rotates the token
        client.add_did("bob:rotated-2", "file", bytes=1)
        assert client.get_did("bob:rotated-2").account == "bob"
        token_file.write_text("garbage")
        expect_error(client.list_scopes, grpc.StatusCode.UNAUTHENTICATED, reason="TOKEN_MALFORMED")


def _cli(server: ServerProcess, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIDMETA_")}
    environment.update(DIDMETA_SERVER=server.address, **env)
    return subprocess.run(
        [str(DIDMETA), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_token_options_and_token_issue(tls_token_server: ServerProcess, pki: Pki, tmp_path: Path) -> None:
    ca = ("--ca", str(pki.ca_file))
    # `didmeta token issue` with the server's secret (from the environment, as an operator would)
    issued = _cli(
        tls_token_server,
        tmp_path,
        "token",
        "issue",
        "--account",
        "carol",
        "--scope",
        "didmeta.write:alice",
        "--ttl",
        "10m",
        DIDMETA_AUTH__HS256_SECRET=SECRET,
        DIDMETA_AUTH__MODE="token",
        DIDMETA_AUTH__ISSUERS=f'["{ISSUER}"]',
    )
    assert issued.returncode == 0, issued.stderr
    carol = issued.stdout.strip()
    added = _cli(tls_token_server, tmp_path, *ca, "--token", carol, "did", "add", "--type", "file", "alice:by-carol")
    assert added.returncode == 0, added.stderr
    denied = _cli(tls_token_server, tmp_path, *ca, "--token", carol, "did", "add", "--type", "file", "bob:by-carol")
    assert denied.returncode == 6 and "didmeta.write" in denied.stderr and "'bob'" in denied.stderr
    token_file = tmp_path / "bob.token"
    token_file.write_text(hs256_token("bob"))
    by_file = _cli(
        tls_token_server,
        tmp_path,
        *ca,
        "did",
        "add",
        "--type",
        "file",
        "bob:by-file",
        DIDMETA_TOKEN_FILE=str(token_file),
    )
    assert by_file.returncode == 0, by_file.stderr
    by_env = _cli(
        tls_token_server, tmp_path, *ca, "--json", "did", "list", "bob:*", "--type", "all", DIDMETA_TOKEN=carol
    )
    assert by_env.returncode == 0 and "by-file" in by_env.stdout, by_env.stderr
    anonymous = _cli(tls_token_server, tmp_path, *ca, "scope", "list")
    assert anonymous.returncode == 6 and "TOKEN_MISSING" in anonymous.stderr
    plaintext = _cli(tls_token_server, tmp_path, "--token", carol, "scope", "list")
    assert plaintext.returncode != 0
