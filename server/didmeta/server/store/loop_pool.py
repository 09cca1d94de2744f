"""A few psycopg `AsyncConnection`s to the PostgreSQL catalogue, owned by one event loop.

The GetMetadata fast path (server/point.py) reads one row per call. On PostgreSQL it used to hand the
call to a worker thread and go through SQLAlchemy; here the event loop itself sends the (prepared)
statement and awaits the answer, so the call costs one round trip and no thread hand-off.

- Connections are made lazily, on the loop that first asks, with the same connection arguments as
  the store's engine (`dialect.create_connect_args`); autocommit, `prepare_threshold=0` (the fixed
  statement is prepared on a connection's first call). At most `size` at once: callers beyond that
  wait for one to come back.
- A connection comes back to the pool only idle and open. One whose statement failed (closed by the
  server: `pg_terminate_backend`, a restart; any other error) or that a cancelled call left busy
  (psycopg cancels the query on cancellation and waits for the server's answer; if that fails the
  connection is not idle) is closed and dropped; the next call opens a new one.
- After a failed connect the pool refuses for `RETRY_SECONDS` (`Unreachable`): callers use their
  fallback without each waiting for a connect timeout.
- Another event loop (tests run several in one process) starts a fresh pool: the idle connections of
  the old loop are closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine

log = logging.getLogger(__name__)

#: After a failed connect, no new attempt for this long (the callers' fallback answers meanwhile).
RETRY_SECONDS = 1.0


class Unreachable(Exception):
    """The pool cannot lend a connection now (closed, or the last connect failed moments ago)."""


class LoopPool:
    """Up to `size` autocommit psycopg `AsyncConnection`s, used from one event loop at a time."""

    def __init__(self, engine: Engine, size: int) -> None:
        args, kwargs = engine.dialect.create_connect_args(engine.url)  # what the engine's own connections use
        self._connect_args: dict[str, Any] = {**({"conninfo": args[0]} if args else {}), **kwargs}
        self.size = size
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._down_until = 0.0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """An idle connection for the duration of the block. A psycopg error in the block passes through and
        drops the connection (whatever it was: a lost connection, a prepared statement gone stale); after
        anything else (a cancellation) the connection is kept if it is open and idle."""
        slots = self._bind(asyncio.get_running_loop())
        async with slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            failed = True
            try:
                yield conn
                failed = False
            except psycopg.Error:
                raise
            except BaseException:
                failed = False
                raise
            finally:
                self._give_back(conn, failed)

    def _bind(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        if self._closed:
            raise Unreachable("the pool is closed")
        if self._loop is not loop or self._slots is None:
            self._finish_idle()
            self._loop, self._slots = loop, asyncio.Semaphore(self.size)
        return self._slots

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        if time.monotonic() < self._down_until:
            raise Unreachable("the catalogue database was unreachable moments ago")
        try:
            return await psycopg.AsyncConnection.connect(autocommit=True, prepare_threshold=0, **self._connect_args)
        except psycopg.Error:
            self._down_until = time.monotonic() + RETRY_SECONDS
            raise

    def _give_back(self, conn: psycopg.AsyncConnection[Any], failed: bool) -> None:
        idle = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
        if idle and not failed and not self._closed:
            self._idle.append(conn)
            return
        conn.pgconn.finish()  # what AsyncConnection.close does, without awaiting (it never waits)

    def _finish_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            try:
                conn.pgconn.finish()
            except Exception:
                log.debug("closing a loop connection failed", exc_info=True)

    def close(self) -> None:
        """Close the idle connections; those lent out are closed when they come back. Any thread may call
        this once the loop sends no more calls (server shutdown)."""
        self._closed = True
        self._finish_idle()
