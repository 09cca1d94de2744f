"""A few asyncpg connections to the PostgreSQL catalogue, owned by one event loop.

The fast paths on PostgreSQL (server/point.py: GetMetadata, SetMetadata; query/quick_listing.py: small
listings) run their statements on the event loop itself: no worker-thread hand-off, no SQLAlchemy pool
check-out, one round trip per statement. They speak asyncpg, whose protocol is written in C: the same
prepared point read costs less than half the CPU it costs over psycopg's `AsyncConnection`
(bench/pg_point_drivers.py, docs/performance.md). Everything else in the server keeps SQLAlchemy and
psycopg; a statement written for psycopg (`%s` or `%(name)s` parameters, `%%` for a percent sign) is
numbered here for asyncpg (`$1`, a name used twice keeps its number), once per statement text.

- Connections are made lazily, on the loop that first asks, to the same database as the store's engine:
  its libpq connection options (host, port, user, password, dbname, connect_timeout, the ssl* options,
  passfile, target_session_attrs, application_name, `options=-c name=value`) mapped to asyncpg's. A
  catalogue URL with an option asyncpg cannot honour (`unsupported_options`) leaves the pool off: every
  call then takes the callers' fallback, the worker-thread path over psycopg, and the server says so
  once in its log. Autocommit outside `transaction()`; each connection prepares and caches the
  statements it runs; `json` and `jsonb` arrive decoded, as psycopg hands them over, and their
  parameters are sent as psycopg sends them (`_json_text`). At most `size` connections at once:
  callers beyond that wait.
- A connection comes back to the pool only open and outside a transaction. One whose statement failed
  in the driver or on the wire (closed by the server: `pg_terminate_backend`, a restart) is closed and
  dropped; the next call opens a new one. A cancelled call (deadline, client gone) leaves the connection
  in the pool: asyncpg sends PostgreSQL a cancel request, and the connection's next statement waits for
  its answer first.
- Every failure of the driver or the database reaches the caller as `LoopFailure` (the callers fall back
  to the worker-thread path, which answers or fails as the generic path does); errors of the caller's own
  code in a `connection()` or `transaction()` block pass through unchanged.
- After a failed connect the pool refuses for `RETRY_SECONDS` (`Unreachable`): callers use their
  fallback without each waiting for a connect timeout.
- Another event loop (tests run several in one process) starts a fresh pool: the idle connections of
  the old loop are closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import asyncpg  # type: ignore[import-untyped,unused-ignore]
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Json, Jsonb
from sqlalchemy import Engine

from didmeta.values import dump_json

log = logging.getLogger(__name__)

#: After a failed connect, no new attempt for this long (the callers' fallback answers meanwhile).
RETRY_SECONDS = 1.0
#: Prepared statements each connection keeps (asyncpg's cache; the fast paths use a few dozen shapes).
STATEMENT_CACHE = 256
#: Statement texts whose numbering the pool remembers (past this, it starts over).
MAX_NUMBERED = 1024

#: libpq options passed to asyncpg as they are (in its DSN: it reads the same names and values).
_DSN_OPTIONS = frozenset(
    {
        "host",
        "port",
        "user",
        "password",
        "dbname",
        "passfile",
        "target_session_attrs",
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslcrl",
        "sslpassword",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
    }
)
#: libpq options mapped by hand: the connect timeout, and server settings (`application_name`, `options`).
_MAPPED_OPTIONS = frozenset({"connect_timeout", "application_name", "options"})
_SETTING = re.compile(r"-c\s*([\w.]+)=(\S+)")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")
#: What the driver and the wire raise: the server's errors, asyncpg's own (a closed connection, a protocol or
#: schema-cache failure) and the socket's. After asyncpg's DataError alone (a parameter of the wrong type, a
#: data exception of the server) the connection is kept.
_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError, TimeoutError)


class LoopFailure(Exception):
    """The driver or the database failed a statement of the loop (the caller takes its fallback)."""


class Unreachable(LoopFailure):
    """The pool cannot lend a connection now (closed, off, or the last connect failed moments ago)."""


def unsupported_options(options: Mapping[str, str]) -> list[str]:
    """The libpq connection options asyncpg cannot be given (an `options` value other than `-c` settings
    included): with any of them the loop pool stays off."""
    unknown = sorted(set(options) - _DSN_OPTIONS - _MAPPED_OPTIONS)
    if _SETTING.sub("", options.get("options", "")).strip():
        unknown.append("options")
    return unknown


def asyncpg_connect_args(options: Mapping[str, str]) -> dict[str, Any]:
    """asyncpg's `connect` arguments for these libpq options (`unsupported_options` must be empty)."""
    dsn = "postgresql://?" + urlencode({k: v for k, v in options.items() if k in _DSN_OPTIONS})
    settings = dict(_SETTING.findall(options.get("options", "")))
    if "application_name" in options:
        settings["application_name"] = options["application_name"]
    args: dict[str, Any] = {"dsn": dsn, "statement_cache_size": STATEMENT_CACHE}
    if settings:
        args["server_settings"] = settings
    if options.get("connect_timeout"):
        args["timeout"] = float(options["connect_timeout"])
    return args


