"""Build and run the gRPC server: servicers, health, reflection, TLS, signals, graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from didmeta.server.auth import make_authenticator
from didmeta.server.collector import tune_collector
from didmeta.server.config import Settings
from didmeta.server.decoding import DecodingRegistrar
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.readiness import ReadinessMonitor
from didmeta.server.reflection_pool import MethodAwarePool
from didmeta.server.rest.gateway import RestGateway
from didmeta.server.rest.lifecycle import bind_rest_socket, check_rest_address, start_rest
from didmeta.server.servicers.did_servicer import DidServicer
from didmeta.server.servicers.metadata_servicer import MetadataServicer
from didmeta.server.startup import (
    StartupError,
    bind,
    check_address,
    check_database,
    check_partitions_setting,
    server_credentials,
    start_dispatcher,
)
from didmeta.server.store.engine import Store
from didmeta.server.telemetry.setup import Telemetry
from didmeta.v1 import did_service_pb2, did_service_pb2_grpc, metadata_service_pb2, metadata_service_pb2_grpc

log = logging.getLogger("didmeta.server")
SERVICE_NAMES = (
    did_service_pb2.DESCRIPTOR.services_by_name["DidService"].full_name,
    metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"].full_name,
)


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    dispatcher: Dispatcher
    health: health.aio.HealthServicer  # type: ignore[name-defined]
    flight: Any = None  # the Arrow Flight endpoint (flight.py) when `flight_listen` is set
    rest: Any = None  # the REST/JSON gateway (rest/gateway.py) when `rest_listen` is set
    telemetry: Telemetry | None = None  # metrics and tracing (telemetry/), when enabled
    readiness: ReadinessMonitor | None = None  # the services' health follows the backends (readiness.py)


def _options(settings: Settings) -> list[tuple[str, Any]]:
    options: list[tuple[str, Any]] = [
        # Off with one process (a second server on the port is an error); on for worker processes (workers.py).
        ("grpc.so_reuseport", 1 if settings.workers > 1 else 0),
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
    ]
    options += [
        ("grpc.keepalive_time_ms", int(settings.keepalive_time_seconds * 1000)),
        ("grpc.keepalive_timeout_ms", int(settings.keepalive_timeout_seconds * 1000)),
        # gRPC core (1.6x+) times an unanswered ping out after this, 1 minute by default, whatever
        # keepalive_timeout_ms says: without it a dead peer's connection lived 60 s, not keepalive_timeout.
        ("grpc.http2.ping_timeout_ms", int(settings.keepalive_timeout_seconds * 1000)),
        ("grpc.server_handshake_timeout_ms", int(settings.handshake_timeout_seconds * 1000)),
        # Clients and sidecars that keep idle connections alive with pings (Go, Java, Envoy) are accepted
        # down to this interval; gRPC's default, 5 minutes and only during calls, answers them with
        # GOAWAY too_many_pings.
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", int(settings.keepalive_min_client_ping_seconds * 1000)),
    ]
    if settings.max_connection_idle_seconds:
        options.append(("grpc.max_connection_idle_ms", int(settings.max_connection_idle_seconds * 1000)))
    if settings.max_connection_age_seconds:
        options.append(("grpc.max_connection_age_ms", int(settings.max_connection_age_seconds * 1000)))
        options.append(("grpc.max_connection_age_grace_ms", int(settings.grace_seconds * 1000)))
    return options


def _demo_data(dispatcher: Dispatcher) -> None:
    """Load the demo catalogue, or say why not: it only goes into a database without scopes."""
    from didmeta.server.demo import load_demo_data

    database = dispatcher.store.engine.url.render_as_string()
    if load_demo_data(dispatcher):
        log.info("demo data loaded into scope 'demo'", extra={"database": database})
        return
    scopes = [s.scope for s in dispatcher.list_scopes(None)]
    log.warning(
        "demo data skipped: the database already has scopes (%s); --demo-data only fills an empty database, "
        "so start on a new one (e.g. --database sqlite:///./didmeta-demo.db)",
        ", ".join(scopes[:5]) + (", ..." if len(scopes) > 5 else ""),
        extra={"database": database},
    )


async def start_server(settings: Settings) -> RunningServer:
    """Open the store, start the plugins, bind and start serving; health is SERVING when it returns
    (the didmeta.v1 services only if their backends answered: readiness.py)."""
    if settings.workers == 1:  # worker processes: the supervisor checked it and holds the port (workers.py)
        check_address(settings.listen)  # before anything is opened or written
    if settings.rest_listen:
        check_rest_address(settings.rest_listen)
    credentials = server_credentials(settings.tls) if settings.tls is not None else None
    check_partitions_setting(settings)
    store = Store(
        settings.database,
        replicas=settings.database_replicas,
        replica_max_lag_seconds=settings.replica_max_lag_seconds,
        replica_check_seconds=settings.replica_check_seconds,
        partitions=settings.database_partitions,
    )
    await asyncio.to_thread(check_database, store)
    await asyncio.to_thread(store.start_replica_checks)
    dispatcher = Dispatcher.from_settings(settings, store)
    await asyncio.to_thread(start_dispatcher, dispatcher)
    if settings.demo_data:
        await asyncio.to_thread(_demo_data, dispatcher)
    try:
        telemetry = Telemetry.start(settings, dispatcher)
    except StartupError:
        await asyncio.to_thread(dispatcher.close)
        raise
    server = grpc.aio.server(options=_options(settings), interceptors=telemetry.interceptors)
    authenticator = make_authenticator(settings.auth)
    # Requests are decoded inside the guarded methods: undecodable bytes are INVALID_ARGUMENT, not UNKNOWN.
    registrar: Any = DecodingRegistrar(server)
    did_service_pb2_grpc.add_DidServiceServicer_to_server(DidServicer(dispatcher, settings, authenticator), registrar)
    metadata_service_pb2_grpc.add_MetadataServiceServicer_to_server(
        MetadataServicer(dispatcher, settings, authenticator), registrar
    )
    health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
        pool=MethodAwarePool.as_pool(),
    )
    try:
        port = bind(server, settings, credentials)
        rest_socket = bind_rest_socket(server) if settings.rest_listen else None
    except StartupError:
        telemetry.close()
        await asyncio.to_thread(dispatcher.close)
        raise
    rest_gateway = RestGateway(settings, rest_socket.target) if rest_socket is not None else None
    await server.start()
    try:
        rest = await start_rest(settings, rest_gateway, rest_socket) if rest_gateway and rest_socket else None
    except StartupError:
        await server.stop(0)
        await asyncio.to_thread(dispatcher.close)
        raise
    flight = None
    if settings.flight_listen:
        from didmeta.server.flight import start_flight

        flight = await asyncio.to_thread(start_flight, settings, dispatcher)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)  # liveness
    readiness = None
    if settings.readiness_interval_seconds:
        readiness = ReadinessMonitor(
            dispatcher,
            health_servicer,
            SERVICE_NAMES,
            settings.readiness_interval_seconds,
            settings.readiness_timeout_seconds,
        )
        await readiness.check()
        readiness.start()
    else:
        for name in SERVICE_NAMES:
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    host = settings.listen.rsplit(":", 1)[0]
    log.info(
        "didmeta listening",
        extra={
            "address": f"{host}:{port}",
            "database": store.engine.url.render_as_string(),
            "plugins": [p.name for p in dispatcher.plugins],
            "tls": settings.tls is not None,
        },
    )
    if settings.auth.mode == "local":
        log.warning(
            "authentication is off: every call runs as the local admin account %r",
            settings.auth.local_account,
        )
    return RunningServer(server, port, dispatcher, health_servicer, flight, rest, telemetry, readiness)


async def stop_server(running: RunningServer, grace: float, notice: float = 0.0) -> None:
    """Graceful shutdown: NOT_SERVING first, then drain in-flight calls for up to `grace` seconds.

    For `notice` seconds (at most `grace`) the server still answers every call, health checks
    included, with NOT_SERVING, so load balancers stop sending traffic before the port closes.
    """
    if running.readiness is not None:
        await running.readiness.stop()
    await running.health.enter_graceful_shutdown()
    if min(notice, grace) > 0:
        await asyncio.sleep(min(notice, grace))
    if running.rest is not None:  # HTTP first: its calls go through the gRPC server, which drains them
        await running.rest.stop()
    await running.server.stop(grace)
    if running.flight is not None:
        await asyncio.to_thread(running.flight.shutdown)
    await asyncio.to_thread(running.dispatcher.close)
    if running.telemetry is not None:
        running.telemetry.close()
    log.info("didmeta stopped")


async def serve(settings: Settings, port_file: Path | None = None) -> None:
    running = await start_server(settings)
    tune_collector(settings.gc_young_threshold)  # the built server frozen, the young threshold raised
    if port_file is not None:
        port_file.write_text(f"{running.port}\n")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("shutting down", extra={"grace_seconds": settings.grace_seconds})
    await stop_server(running, settings.grace_seconds, settings.shutdown_notice_seconds)
