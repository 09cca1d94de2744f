"""The one place where exceptions become gRPC statuses (spec §7).

`as_didmeta_error` maps anything raised below a servicer to the error hierarchy (driver errors
of the catalogue database narrowly, everything else as INTERNAL, logged with its traceback);
`to_grpc_status` renders it as a google.rpc.Status with ErrorInfo and BadRequest details (`to_status_message`
alone: the same Status for the REST gateway);
`guarded` wraps every servicer method: it authenticates the caller, checks its rights for the RPC
(`didmeta.server.access.rights`), and makes sure no traceback ever reaches a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import os
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar, cast

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from sqlalchemy import exc as sa_exc

from didmeta.errors import (
    ERROR_DOMAIN,
    AlreadyExists,
    Cancelled,
    DidmetaError,
    FailedPrecondition,
    InternalError,
    Unavailable,
)
from didmeta.server.store.failures import as_aborted, connection_lost

log = logging.getLogger("didmeta.server.status")
F = TypeVar("F", bound=Callable[..., Any])


def as_didmeta_error(error: BaseException) -> DidmetaError:
    if isinstance(error, DidmetaError):
        return error
    if isinstance(error, sa_exc.IntegrityError):
        duplicate = _duplicate_of(error)
        if duplicate is not None:
            # Two requests created the same scope, DID or attachment at once: the loser sees what it
            # would have seen one moment later, ALREADY_EXISTS (spec §7), not a generic conflict.
            what, reason = duplicate
            return AlreadyExists(f"{what} was created by a concurrent request", reason=reason)
        return FailedPrecondition(
            "the request conflicts with a concurrent change; retry it", reason="CONCURRENT_MODIFICATION"
        )
    aborted = as_aborted(error)
    if aborted is not None:
        # A deadlock or serialization failure that outlived the dispatcher's retries: the database is
        # up and nothing was changed, so ABORTED (retry the request), not UNAVAILABLE.
        return aborted
    if _is_int64_overflow(error):
        # A sum the catalogue keeps (a collection's bytes, length or events) would leave int64: the
        # request is valid, the state refuses it. Same status on SQLite and PostgreSQL.
        return FailedPrecondition(
            "a total the catalogue keeps (bytes, length or events of a collection) would exceed the int64 range",
            reason="COUNTER_OVERFLOW",
        )
    if isinstance(error, sa_exc.OperationalError) and (
        "interrupt" in str(error).lower() or getattr(error.orig, "sqlstate", None) == "57014"
    ):
        return Cancelled("the query was interrupted")
    if connection_lost(error):
        # Only a database that cannot be reached is an outage; a failing statement is a bug (INTERNAL, below).
        return catalogue_unavailable(error)
    log.error("internal error", exc_info=error)
    return InternalError("internal error; see the server log")


def catalogue_unavailable(error: BaseException) -> Unavailable:
    """The one UNAVAILABLE of a catalogue database that cannot be reached (row and Arrow paths alike)."""
    log.warning("catalogue database unavailable: %s", error)
    return Unavailable("the catalogue database is unavailable", metadata={"backend": "catalogue"})


def _is_int64_overflow(error: BaseException) -> bool:
    """SQLite's "integer overflow" (SUM) or PostgreSQL's numeric_value_out_of_range (SQLSTATE 22003)."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) == "22003":
        return True
    return isinstance(error, sa_exc.OperationalError) and "integer overflow" in str(original).lower()


#: Unique constraints of the catalogue (PostgreSQL constraint or SQLite table) -> (what, reason).
_UNIQUE_TARGETS = {
    "dids": ("a DID of the request", "DID_EXISTS"),
    "scopes": ("the scope", "SCOPE_EXISTS"),
    "contents": ("an attachment of the request", "ATTACHMENT_EXISTS"),
}


def _duplicate_of(error: sa_exc.IntegrityError) -> tuple[str, str] | None:
    """(what, reason) if the error is a unique-key violation of a catalogue table, else None."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:  # psycopg
        if sqlstate != "23505":
            return None
        diag = getattr(original, "diag", None)
        table = getattr(diag, "table_name", None) or ""
    else:  # sqlite3: "UNIQUE constraint failed: dids.scope, dids.name"
        text = str(original)
        if "UNIQUE constraint failed" not in text:
            return None
        table = text.rsplit(":", 1)[-1].strip().split(".", 1)[0]
    return _UNIQUE_TARGETS.get(table, ("something the request creates", "ALREADY_EXISTS"))


#: Caps on what a status echoes back, so trailers stay far below a client's metadata limit (8 KiB by
#: default in gRPC): a 10,000-character name must still give a readable INVALID_ARGUMENT.
MAX_MESSAGE_CHARS = 1000
MAX_ECHO_CHARS = 200
MAX_FIELD_VIOLATIONS = 10


def shorten(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """`text`, cut to at most `limit` characters with a note of how much was left out."""
    if len(text) <= limit:
        return text
    note = f"...[{len(text) - limit} more characters]"
    return text[: max(limit - len(note), 0)] + note


def to_grpc_status(error: DidmetaError) -> grpc.Status:
    return rpc_status.to_status(to_status_message(error))


def to_status_message(error: DidmetaError) -> status_pb2.Status:
    """The google.rpc.Status of an error: code, capped message, ErrorInfo and (input errors) BadRequest."""
    metadata = {shorten(k, 64): shorten(v) for k, v in list(error.metadata.items())[:MAX_FIELD_VIOLATIONS]}
    details = [error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata)]
    if error.field_violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=shorten(v.field), description=shorten(v.description, MAX_MESSAGE_CHARS // 2)
                    )
                    for v in error.field_violations[:MAX_FIELD_VIOLATIONS]
                ]
            )
        )
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    code = cast(int, error.code.value[0])
    return status_pb2.Status(
        code=code or code_pb2.UNKNOWN, message=shorten(error.message, MAX_MESSAGE_CHARS), details=packed
    )


#: Trailer naming the server process that answered a call (several with `workers` > 1: docs/deployment.md).
SERVER_PID_TRAILER = "didmeta-server-pid"


def server_pid_trailer() -> tuple[tuple[str, str]]:
    return ((SERVER_PID_TRAILER, str(os.getpid())),)


async def abort(context: grpc.aio.ServicerContext[Any, Any], error: BaseException) -> None:
    status = to_grpc_status(as_didmeta_error(error))
    await context.abort(status.code, status.details, (*status.trailing_metadata, *server_pid_trailer()))


def guarded(method: F) -> F:
    """Decorate a servicer method (coroutine or async generator): map every error in one place."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream_wrapper(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
            context.set_trailing_metadata(server_pid_trailer())
            try:
                await self.authenticate(context)
                request = await self.authorize(method.__name__, request)
                # aclosing: a stream closed early (client gone, cancelled) runs the method's cleanup now.
                async with contextlib.aclosing(method(self, request, context)) as items:
                    async for item in items:
                        yield item
            except (asyncio.CancelledError, grpc.aio.AbortError):
                raise
            except Exception as error:
                await abort(context, error)

        return cast(F, stream_wrapper)

    @functools.wraps(method)
    async def unary_wrapper(self: Any, request: Any, context: Any) -> Any:
        context.set_trailing_metadata(server_pid_trailer())
        try:
            await self.authenticate(context)
            request = await self.authorize(method.__name__, request)
            return await method(self, request, context)
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except Exception as error:
            await abort(context, error)

    return cast(F, unary_wrapper)
