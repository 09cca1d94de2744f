"""Wire metrics (and tracing, tracing.py) to one server process from the Settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.startup import EXIT_RUNTIME, StartupError
from didmeta.server.telemetry import metrics as prom
from didmeta.server.telemetry.plugins import observe_plugins
from didmeta.server.telemetry.pool import observe_pool
from didmeta.server.telemetry.rpc import RpcMetricsInterceptor
from didmeta.server.telemetry.tracing import Tracing, start_tracing

log = logging.getLogger("didmeta.server.telemetry")


def serve_metrics(listen: str, registry: CollectorRegistry) -> prom.Exporter:
    """The /metrics endpoint on `metrics_listen`; a busy or foreign address is a StartupError."""
    try:
        exporter = prom.serve(listen, registry)
    except OSError as error:
        raise StartupError("metrics_listen", listen, f"cannot listen there ({error.strerror})", EXIT_RUNTIME) from None
    host = prom.split_listen(listen)[0]
    log.info("metrics endpoint listening", extra={"address": f"{host}:{exporter.port}"})
    return exporter


@dataclass
class Telemetry:
    """What one server process observes; `interceptors` go to grpc.aio.server()."""

    metrics: prom.Metrics | None = None
    exporter: prom.Exporter | None = None
    tracing: Tracing | None = None
    interceptors: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, dispatcher: Dispatcher) -> Telemetry:
        telemetry = cls()
        if settings.tracing is not None:  # outermost: the server span covers everything else
            telemetry.tracing = start_tracing(settings.tracing, dispatcher.store.engine)
            telemetry.interceptors.append(telemetry.tracing.interceptor)
        if settings.metrics_listen is not None:
            if settings.workers > 1:  # the supervisor serves every worker's values (metrics.py)
                prom.use_multiprocess_values()
                telemetry.metrics = prom.Metrics(None)
            else:
                registry = CollectorRegistry()
                telemetry.metrics = prom.Metrics(registry)
                telemetry.exporter = serve_metrics(settings.metrics_listen, registry)
            observe_plugins(dispatcher.plugins, telemetry.metrics)
            observe_pool(dispatcher.store.engine, telemetry.metrics)
            telemetry.interceptors.append(RpcMetricsInterceptor(telemetry.metrics))
        return telemetry

    @property
    def metrics_port(self) -> int | None:
        return None if self.exporter is None else self.exporter.port

    def close(self) -> None:
        if self.tracing is not None:
            self.tracing.close()
            self.tracing = None
        if self.exporter is not None:
            self.exporter.close()
            self.exporter = None
