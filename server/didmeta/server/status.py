"""The one place where exceptions become gRPC statuses (spec §7).

`as_didmeta_error` maps anything raised below a servicer to the error hierarchy (driver errors
of the catalogue database narrowly, everything else as INTERNAL, logged with its traceback);
`to_grpc_status` renders it as a google.rpc.Status with ErrorInfo and BadRequest details;
`guarded` wraps every servicer method: it authenticates the caller, checks its rights for the RPC
(`didmeta.server.access.rights`), and makes sure no traceback ever reaches a client.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
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
    if isinstance(error, sa_exc.OperationalError) and (
        "interrupt" in str(error).lower() or getattr(error.orig, "sqlstate", None) == "57014"
    ):
        return Cancelled("the query was interrupted")
    if connection_lost(error):
        # Only a database that cannot be reached is an outage; a failing statement is a bug (INTERNAL, below).
        log.warning("catalogue database unavailable: %s", error)
        return Unavailable("the catalogue database is unavailable", metadata={"backend": "catalogue"})
    log.error("internal error", exc_info=error)
    return InternalError("internal error; see the server log")


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


def to_grpc_status(error: DidmetaError) -> grpc.Status:
    details = [error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata)]
    if error.field_violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.field_violations
                ]
            )
        )
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    code = cast(int, error.code.value[0])
    message = status_pb2.Status(code=code or code_pb2.UNKNOWN, message=error.message, details=packed)
    return rpc_status.to_status(message)


async def abort(context: grpc.aio.ServicerContext[Any, Any], error: BaseException) -> None:
    status = to_grpc_status(as_didmeta_error(error))
    await context.abort(status.code, status.details, status.trailing_metadata)


def guarded(method: F) -> F:
    """Decorate a servicer method (coroutine or async generator): map every error in one place."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream_wrapper(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
            try:
                await self.authenticate(context)
                request = await self.authorize(method.__name__, request)
                async for item in method(self, request, context):
                    yield item
            except (asyncio.CancelledError, grpc.aio.AbortError):
                raise
            except Exception as error:
                await abort(context, error)

        return cast(F, stream_wrapper)

    @functools.wraps(method)
    async def unary_wrapper(self: Any, request: Any, context: Any) -> Any:
        try:
            await self.authenticate(context)
            request = await self.authorize(method.__name__, request)
            return await method(self, request, context)
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except Exception as error:
            await abort(context, error)

    return cast(F, unary_wrapper)
