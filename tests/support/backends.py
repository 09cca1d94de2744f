"""Start/stop real backend servers for tests through the scripts in ``tools/backends/``.

``start_backend(kind, directory)`` picks a free port on 127.0.0.1, runs ``tools/backends/<kind>.sh
install`` (a no-op once the cache ``${DIDMETA_CACHE:-~/.cache/didmeta}`` is warm), then ``<kind>.sh start
DIRECTORY PORT``, which prints the connection URL as its last stdout line. ``stop_backend`` runs
``<kind>.sh stop DIRECTORY``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

BackendKind = Literal["postgres", "ferretdb", "opensearch", "elasticsearch"]

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
SCRIPTS_DIR: Final = REPO_ROOT / "tools" / "backends"

# Ports a backend binds besides PORT, as offsets from PORT (FerretDB's debug listener, the search nodes'
# transport port); see the scripts.
_EXTRA_PORT_OFFSETS: Final[dict[str, tuple[int, ...]]] = {
    "postgres": (),
    "ferretdb": (1000,),
    "opensearch": (100,),
    "elasticsearch": (100,),
}
# A cold install builds FerretDB (~1-3 min) or downloads from Maven Central; a start takes < 15 s.
_INSTALL_TIMEOUT_S: Final = 1800.0
_START_TIMEOUT_S: Final = 300.0
_STOP_TIMEOUT_S: Final = 120.0
_TAIL_LINES: Final = 40


@dataclass(frozen=True)
class RunningBackend:
    name: str
    url: str
    directory: Path


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port(extra_offsets: tuple[int, ...]) -> int:
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        extras = [port + off for off in extra_offsets]
        if all(p <= 65535 and _port_is_free(p) for p in extras):
            return port
    raise RuntimeError(f"no free 127.0.0.1 port with free companion ports at offsets {extra_offsets}")


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-_TAIL_LINES:])


def _run(name: str, args: list[str], timeout: float) -> str:
    """Run ``tools/backends/<name>.sh ARGS``; return its stdout or raise RuntimeError with the output tail."""
    cmd = [str(SCRIPTS_DIR / f"{name}.sh"), *args]
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr  # bytes even with text=True
        out = err.decode(errors="replace") if isinstance(err, bytes) else (err or "")
        raise RuntimeError(f"{' '.join(cmd)} timed out after {timeout:.0f} s; last output:\n{_tail(out)}") from exc
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed with exit code {proc.returncode}; last output:\n{_tail(proc.stderr + proc.stdout)}"
        )
    return proc.stdout


def start_backend(kind: BackendKind, directory: Path, resume: bool = False) -> RunningBackend:
    """Install (if needed) and start a fresh ``kind`` server with its files in ``directory``; with `resume`
    (PostgreSQL only), start again the cluster an earlier start left in ``directory``, with its data."""
    if kind not in _EXTRA_PORT_OFFSETS:
        raise ValueError(f"unknown backend kind {kind!r}")
    directory = directory.resolve()
    _run(kind, ["install"], _INSTALL_TIMEOUT_S)
    port = _free_port(_EXTRA_PORT_OFFSETS[kind])
    try:
        out = _run(kind, ["resume" if resume else "start", str(directory), str(port)], _START_TIMEOUT_S)
    except RuntimeError:
        if (directory / "pid").is_file():  # e.g. a timeout: do not leave a half-started server behind
            subprocess.run(
                [str(SCRIPTS_DIR / f"{kind}.sh"), "stop", str(directory)],
                capture_output=True,
                timeout=_STOP_TIMEOUT_S,
                check=False,
            )
        raise
    lines = out.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{kind}.sh start printed no URL")
    return RunningBackend(name=kind, url=lines[-1].strip(), directory=directory)


def stop_backend(b: RunningBackend, keep_data: bool = False) -> None:
    """Stop the server started by :func:`start_backend` (PID in ``b.directory/pid``); wait for its exit.
    With `keep_data` (PostgreSQL only) its files stay for a later ``start_backend(..., resume=True)``."""
    _run(b.name, ["halt" if keep_data else "stop", str(b.directory)], _STOP_TIMEOUT_S)


def start_postgres_replica(primary: RunningBackend, directory: Path) -> RunningBackend:
    """A streaming hot-standby replica of the PostgreSQL server `primary` (``postgres.sh replica``)."""
    directory = directory.resolve()
    primary_port = primary.url.rsplit(":", 1)[1].split("/", 1)[0]
    port = _free_port(())
    out = _run("postgres", ["replica", str(directory), str(port), primary_port], _START_TIMEOUT_S)
    return RunningBackend(name="postgres", url=out.strip().splitlines()[-1].strip(), directory=directory)


def start_opensearch_cluster(directory: Path, nodes: int = 3, timeout: float = 600.0) -> list[RunningBackend]:
    """`nodes` OpenSearch nodes forming one cluster on 127.0.0.1 (``opensearch.sh node``), started in
    parallel; returns once the cluster is green with every node in it. Stop each with `stop_backend`."""
    _run("opensearch", ["install"], _INSTALL_TIMEOUT_S)
    ports: list[int] = []
    while len(ports) < nodes:
        port = _free_port((100,))
        if all(abs(port - other) not in (0, 100) for other in ports):
            ports.append(port)
    names = [f"n{i + 1}" for i in range(nodes)]
    started: list[RunningBackend | None] = [None] * nodes
    errors: list[BaseException] = []

    def start(i: int) -> None:
        peers = ",".join(f"{names[j]}={ports[j]}" for j in range(nodes) if j != i)
        node_dir = (directory / names[i]).resolve()
        try:
            out = _run("opensearch", ["node", str(node_dir), str(ports[i]), names[i], peers], timeout)
            started[i] = RunningBackend(name="opensearch", url=out.strip().splitlines()[-1].strip(), directory=node_dir)
        except BaseException as error:  # reported below, after every start has ended
            errors.append(error)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(nodes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    running = [backend for backend in started if backend is not None]
    try:
        if errors:
            raise RuntimeError(f"an OpenSearch node did not start: {errors[0]}")
        health = f"{running[0].url}/_cluster/health?wait_for_status=green&wait_for_nodes={nodes}&timeout=5s"
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(health, timeout=10) as response:
                    if json.load(response).get("number_of_nodes") == nodes:
                        return running
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {nodes}-node OpenSearch cluster did not become green")
            time.sleep(1)
    except BaseException:
        for backend in running:
            stop_backend(backend)
        raise
