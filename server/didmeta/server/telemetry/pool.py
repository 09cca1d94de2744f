"""The catalogue's SQLAlchemy pool as two gauges: its size, and connections checked out (kept by pool events).

SQLAlchemy fires `checkin` before the connection is back in the pool, so `pool.checkedout()` read
there is one too high: the gauge counts checkouts and checkins itself (`checkin` fires for
invalidated connections too; only detached ones, which didmeta never makes, skip it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from didmeta.server.telemetry.metrics import Metrics


def observe_pool(engine: Engine, metrics: Metrics) -> None:
    size = getattr(engine.pool, "size", None)
    metrics.pool_size.set(size() if callable(size) else 1)  # StaticPool (in-memory SQLite): one connection

    def checkout(*_args: Any) -> None:
        metrics.pool_checked_out.inc()

    def checkin(*_args: Any) -> None:
        metrics.pool_checked_out.dec()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
