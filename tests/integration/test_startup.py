"""`didmeta serve` as an operator meets it (issue 10): start-up errors are one clear line with exit code 2
(configuration) or 1 (runtime), unknown DIDMETA_* variables are refused, the logs say what they should.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from tests.support.checks import free_port
from tests.support.server import ServerProcess

DIDMETA = Path(sys.executable).parent / "didmeta"


def serve(cwd: Path, args: Sequence[str], env: Mapping[str, str] = {}) -> subprocess.CompletedProcess[str]:
    """Run `didmeta serve` that is expected to stop at start-up."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIDMETA_")}
    environment.update(env)
    return subprocess.run(
        [str(DIDMETA), "serve", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_clear_line(result: subprocess.CompletedProcess[str], exit_code: int, *mentions: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    for text in mentions:
        assert text in lines[0], lines[0]
    return lines[0]


def test_port_in_use_is_one_line_exit_1(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        result = serve(tmp_path, ["--listen", address, "--database", f"sqlite:///{tmp_path / 'a.db'}", "--demo-data"])
    one_clear_line(result, 1, "listen", address, "in use")
    assert not (tmp_path / "a.db").exists(), "the database was created (and demo data loaded) before the port check"


def test_sqlite_path_that_cannot_be_opened_is_one_line_exit_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    one_clear_line(serve(tmp_path, ["--listen", "127.0.0.1:0", "--database", url]), 2, "database", url)


def test_database_server_that_does_not_answer_is_one_line_exit_1(tmp_path: Path) -> None:
    url = f"postgresql://didmeta:secret@127.0.0.1:{free_port()}/nowhere"
    line = one_clear_line(serve(tmp_path, ["--listen", "127.0.0.1:0", "--database", url]), 1, "database", "127.0.0.1")
    assert "secret" not in line, "the password is shown"


@pytest.mark.parametrize("missing", ["cert_file", "key_file", "client_ca_file"])
def test_missing_tls_file_is_one_line_exit_2(tmp_path: Path, missing: str) -> None:
    files = {name: tmp_path / f"{name}.pem" for name in ("cert_file", "key_file", "client_ca_file")}
    for name, path in files.items():
        if name != missing:
            path.write_text("-----BEGIN NOTHING-----\n")
    config = tmp_path / "tls.toml"
    config.write_text(
        'listen = "127.0.0.1:0"\n'
        f'database = "sqlite:///{tmp_path / "t.db"}"\n'
        "[tls]\n" + "".join(f'{name} = "{path}"\n' for name, path in files.items())
    )
    line = one_clear_line(serve(tmp_path, ["--config", str(config)]), 2, f"tls.{missing}", str(files[missing]))
    assert "No such file" in line


def test_an_unknown_didmeta_variable_is_refused_naming_it(tmp_path: Path) -> None:
    result = serve(tmp_path, [], {"DIDMETA_LISTN": "127.0.0.1:0"})
    one_clear_line(result, 2, "DIDMETA_LISTN", "DIDMETA_LISTEN")
    assert not (tmp_path / "didmeta.db").exists(), "the server went on to open its database"


# --- logs ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def debug_text_server(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text", "log_level": "DEBUG"})
    with server.client(timeout=30) as client:
        client.add_scope("logged")
        assert list(client.list_dids("logged")) == []
    return server


def test_text_start_up_line_names_address_database_and_plugins(debug_text_server: ServerProcess) -> None:
    (line,) = [x for x in debug_text_server.log_path.read_text().splitlines() if "didmeta listening" in x]
    assert f"address={debug_text_server.address}" in line
    assert f"database={debug_text_server.settings['database']}" in line
    assert "plugins=DID_COLUMN,JSON" in line


def test_debug_logs_show_didmeta_and_not_third_party_chatter(debug_text_server: ServerProcess) -> None:
    lines = debug_text_server.log_path.read_text().splitlines()
    assert not [x for x in lines if "cygrpc" in x or "Loaded running loop" in x]
    debug = [x for x in lines if " DEBUG " in x]
    assert all(" DEBUG didmeta" in x for x in debug), debug[:5]


def test_library_loggers_can_be_asked_for(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {
            "database": make_catalogue_url("sqlite"),
            "log_format": "text",
            "log_level": "DEBUG",
            "library_log_level": "DEBUG",
        }
    )
    with server.client(timeout=30) as client:
        client.list_plugins()
    assert [x for x in server.log_path.read_text().splitlines() if " DEBUG " in x and " DEBUG didmeta" not in x]


def test_demo_data_on_a_database_with_scopes_says_it_was_skipped_and_why(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    url = make_catalogue_url("sqlite")
    first = start_server({"database": url, "log_format": "text"})
    with first.client(timeout=30) as client:
        client.add_scope("mock")
    first.stop()
    again = start_server({"database": url, "log_format": "text", "demo_data": True})
    with again.client(timeout=30) as client:
        assert [s.name for s in client.list_scopes()] == ["mock"]
    (line,) = [x for x in again.log_path.read_text().splitlines() if "demo data" in x]
    assert "skipped" in line and "mock" in line and "empty database" in line


def test_demo_data_on_an_empty_database_is_loaded_and_said(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text", "demo_data": True})
    with server.client(timeout=30) as client:
        assert [s.name for s in client.list_scopes()] == ["demo"]
    assert "demo data loaded" in server.log_path.read_text()
