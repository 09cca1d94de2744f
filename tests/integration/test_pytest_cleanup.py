"""A test run stopped with SIGTERM stops the servers its fixtures started (no orphans)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CONFTEST = """
import pytest
from tests.support.cleanup import interrupt_on_sigterm
from tests.support.server import ServerProcess


def pytest_configure(config):
    interrupt_on_sigterm()


@pytest.fixture
def running(tmp_path):
    server = ServerProcess(tmp_path / "server", {"database": f"sqlite:///{tmp_path}/d.db"}).start()
    yield server
    server.stop()
"""

TEST = """
import os, time
from pathlib import Path


def test_waits(running):
    Path(os.environ["PID_FILE"]).write_text(str(running.process.pid))
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie counts as gone: it no longer serves.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def test_sigterm_to_pytest_stops_the_servers_it_started(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_probe.py").write_text(TEST)
    pid_file = tmp_path / "server.pid"
    environment = {**os.environ, "PID_FILE": str(pid_file), "PYTHONPATH": str(REPO)}
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text():
            assert run.poll() is None, run.communicate()[0].decode()
            assert time.monotonic() < deadline, "the probe test never started its server"
            time.sleep(0.1)
        server_pid = int(pid_file.read_text())
        assert _alive(server_pid)
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=60)[0].decode()
    finally:
        if run.poll() is None:
            run.kill()
    assert "KeyboardInterrupt" in output, output
    deadline = time.monotonic() + 10
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(server_pid), f"server {server_pid} outlived pytest:\n{output}"
