"""Processes the benchmark runs: the didmeta server, a throwaway PostgreSQL, memory sampling, py-spy.

Every child is started by this module and stopped by its own PID (SIGTERM, then SIGKILL after a
bounded wait); nothing is looked up by name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> None:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@dataclass
class ServerProcess:
    """`didmeta serve` on 127.0.0.1 with a free port, as its own process."""

    database: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # written to a TOML file for --config
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ServerProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        port_file = self.workdir / f"port-{uuid.uuid4().hex[:8]}"
        log = (self.workdir / "server.log").open("ab")
        env = {**os.environ, "DIDMETA_LOG_LEVEL": "WARNING", **self.extra_env}
        didmeta = VENV_BIN / "didmeta"
        config: list[str] = []
        if self.settings:
            sys.path.insert(0, str(REPO_ROOT))
            from tests.support.server import write_config

            path = write_config(self.workdir / f"didmeta-{uuid.uuid4().hex[:8]}.toml", self.settings)
            config = ["--config", str(path)]
        self.proc = subprocess.Popen(
            [
                str(didmeta),
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--port-file",
                str(port_file),
                "--database",
                self.database,
                *config,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"didmeta serve exited with {self.proc.returncode}; see {self.workdir}/server.log")
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text:
                self.port = int(text)
                break
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError(f"didmeta serve did not report a port within {START_TIMEOUT_S:.0f} s")
        port_file.unlink(missing_ok=True)
        with grpc.insecure_channel(self.target) as channel:
            grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            _wait_exit(self.proc, STOP_TIMEOUT_S)
        self.proc = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def children(pid: int) -> list[int]:
    """The living children of a process (of all its threads)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def read_status_kb(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of a process, in kB."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, number, _unit = line.split()
                values[key.rstrip(":")] = int(number)
    return values


class RssSampler:
    """Samples VmRSS of a PID every `interval` seconds in a thread; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = read_status_kb(self.pid)["VmRSS"]
            except (OSError, KeyError):
                return
            self.peak_kb = max(self.peak_kb, rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def _sample(self) -> None:
        with contextlib.suppress(OSError, KeyError):
            self.peak_kb = max(self.peak_kb, read_status_kb(self.pid)["VmRSS"])
            self.samples += 1

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sample()


@contextlib.contextmanager
def pyspy(pid: int | None, out: Path | None, rate: int = 200) -> Iterator[None]:
    """Record the process with py-spy (raw collapsed stacks) while the block runs, if asked and available."""
    exe = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if pid is None or out is None or exe is None:
        yield
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # let it attach
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        _wait_exit(proc, 30)


# --- PostgreSQL -------------------------------------------------------------------------------------
@dataclass
class Postgres:
    """A throwaway PostgreSQL 15 cluster (tools/backends/postgres.sh) and fresh databases in it."""

    directory: Path
    url: str = ""
    _backend: Any = None

    def start(self, resume: bool = False) -> Postgres:
        """A new cluster in `directory`; with `resume`, the cluster an earlier run left there, with its data."""
        sys.path.insert(0, str(REPO_ROOT))
        from tests.support.backends import start_backend

        self._backend = start_backend("postgres", self.directory, resume=resume)
        self.url = self._backend.url
        return self

    @property
    def pid(self) -> int:
        """The running cluster's postmaster (the parent of its backends)."""
        return int((self.directory / "pid").read_text())

    def stop(self, keep_data: bool = False) -> None:
        """Stop the cluster; with `keep_data` its files stay in `directory` for `start(resume=True)`."""
        if self._backend is not None:
            from tests.support.backends import stop_backend

            stop_backend(self._backend, keep_data=keep_data)
            self._backend = None

    def configure(self, settings: Mapping[str, str]) -> None:
        """Server parameters for every session of the cluster (`ALTER SYSTEM`, then a reload)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            for name, value in settings.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            conn.execute("SELECT pg_reload_conf()")

    def fresh_database(self, name: str) -> str:
        """Drop and create database `name`; its psycopg URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"


def sqlalchemy_url(url: str) -> str:
    """A libpq/psycopg URL as a SQLAlchemy URL (psycopg 3 driver); SQLite URLs unchanged."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")
