"""Faults for tests: stop a test PostgreSQL server keeping its data, and start it again on the same port.

`tools/backends/postgres.sh stop` removes the cluster; a database restart must keep it. These helpers
drive `pg_ctl` on the cluster that `postgres.sh start` created (DIR/run/data), with the same options.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlparse

from tests.support.backends import RunningBackend

_TIMEOUT_S = 120


def _pg_ctl() -> str:
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not bins:
        raise RuntimeError("pg_ctl not found under /usr/lib/postgresql")
    return str(bins[-1])


def _data_dir(backend: RunningBackend) -> Path:
    return (backend.directory / "run").resolve() / "data"


def _pg_ctl_run(*args: str) -> None:
    # The postmaster inherits stdout/stderr: no pipes, or the call would wait for it to exit.
    subprocess.run(
        ["runuser", "-u", "postgres", "--", _pg_ctl(), *args],
        cwd="/tmp",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=_TIMEOUT_S,
        check=True,
    )


def stop_postgres(backend: RunningBackend) -> None:
    """Fast shutdown (open sessions are terminated), keeping the cluster's files."""
    _pg_ctl_run("-D", str(_data_dir(backend)), "-m", "fast", "-w", "-t", "60", "stop")


def start_postgres(backend: RunningBackend) -> None:
    """Start the stopped cluster again on its port; DIR/pid names the new postmaster (for stop_backend)."""
    data = _data_dir(backend)
    port = urlparse(backend.url).port
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' -c max_connections=300 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    _pg_ctl_run("-D", str(data), "-l", str(data.parent / "server.log"), "-w", "-t", "60", "-o", options, "start")
    pid = (data / "postmaster.pid").read_text().splitlines()[0]
    (backend.directory / "pid").write_text(pid + "\n")
