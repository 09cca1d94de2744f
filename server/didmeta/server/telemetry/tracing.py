"""OpenTelemetry tracing (setting `tracing`; the `tracing` extra installs the libraries).

A server span per RPC (opentelemetry-instrumentation-grpc's aio server interceptor), continuing the
trace of a W3C `traceparent` the client sends, and a child span per SQL statement on the catalogue
(opentelemetry-instrumentation-sqlalchemy's engine tracer, attached to the one engine only: nothing
global is patched). Spans reach the database work in worker threads because `asyncio.to_thread`
carries the context along. The tracer provider is the server's own, not the global one, so two
servers in one process (tests) do not mix their spans.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from didmeta.server.config import TracingSettings
from didmeta.server.startup import EXIT_CONFIGURATION, StartupError

PACKAGES = ("opentelemetry.sdk", "opentelemetry.instrumentation.grpc", "opentelemetry.instrumentation.sqlalchemy")


@dataclass
class Tracing:
    provider: Any  # opentelemetry.sdk.trace.TracerProvider
    interceptor: Any  # a grpc.aio.ServerInterceptor

    def close(self) -> None:
        self.provider.shutdown()  # flushes the exporter


def _exporter(settings: TracingSettings) -> Any:
    if settings.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if settings.exporter == "otlp":
        if importlib.util.find_spec("opentelemetry.exporter.otlp.proto.grpc") is None:
            raise StartupError(
                "tracing.exporter", "otlp", "needs opentelemetry-exporter-otlp-proto-grpc: install didmeta[tracing]",
                EXIT_CONFIGURATION,
            )  # fmt: skip
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.otlp_endpoint) if settings.otlp_endpoint else OTLPSpanExporter()
    return None


def start_tracing(settings: TracingSettings, engine: Engine) -> Tracing:
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise StartupError(
            "tracing", settings.exporter, f"needs {', '.join(missing)}: install didmeta[tracing]", EXIT_CONFIGURATION
        )
    from opentelemetry.instrumentation.grpc import aio_server_interceptor
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_instrumentation_version
    from opentelemetry.metrics import get_meter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    exporter = _exporter(settings)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    name = "opentelemetry.instrumentation.sqlalchemy"
    tracer = provider.get_tracer(name, sqlalchemy_instrumentation_version)
    connections = get_meter(name, sqlalchemy_instrumentation_version).create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    EngineTracer(tracer, engine, connections)  # type: ignore[no-untyped-call]
    return Tracing(provider, aio_server_interceptor(tracer_provider=provider))  # type: ignore[no-untyped-call]