class Numbered:
    """A psycopg-style statement numbered for asyncpg, and how its parameters line up."""

    __slots__ = ("names", "sql")

    def __init__(self, sql: str) -> None:
        numbers: dict[str, int] = {}
        count = 0

        def number(match: re.Match[str]) -> str:
            nonlocal count
            if match.group(0) == "%%":
                return "%"
            name = match.group(1)
            if name is None:
                count += 1
                return f"${count}"
            if name not in numbers:
                numbers[name] = len(numbers) + 1
            return f"${numbers[name]}"

        self.sql = _PLACEHOLDER.sub(number, sql)
        if numbers and count:
            raise ValueError("a statement mixes positional and named parameters")
        #: The parameter names in number order (None: positional parameters).
        self.names: tuple[str, ...] | None = tuple(numbers) if numbers else None

    def args(self, params: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any]:
        if self.names is None:
            return params  # type: ignore[return-value]
        assert isinstance(params, Mapping)
        return [params[name] for name in self.names]


def _json_text(value: Any) -> str:
    """A json/jsonb parameter as asyncpg sends it: text as given; psycopg's `Json`/`Jsonb` wrappers (what
    SQLAlchemy's JSON bind gives on psycopg: `None` wrapped is JSON null) by their own encoder, as psycopg
    sends them; anything else by `dump_json`."""
    if isinstance(value, str):
        return value
    if isinstance(value, Json | Jsonb):
        return str((value.dumps or dump_json)(value.obj))
    return dump_json(value)


async def _set_up(conn: Any) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, schema="pg_catalog", encoder=_json_text, decoder=json.loads, format="text")


class Session:
    """One lent connection: statements in psycopg's parameter style, rows as tuples."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: LoopPool, conn: Any) -> None:
        self._pool, self._conn = pool, conn

    async def fetchone(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> tuple[Any, ...] | None:
        numbered = self._pool.numbered(sql)
        record = await self._conn.fetchrow(numbered.sql, *numbered.args(params))
        return None if record is None else tuple(record)

    async def fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
        numbered = self._pool.numbered(sql)
        return [tuple(record) for record in await self._conn.fetch(numbered.sql, *numbered.args(params))]

    async def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> str:
        """Run one statement; its command status (`UPDATE 1`, `INSERT 0 3`)."""
        numbered = self._pool.numbered(sql)
        return str(await self._conn.execute(numbered.sql, *numbered.args(params)))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction for the block: committed at its end, rolled back if it raises."""
        async with self._conn.transaction():
            yield


def _close(conn: Any) -> None:
    """Close a connection at once, without awaiting: `terminate` aborts its transport, which closes the
    socket on the connection's event loop. When that loop is closed already (the pool outlived it: a
    server shut down, a test's `asyncio.run` ended), the transport cannot schedule that, so its socket
    is closed here (asyncio's selector transport keeps it as `_sock`, and counts itself closed without it)."""
    try:
        conn.terminate()
    except RuntimeError:  # "Event loop is closed"
        transport = getattr(conn, "_transport", None)
        sock = getattr(transport, "_sock", None)
        if sock is not None:
            transport._sock = None  # type: ignore[union-attr]
            sock.close()


class _Lease:
    """A connection of the pool for an `async with` block, and its slot. A failure of the driver or the database
    in the block is raised as `LoopFailure` and drops the connection (but asyncpg's DataError: a parameter it
    could not send or a data exception of the server leaves it usable); after anything else (the caller's own
    errors, a cancellation) the connection is kept if it is open and outside a transaction."""

    __slots__ = ("_conn", "_pool", "_slots")

    def __init__(self, pool: LoopPool) -> None:
        self._pool = pool

    async def __aenter__(self) -> Any:
        self._conn, self._slots = await self._pool._acquire()
        return self._conn

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, _: object) -> None:
        driver = isinstance(error, _DRIVER_ERRORS)
        self._pool._release(self._conn, self._slots, failed=driver and not isinstance(error, asyncpg.DataError))
        if driver:
            raise LoopFailure(repr(error)) from error


