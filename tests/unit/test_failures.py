"""Conflicts between concurrent writers: which driver errors are retried, and what the caller sees after the retries."""

from __future__ import annotations

from pathlib import Path

import grpc
import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc

from didmeta.errors import Aborted, InternalError, Unavailable
from didmeta.server.status import as_didmeta_error
from didmeta.server.store.failures import RetryPolicy, conflict_reason, connection_lost, retrying

NO_WAIT = RetryPolicy(attempts=4, first_delay_s=0.0, max_delay_s=0.0)


def wrapped(original: Exception) -> sa_exc.OperationalError:
    """A driver error as SQLAlchemy raises it from a statement."""
    return sa_exc.OperationalError("UPDATE dids SET ...", {}, original)


def test_deadlock_and_serialization_failure_are_conflicts_connection_loss_is_not() -> None:
    assert conflict_reason(wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))) == "DEADLOCK"
    assert conflict_reason(wrapped(psycopg.errors.SerializationFailure("could not serialize"))) == (
        "CONCURRENT_MODIFICATION"
    )
    assert conflict_reason(wrapped(psycopg.OperationalError("connection refused"))) is None
    assert conflict_reason(wrapped(psycopg.errors.AdminShutdown("terminating connection"))) is None
    assert conflict_reason(ValueError("no database error")) is None


def test_status_maps_conflicts_to_aborted_and_connection_loss_to_unavailable() -> None:
    deadlock = as_didmeta_error(wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert isinstance(deadlock, Aborted)
    assert deadlock.code == grpc.StatusCode.ABORTED and deadlock.reason == "DEADLOCK"
    serialization = as_didmeta_error(wrapped(psycopg.errors.SerializationFailure("could not serialize")))
    assert isinstance(serialization, Aborted) and serialization.reason == "CONCURRENT_MODIFICATION"
    busy = as_didmeta_error(sa_exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")))
    assert isinstance(busy, Aborted) and busy.reason == "DATABASE_BUSY"
    down = as_didmeta_error(wrapped(psycopg.OperationalError("connection refused")))
    assert isinstance(down, Unavailable)


def test_a_conflict_runs_the_whole_unit_of_work_again() -> None:
    runs: list[int] = []

    def work() -> str:
        runs.append(1)
        if len(runs) < 3:
            raise wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))
        return "committed"

    assert retrying(work, NO_WAIT) == "committed"
    assert len(runs) == 3


def test_retries_are_bounded_and_end_in_aborted() -> None:
    runs: list[int] = []

    def work() -> None:
        runs.append(1)
        raise wrapped(psycopg.errors.SerializationFailure("could not serialize"))

    with pytest.raises(Aborted) as info:
        retrying(work, NO_WAIT)
    assert len(runs) == NO_WAIT.attempts
    assert info.value.reason == "CONCURRENT_MODIFICATION"


def test_other_errors_are_not_retried() -> None:
    runs: list[int] = []

    def work() -> None:
        runs.append(1)
        raise wrapped(psycopg.OperationalError("connection refused"))

    with pytest.raises(sa_exc.OperationalError):
        retrying(work, NO_WAIT)
    assert len(runs) == 1


def test_backoff_is_bounded() -> None:
    policy = RetryPolicy(attempts=10, first_delay_s=0.01, max_delay_s=0.2)
    assert all(0 <= policy.delay(a) <= 0.2 for a in range(1, 30))


def sqlalchemy_error(url: str, sql: str | None) -> sa_exc.DBAPIError:
    """The error a real SQLite database raises for `sql` (or for connecting, when `sql` is None)."""
    engine = create_engine(url)
    try:
        with pytest.raises(sa_exc.DBAPIError) as info, engine.connect() as conn:
            if sql is not None:
                conn.execute(text(sql))
        return info.value
    finally:
        engine.dispose()


def test_a_database_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    error = sqlalchemy_error(f"sqlite:///{tmp_path}/no/such/dir/x.db", None)
    assert connection_lost(error)
    assert isinstance(as_didmeta_error(error), Unavailable)


def test_a_failing_statement_is_internal_not_an_outage() -> None:
    error = sqlalchemy_error("sqlite://", "SELECT " + " + ".join(["1"] * 1200))  # Expression tree is too large
    assert isinstance(error, sa_exc.OperationalError)
    assert not connection_lost(error)
    mapped = as_didmeta_error(error)
    assert isinstance(mapped, InternalError), mapped
    assert mapped.code == grpc.StatusCode.INTERNAL


def test_postgres_shutdown_and_refused_connections_are_connection_loss() -> None:
    assert connection_lost(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert connection_lost(wrapped(psycopg.OperationalError("server closed the connection unexpectedly")))
    assert connection_lost(wrapped(psycopg.errors.TooManyConnections("too many clients")))
    assert not connection_lost(wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
