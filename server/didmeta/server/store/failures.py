"""Failures of the catalogue database: conflicts between writers, and lost connections.

Conflicts. PostgreSQL aborts a transaction that loses a deadlock (SQLSTATE 40P01) or a
serialization check (40001); the same request, run again, normally succeeds. `retrying` runs a
whole unit of work again a bounded number of times, with jittered exponential backoff, and turns a
conflict that outlives the retries into `Aborted` (gRPC ABORTED with a reason), never into
UNAVAILABLE: the database is up, the request lost a race.

Connection loss (`connection_lost`): the database cannot be reached or went away (refused,
terminated, shut down, out of connections, disk). Only that is UNAVAILABLE; it is not retried
here (the pool reconnects on the next request, the client may retry).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc

from didmeta.errors import Aborted

log = logging.getLogger(__name__)
T = TypeVar("T")

#: SQLSTATE -> ErrorInfo reason of the conflicts worth running the unit of work again for.
RETRYABLE_SQLSTATES = {
    "40P01": "DEADLOCK",
    "40001": "CONCURRENT_MODIFICATION",
}


def conflict_reason(error: BaseException) -> str | None:
    """The reason if `error` is a transient conflict between concurrent writers, else None."""
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return RETRYABLE_SQLSTATES[sqlstate]
    return None


def busy_reason(error: BaseException) -> str | None:
    """SQLite: the database stayed locked by another process for the whole busy timeout."""
    if isinstance(error, sa_exc.OperationalError) and getattr(error.orig, "sqlstate", None) is None:
        text = str(error.orig).lower()
        if "database is locked" in text or "database is busy" in text:
            return "DATABASE_BUSY"
    return None


#: SQLSTATE classes and codes of a database that is unreachable, going away or out of resources.
_UNAVAILABLE_CLASSES = ("08", "53", "58")
_UNAVAILABLE_CODES = frozenset({"57P01", "57P02", "57P03"})
#: SQLite primary result codes of a database file that cannot be used now.
_SQLITE_UNAVAILABLE = frozenset({8, 10, 11, 13, 14, 26})  # READONLY IOERR CORRUPT FULL CANTOPEN NOTADB


def connection_lost(error: BaseException) -> bool:
    """Whether the catalogue database is unreachable or went away (as opposed to a failing statement)."""
    if isinstance(error, sa_exc.InterfaceError | sa_exc.DisconnectionError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or error.statement is None:  # lost, or raised while connecting
        return True
    original = error.orig
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return int(sqlite_code) & 0xFF in _SQLITE_UNAVAILABLE
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:  # psycopg: the server never answered (closed socket, refused, timed out)
        return isinstance(error, sa_exc.OperationalError)
    return sqlstate[:2] in _UNAVAILABLE_CLASSES or sqlstate in _UNAVAILABLE_CODES


def as_sqlalchemy_error(
    conn: Connection, statement: str, error: Exception, driver_base: type[Exception]
) -> sa_exc.StatementError:
    """A driver's exception raised outside SQLAlchemy (a COPY, a listing's cursor read directly) as SQLAlchemy
    raises it for a statement run through `conn`: the retries and the status mapping know only those. A lost
    connection is invalidated first, so that the pool does not hand it out again (a read after that, as a
    retry makes, finds it invalidated: lost too)."""
    lost = conn.invalidated
    if not lost:
        lost = conn.dialect.is_disconnect(cast(Any, error), conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate()
    return sa_exc.DBAPIError.instance(
        statement, None, error, driver_base, connection_invalidated=lost, dialect=conn.dialect
    )


def as_aborted(error: BaseException) -> Aborted | None:
    """The Aborted error a conflict stands for (None if `error` is no conflict)."""
    reason = conflict_reason(error) or busy_reason(error)
    if reason is None:
        return None
    what = {
        "DEADLOCK": "the request lost a deadlock with concurrent requests",
        "DATABASE_BUSY": "another process kept the catalogue database locked for the whole busy timeout",
    }.get(reason, "the request lost a conflict with concurrent requests")
    return Aborted(f"{what}; nothing was changed, retry it", reason=reason)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a unit of work runs again after a conflict, and how long it waits in between."""

    attempts: int = 6
    first_delay_s: float = 0.01
    max_delay_s: float = 0.5

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, first * 2**attempt)]."""
        return random.uniform(0, min(self.max_delay_s, self.first_delay_s * 2**attempt))


def retrying(work: Callable[[], T], policy: RetryPolicy) -> T:
    """Run `work` (one whole unit of work, rolled back and compensated on failure) until it commits.

    A conflict is retried up to `policy.attempts` runs in all; the last one is raised as Aborted.
    """
    attempt = 0
    while True:
        try:
            return work()
        except sa_exc.DBAPIError as error:
            reason = conflict_reason(error)
            if reason is None:
                raise
            attempt += 1
            if attempt >= policy.attempts:
                log.warning("giving up after %d conflicts (%s): %s", attempt, reason, error.orig)
                aborted = as_aborted(error)
                assert aborted is not None
                raise aborted from error
            log.info("retrying a unit of work after a conflict (%s, attempt %d)", reason, attempt)
            time.sleep(policy.delay(attempt))