class LoopPool:
    """Up to `size` asyncpg connections, used from one event loop at a time."""

    def __init__(self, engine: Engine, size: int) -> None:
        args, kwargs = engine.dialect.create_connect_args(engine.url)  # what the engine's own connections use
        libpq = {k: str(v) for k, v in kwargs.items() if isinstance(v, str | int)}  # not psycopg's `context`
        #: The engine's libpq connection options.
        self._connect_args: dict[str, str] = {
            k: str(v) for k, v in conninfo_to_dict(make_conninfo(args[0] if args else "", **libpq)).items()
        }
        self.unsupported = unsupported_options(self._connect_args)
        if self.unsupported:
            log.warning(
                "the catalogue URL's connection options %s have no asyncpg equivalent: PostgreSQL point calls and "
                "small listings take the worker-thread path",
                ", ".join(self.unsupported),
            )
        self.size = size
        self._idle: list[Any] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._down_until = 0.0
        self._numbered: dict[str, Numbered] = {}

    def numbered(self, sql: str) -> Numbered:
        found = self._numbered.get(sql)
        if found is None:
            if len(self._numbered) >= MAX_NUMBERED:
                self._numbered.clear()
            found = self._numbered[sql] = Numbered(sql)
        return found

    async def fetchone(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> tuple[Any, ...] | None:
        """The first row of one statement, autocommit (the point read: the lease without `connection()`'s
        generator-based block)."""
        async with _Lease(self) as conn:
            return await Session(self, conn).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement, autocommit (the quick listing: the lease without `connection()`'s
        generator-based block, as `fetchone`)."""
        async with _Lease(self) as conn:
            return await Session(self, conn).fetchall(sql, params)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Session]:
        """An idle connection for the duration of the block (`_Lease`: a failure of the driver or the database
        is raised as `LoopFailure`)."""
        async with _Lease(self) as conn:
            yield Session(self, conn)

    async def _acquire(self) -> tuple[Any, asyncio.Semaphore]:
        """An idle connection (or a new one) and the slot it holds until `_release`."""
        slots = self._bind(asyncio.get_running_loop())
        await slots.acquire()
        try:
            return (self._idle.pop() if self._idle else await self._connect()), slots
        except BaseException:
            slots.release()
            raise

    def _release(self, conn: Any, slots: asyncio.Semaphore, failed: bool) -> None:
        """Give `conn` back (or close it: failed, unusable, pool closed) and its slot."""
        try:
            self._give_back(conn, failed)
        finally:
            slots.release()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        if self._closed:
            raise Unreachable("the pool is closed")
        if self.unsupported:
            raise Unreachable(f"connection options without an asyncpg equivalent: {', '.join(self.unsupported)}")
        if self._loop is not loop or self._slots is None:
            self._finish_idle()
            self._loop, self._slots = loop, asyncio.Semaphore(self.size)
        return self._slots

    async def _connect(self) -> Any:
        if time.monotonic() < self._down_until:
            raise Unreachable("the catalogue database was unreachable moments ago")
        conn = None
        try:
            conn = await asyncpg.connect(**asyncpg_connect_args(self._connect_args))
            await _set_up(conn)
            return conn
        except BaseException as error:
            if conn is not None:
                conn.terminate()
            if isinstance(error, _DRIVER_ERRORS):
                self._down_until = time.monotonic() + RETRY_SECONDS
                raise Unreachable(f"cannot connect: {error!r}") from error
            raise

    def _give_back(self, conn: Any, failed: bool) -> None:
        usable = not conn.is_closed() and not conn.is_in_transaction()
        if usable and not failed and not self._closed:
            self._idle.append(conn)
            return
        _close(conn)

    def _finish_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            try:
                _close(conn)
            except Exception:
                log.debug("closing a loop connection failed", exc_info=True)

    def close(self) -> None:
        """Close the idle connections; those lent out are closed when they come back. Any thread may call
        this once the loop sends no more calls (server shutdown)."""
        self._closed = True
        self._finish_idle()
