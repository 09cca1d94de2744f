"""Worker processes (`workers` > 1): a pre-fork supervisor that runs N servers on one port.

The parent never serves and never opens gRPC or the database. It checks the listen address, holds
the port with a bound, non-listening SO_REUSEPORT socket (so port 0 becomes one real port that every
worker and every replacement binds), then forks the workers. Each worker runs the normal server
(`app.serve`) with `grpc.so_reuseport` on; the kernel spreads new connections over the workers.

- The first worker starts alone (it runs the migrations and `demo_data`), then the others; the
  parent writes `--port-file` only when every worker is serving.
- SIGTERM/SIGINT to the parent go to every worker, which drains as one server does; the parent
  exits 0 once they have, killing any that outlive `grace_seconds` + `shutdown_notice_seconds` + a margin.
- A worker that dies while the server runs is replaced, at most `MAX_RESTARTS` times per
  `RESTART_WINDOW_S`; past that the parent stops the rest and exits 1.
- A worker that fails to start makes the whole start fail with its exit code (2: configuration, 1: runtime).
- A supervisor killed outright (kill -9) leaves no orphan serving: on Linux each worker gets SIGTERM and drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from didmeta.server.collector import freeze_before_fork
from didmeta.server.config import Settings
from didmeta.server.startup import EXIT_RUNTIME, StartupError, check_address
from didmeta.server.telemetry import metrics as prom
from didmeta.server.telemetry.setup import serve_metrics

log = logging.getLogger("didmeta.server.workers")

MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
STOP_MARGIN_S = 15.0
_POLL_S = 0.05
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_PR_SET_PDEATHSIG = 1


def reserve_port(listen: str) -> socket.socket:
    """A bound, non-listening SO_REUSEPORT socket on `listen`: it fixes the port (0: a free one) for the workers."""
    host, _, port = listen.rpartition(":")
    family, kind, protocol, _, address = socket.getaddrinfo(
        host.strip("[]") or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    holder = socket.socket(family, kind, protocol)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind(address)
    except OSError as error:
        holder.close()
        raise StartupError("listen", listen, f"cannot reserve the port ({error.strerror})", EXIT_RUNTIME) from None
    return holder


@dataclass
class Worker:
    index: int
    pid: int
    port_file: Path
    ready: bool = False


def _drain_when_orphaned(supervisor: int) -> None:
    """Linux: SIGTERM this worker (a normal drain) if the supervisor dies, even by kill -9: no orphan serves on."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != supervisor:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _run_worker(settings: Settings, port_file: Path, supervisor: int) -> int:
    """The body of a forked worker: the normal server; its exit code."""
    from didmeta.server.app import serve

    for signum in _STOP_SIGNALS:  # until the server installs its own handlers, a stop signal just ends it
        signal.signal(signum, signal.SIG_DFL)
    _drain_when_orphaned(supervisor)
    try:
        asyncio.run(serve(settings, port_file))
    except StartupError as error:
        print(f"didmeta serve: {error}", file=sys.stderr, flush=True)  # as with one process: one line
        return error.exit_code
    except BaseException:
        log.exception("worker failed", extra={"pid": os.getpid()})
        return 1
    return 0


def _exit_code(status: int) -> int:
    """A waitpid status as an exit code; killed by signal N is -N, as subprocess reports it."""
    return os.waitstatus_to_exitcode(status)


