"""Run a real `didmeta serve` process on 127.0.0.1 for tests, configured by a TOML file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from didmeta.client import Client

_START_TIMEOUT_S = 60.0


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _toml_table(lines: list[str], prefix: str, table: Mapping[str, Any]) -> None:
    """Scalars of `table` first (None: left out), then each nested mapping as its own `[prefix.key]` table."""
    for key, value in table.items():
        if value is not None and not isinstance(value, Mapping):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in table.items():
        if isinstance(value, Mapping):
            name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
            lines.append(f"\n[{name}]")
            _toml_table(lines, name, value)


def write_config(path: Path, settings: Mapping[str, Any]) -> Path:
    """A TOML config file from a mapping; nested mappings (`plugin_options`, `auth`, `tls`) become tables."""
    lines: list[str] = []
    _toml_table(lines, "", settings)
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class ServerProcess:
    """One didmeta server process; `address` is HOST:PORT once started."""

    directory: Path
    settings: dict[str, Any]
    extra_args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    address: str = ""

    @property
    def log_path(self) -> Path:
        return self.directory / "server.log"

    def start(self, listen: str = "127.0.0.1:0") -> ServerProcess:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = write_config(self.directory / "didmeta.toml", {"listen": listen, **self.settings})
        port_file = self.directory / "port"
        port_file.unlink(missing_ok=True)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DIDMETA_")}
        environment.update(self.env)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "didmeta.server",
                    "--config",
                    str(config),
                    "--port-file",
                    str(port_file),
                    *self.extra_args,
                ],
                stdout=log,
                stderr=log,
                cwd=self.directory,
                env=environment,
            )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None:
                raise RuntimeError(f"didmeta serve exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"didmeta serve did not start:\n{self.log_tail()}")
            time.sleep(0.05)
        self.address = f"127.0.0.1:{port_file.read_text().strip()}"
        return self

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def client(self, **options: Any) -> Client:
        return Client(self.address, **options)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.terminate()
            except subprocess.TimeoutExpired:
                self.kill()
