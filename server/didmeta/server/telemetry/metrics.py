"""The Prometheus metrics of a didmeta server and their HTTP endpoint.

One process (`workers` = 1): the server serves its own registry on `metrics_listen`.
Worker processes (`workers` > 1): prometheus-client's multiprocess mode. The supervisor creates a
directory, points `PROMETHEUS_MULTIPROC_DIR` at it before it forks, and alone serves
`metrics_listen`, summing every worker's values (`MultiProcessCollector`); each worker writes its
values to files there, and the supervisor drops a dead worker's live gauges (`mark_process_dead`).
So one scrape of one port sees the whole pod, whatever the number of workers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server, values
from prometheus_client import multiprocess as prometheus_multiprocess

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Seconds; from sub-millisecond unary calls to long listings.
RPC_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
PLUGIN_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Every metric a server records (names and labels are listed in docs/operations.md, 'Metrics')."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.rpc_requests = Counter(
            "didmeta_rpc_requests",
            "Finished RPCs by service, method and gRPC status code",
            ["service", "method", "code"],
            registry=registry,
        )
        self.rpc_duration = Histogram(
            "didmeta_rpc_duration_seconds",
            "RPC handling time (to the last message of a stream)",
            ["service", "method"],
            buckets=RPC_BUCKETS,
            registry=registry,
        )
        self.listed_dids = Counter("didmeta_listed_dids", "DIDs sent by ListDids streams", registry=registry)
        self.plugin_duration = Histogram(
            "didmeta_plugin_call_duration_seconds",
            "Time of one call of a plugin into its backend, by plugin and operation",
            ["plugin", "operation"],
            buckets=PLUGIN_BUCKETS,
            registry=registry,
        )
        self.plugin_errors = Counter(
            "didmeta_plugin_errors",
            "Plugin calls that raised, by plugin, operation and error class",
            ["plugin", "operation", "error"],
            registry=registry,
        )
        self.pool_checked_out = Gauge(
            "didmeta_db_pool_checked_out",
            "Catalogue database connections in use (SQLAlchemy pool)",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "didmeta_db_pool_size",
            "Connections the catalogue pool keeps (SQLAlchemy pool size, overflow not included)",
            registry=registry,
            multiprocess_mode="livesum",
        )


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


@dataclass
class Exporter:
    """A running /metrics HTTP endpoint."""

    server: Any
    thread: Any

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def serve(listen: str, registry: CollectorRegistry) -> Exporter:
    """Serve `registry` in Prometheus text format on HOST:PORT (any path; /metrics by convention)."""
    host, port = split_listen(listen)
    server, thread = start_http_server(port, addr=host, registry=registry)
    return Exporter(server, thread)


# --- worker processes -----------------------------------------------------------------------------
def prepare_multiprocess(directory: Path) -> CollectorRegistry:
    """In the supervisor, before forking: workers write their values under `directory`; the registry sums them."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_ENV] = str(directory)
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return registry


def use_multiprocess_values() -> None:
    """In a worker: record into the shared directory, even if prometheus-client was imported before it was set."""
    if os.environ.get(MULTIPROCESS_ENV):
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def forget_process(pid: int) -> None:
    """In the supervisor, when a worker has exited: its live gauges no longer count."""
    if os.environ.get(MULTIPROCESS_ENV):
        prometheus_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