@dataclass
class Supervisor:
    settings: Settings
    port_file: Path | None
    workers: dict[int, Worker] = field(default_factory=dict)  # by pid
    restarts: deque[float] = field(default_factory=deque)
    stopping: bool = False
    exporter: prom.Exporter | None = None  # the /metrics endpoint of all workers (metrics_listen)

    def __post_init__(self) -> None:
        self.run_dir = Path(tempfile.mkdtemp(prefix="didmeta-workers-"))

    # --- children ------------------------------------------------------------------------------
    def spawn(self, index: int, settings: Settings) -> Worker:
        port_file = self.run_dir / f"worker-{index}.port"
        port_file.unlink(missing_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        supervisor = os.getpid()
        freeze_before_fork(settings.gc_young_threshold)  # what the worker inherits stays shared
        pid = os.fork()
        if pid == 0:  # the worker
            if self.exporter is not None:  # the supervisor's listening socket is not the worker's
                self.exporter.server.socket.close()
            code = 1
            try:
                code = _run_worker(settings, port_file, supervisor)
            finally:
                logging.shutdown()
                os._exit(code)
        worker = Worker(index, pid, port_file)
        self.workers[pid] = worker
        log.debug("worker started", extra={"worker": index, "worker_pid": pid})
        return worker

    def poll_ready(self) -> None:
        for worker in self.workers.values():
            if not worker.ready and worker.port_file.exists() and worker.port_file.read_text().strip():
                worker.ready = True
                log.info("worker serving", extra={"worker": worker.index, "worker_pid": worker.pid})

    def reap(self) -> list[tuple[Worker, int]]:
        """Workers that have exited since the last call, with their exit codes."""
        dead: list[tuple[Worker, int]] = []
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            worker = self.workers.pop(pid, None)
            prom.forget_process(pid)
            if worker is not None:
                dead.append((worker, _exit_code(status)))
        return dead

    def signal_all(self, signum: int) -> None:
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    # --- phases --------------------------------------------------------------------------------
    def wait_ready(self, settings: Settings, indexes: range) -> int | None:
        """Start workers `indexes` and wait until they serve; None, or the exit code of a failed start."""
        for index in indexes:
            self.spawn(index, settings)
        while not self.stopping:
            for _worker, code in self.reap():  # the worker has said why, on one line
                return code if code > 0 else EXIT_RUNTIME
            self.poll_ready()
            if all(w.ready for w in self.workers.values()):
                return None
            time.sleep(_POLL_S)
        return None

    def may_restart(self) -> bool:
        now = time.monotonic()
        while self.restarts and now - self.restarts[0] > RESTART_WINDOW_S:
            self.restarts.popleft()
        if len(self.restarts) >= MAX_RESTARTS:
            return False
        self.restarts.append(now)
        return True

    def watch(self, settings: Settings) -> int:
        """While serving: replace workers that die; 0 when asked to stop, 1 when restarts run away."""
        while not self.stopping:
            for worker, code in self.reap():
                if not self.may_restart():
                    log.error(
                        "worker exited and the restart limit is reached: stopping",
                        extra={"worker": worker.index, "worker_pid": worker.pid, "exit_code": code,
                               "max_restarts": MAX_RESTARTS, "window_seconds": RESTART_WINDOW_S},
                    )  # fmt: skip
                    return 1
                log.warning(
                    "worker exited: replacing it",
                    extra={"worker": worker.index, "worker_pid": worker.pid, "exit_code": code},
                )
                self.spawn(worker.index, settings)
            self.poll_ready()
            time.sleep(_POLL_S)
        return 0

    def stop(self) -> int:
        """SIGTERM every worker and wait for their drain; 0 when each ended cleanly."""
        if self.workers:
            log.info(
                "shutting down", extra={"grace_seconds": self.settings.grace_seconds, "workers": len(self.workers)}
            )
        self.signal_all(signal.SIGTERM)
        drain = self.settings.grace_seconds + self.settings.shutdown_notice_seconds
        deadline = time.monotonic() + drain + STOP_MARGIN_S
        code = 0
        while self.workers:
            for worker, exit_code in self.reap():
                if exit_code not in (0, -signal.SIGTERM):
                    log.error("worker ended badly", extra={"worker_pid": worker.pid, "exit_code": exit_code})
                    code = code or EXIT_RUNTIME
            if time.monotonic() > deadline:
                log.error("workers did not drain in time: killing them", extra={"pids": sorted(self.workers)})
                self.signal_all(signal.SIGKILL)
                deadline = float("inf")
                code = code or EXIT_RUNTIME
            time.sleep(_POLL_S)
        return code

    def run(self) -> int:
        check_address(self.settings.listen)
        holder = reserve_port(self.settings.listen)
        if self.settings.metrics_listen is not None:  # before any fork: workers inherit the multiprocess directory
            try:
                self.exporter = serve_metrics(
                    self.settings.metrics_listen, prom.prepare_multiprocess(self.run_dir / "metrics")
                )
            except StartupError:
                holder.close()
                raise
        previous = {signum: signal.getsignal(signum) for signum in _STOP_SIGNALS}

        def request_stop(_signum: int, _frame: object) -> None:
            self.stopping = True

        for signum in _STOP_SIGNALS:
            signal.signal(signum, request_stop)
        try:
            host, port = self.settings.listen.rpartition(":")[0], holder.getsockname()[1]
            first = self.settings.model_copy(update={"listen": f"{host}:{port}"})
            rest = first.model_copy(update={"demo_data": False})
            failed = self.wait_ready(first, range(1))
            if failed is None and not self.stopping:
                failed = self.wait_ready(rest, range(1, self.settings.workers))
            if failed is not None:
                self.stopping = True
                self.stop()
                return failed
            if not self.stopping:
                if self.port_file is not None:
                    self.port_file.write_text(f"{port}\n")
                log.info(
                    "didmeta workers serving",
                    extra={"address": f"{host}:{port}", "supervisor_pid": os.getpid(), "workers": len(self.workers),
                           "worker_pids": sorted(self.workers)},
                )  # fmt: skip
            code = self.watch(rest)
            return self.stop() or code
        finally:
            holder.close()
            if self.exporter is not None:
                self.exporter.close()
                self.exporter = None
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            shutil.rmtree(self.run_dir, ignore_errors=True)


def run_workers(settings: Settings, port_file: Path | None) -> int:
    """Serve with `settings.workers` processes until SIGTERM/SIGINT; the exit code."""
    return Supervisor(settings, port_file).run()
