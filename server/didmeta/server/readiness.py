"""Readiness: the health status of the didmeta.v1 services follows the backends they need.

Every `readiness_interval_seconds` a check runs in a worker thread: one `SELECT 1` on the catalogue
database, then each plugin's `check_health()` (MONGO, ELASTIC and POSTGRES_JSON reach their
backends; the relational plugins live in the catalogue). If one fails, or the whole check takes longer
than `readiness_timeout_seconds`, `didmeta.v1.DidService` and `didmeta.v1.MetadataService` report
NOT_SERVING, so a readiness probe or a load balancer stops sending calls; they report SERVING
again once a check passes. The overall service "" is left alone: it is liveness (the process
answers), and a restart would not bring a database back. On drain (SIGTERM) every status goes to
NOT_SERVING regardless (app.stop_server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from grpc_health.v1 import health_pb2

from didmeta.server.dispatcher import Dispatcher

log = logging.getLogger("didmeta.server.readiness")
CATALOGUE = "catalogue"


def probe(dispatcher: Dispatcher) -> list[str]:
    """The backends that do not answer now: 'catalogue' and/or plugin names (blocking; a worker thread)."""
    failed: list[str] = []
    try:
        with dispatcher.store.read() as conn:
            conn.exec_driver_sql("SELECT 1").scalar_one()
    except Exception as error:
        log.debug("catalogue check failed: %s", error)
        failed.append(CATALOGUE)
    for plugin in dispatcher.plugins:
        try:
            healthy = plugin.check_health()
        except Exception as error:
            log.debug("%s check failed: %s", plugin.name, error)
            healthy = False
        if not healthy:
            failed.append(plugin.name)
    return failed


class ReadinessMonitor:
    """Sets the per-service health status from periodic backend checks."""

    def __init__(
        self, dispatcher: Dispatcher, health: Any, services: Sequence[str], interval: float, timeout: float
    ) -> None:
        self.dispatcher = dispatcher
        self.health = health
        self.services = tuple(services)
        self.interval = interval
        self.timeout = timeout
        self.unreachable: list[str] | None = None  # None until the first check
        self._task: asyncio.Task[None] | None = None
        self._running: asyncio.Future[list[str]] | None = None

    async def check(self) -> bool:
        """One check; sets the services' status when it changes. True when every backend answered."""
        if self._running is None or self._running.done():  # a hung check is not started twice
            self._running = asyncio.ensure_future(asyncio.to_thread(probe, self.dispatcher))
        try:
            failed = await asyncio.wait_for(asyncio.shield(self._running), self.timeout)
        except TimeoutError:
            failed = ["timeout"]
        if failed != self.unreachable:
            status = health_pb2.HealthCheckResponse.NOT_SERVING if failed else health_pb2.HealthCheckResponse.SERVING
            for name in self.services:
                await self.health.set(name, status)
            if failed:
                log.warning("backends unreachable: services NOT_SERVING", extra={"backends": failed})
            elif self.unreachable is not None:
                log.info("backends reachable again: services SERVING")
        self.unreachable = failed
        return not failed

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:
                log.exception("readiness check failed")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
