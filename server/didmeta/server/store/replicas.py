"""Read replicas: PostgreSQL streaming standbys that serve the read RPCs (docs/operations.md, "Read replicas").

Writes and everything inside a write always use the primary. A read goes to a replica only when the
request allows it (`replica_reads`: set for the read RPCs, unless the client asked for primary reads)
and a replica is known fresh. A background thread checks every replica each `check_seconds`: it must be
in recovery (a standby) and have replayed the primary's WAL position of that moment, or lag behind it by
at most `max_lag_seconds`. A replica that fails a check or a connection is skipped until a later check
finds it fresh again; reads then go to the primary, so a replica outage degrades to the primary instead
of failing calls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from didmeta.values import dump_json

logger = logging.getLogger("didmeta.replicas")

#: Whether the current request may read from a replica (set per call by the servicers).
_replica_reads: ContextVar[bool] = ContextVar("didmeta_replica_reads", default=False)
#: The RPCs whose reads may go to a replica; every other RPC reads from the primary.
REPLICA_READ_RPCS = frozenset({"ListDids", "CountDids", "GetMetadata", "GetMetadataBulk", "GetDid", "ListContent"})

_STANDBY_STATE = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn), "
    "COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)"
)


def allow_replica_reads(allowed: bool) -> None:
    """For the rest of the current context (one RPC's task), reads may go to a replica if `allowed`."""
    _replica_reads.set(allowed)


def replica_reads_allowed() -> bool:
    return _replica_reads.get()


@dataclass
class Replica:
    engine: Engine
    fresh: bool = False
    lag_seconds: float | None = None
    problem: str = "not checked yet"

    @property
    def shown(self) -> str:
        """The URL for logs, password hidden (as the start-up log shows the catalogue's)."""
        return self.engine.url.render_as_string()

    def skip(self, problem: str) -> None:
        if self.fresh or self.problem != problem:
            logger.warning("read replica skipped", extra={"replica": self.shown, "problem": problem})
        self.fresh, self.problem = False, problem


class ReplicaSet:
    """The configured replicas, their freshness, and the choice of one for a read."""

    def __init__(
        self, primary: Engine, urls: Sequence[str], *, max_lag_seconds: float, check_seconds: float, pool_size: int
    ) -> None:
        self.primary = primary
        self.max_lag_seconds = max_lag_seconds
        self.check_seconds = check_seconds
        self.replicas = [
            Replica(
                create_engine(
                    url,
                    json_serializer=dump_json,
                    pool_size=pool_size,
                    max_overflow=pool_size,
                    pool_pre_ping=True,
                    connect_args={"connect_timeout": 2},
                ),
            )
            for url in urls
        ]
        self._next = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- freshness ------------------------------------------------------------------------------
    def check(self) -> None:
        """Check every replica once against the primary's current WAL position."""
        try:
            with self.primary.connect() as conn:
                lsn = str(conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one())
        except SQLAlchemyError as error:  # the primary is down: nobody can say a replica is fresh
            for replica in self.replicas:
                replica.skip(f"the primary cannot be asked for its WAL position ({type(error).__name__})")
            return
        for replica in self.replicas:
            self._check_one(replica, lsn)

    def _check_one(self, replica: Replica, primary_lsn: str) -> None:
        try:
            with replica.engine.connect() as conn:
                standby, caught_up, lag = conn.execute(_STANDBY_STATE, {"lsn": primary_lsn}).one()
        except SQLAlchemyError as error:
            replica.skip(f"unreachable ({type(error).__name__})")
            return
        replica.lag_seconds = 0.0 if caught_up else float(lag)
        if not standby:
            replica.skip("not a standby (pg_is_in_recovery() is false)")
        elif replica.lag_seconds > self.max_lag_seconds:
            replica.skip(f"lags {replica.lag_seconds:.1f} s behind the primary (max {self.max_lag_seconds} s)")
        else:
            if not replica.fresh:
                logger.info("read replica in use", extra={"replica": replica.shown})
            replica.fresh, replica.problem = True, ""

    def start(self) -> None:
        self.check()
        self._thread = threading.Thread(target=self._run, name="didmeta-replica-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.check_seconds):
            self.check()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for replica in self.replicas:
            replica.engine.dispose()

    # --- choosing ---------------------------------------------------------------------------------
    def connect(self) -> Connection | None:
        """A connection to a fresh replica (round robin), or None: read from the primary."""
        fresh = [replica for replica in self.replicas if replica.fresh]
        for offset in range(len(fresh)):
            replica = fresh[(self._next + offset) % len(fresh)]
            try:
                conn = replica.engine.connect()
            except SQLAlchemyError as error:
                replica.skip(f"connection failed ({type(error).__name__})")
                continue
            self._next += 1
            return conn
        return None
