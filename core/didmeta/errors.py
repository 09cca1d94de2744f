"""One error hierarchy for didmeta, shared by the server, the plugins and the client.

    DidmetaError                      (status code)
    ├── InvalidArgument               INVALID_ARGUMENT   bad key, value, filter, plugin name, identifier
    ├── NotFound                      NOT_FOUND          scope, DID, key
    ├── AlreadyExists                 ALREADY_EXISTS     scope, DID, attachment
    ├── FailedPrecondition            FAILED_PRECONDITION closed collection, intrinsic key, cycle
    ├── Aborted                       ABORTED            a concurrent change won (deadlock, serialization); retry
    ├── PermissionDenied              PERMISSION_DENIED
    ├── Unauthenticated               UNAUTHENTICATED
    ├── ResourceExhausted             RESOURCE_EXHAUSTED request too large
    ├── Unavailable                   UNAVAILABLE        a backend is down
    ├── Unimplemented                 UNIMPLEMENTED      a plugin lacks a feature
    ├── DeadlineExceeded              DEADLINE_EXCEEDED
    ├── Cancelled                     CANCELLED
    └── InternalError                 INTERNAL           a bug; the message is generic on the wire

Every error carries a stable UPPER_SNAKE `reason` (sent as google.rpc.ErrorInfo.reason),
optional string `metadata` (ErrorInfo.metadata) and, for input errors, `field_violations`
(google.rpc.BadRequest). The server turns these into gRPC statuses in exactly one place
(`didmeta.server.status`); the client turns statuses back into the same classes
(`didmeta.client.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc

ERROR_DOMAIN = "didmeta.io"


@dataclass(frozen=True)
class FieldViolation:
    """One offending input field and why it is refused."""

    field: str
    description: str


class DidmetaError(Exception):
    """Base of every didmeta error."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    default_reason = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: tuple[FieldViolation, ...] = tuple(field_violations)

    def __str__(self) -> str:
        return self.message


class InvalidArgument(DidmetaError):
    """The request is malformed: a key, value, filter, identifier or option."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"

    @classmethod
    def for_field(cls, field: str, description: str, *, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
        """An InvalidArgument naming one offending field."""
        return cls(
            f"{field}: {description}",
            reason=reason,
            metadata={"field": field},
            field_violations=[FieldViolation(field, description)],
        )


class NotFound(DidmetaError):
    """A scope, DID or key does not exist."""

    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(DidmetaError):
    """A scope, DID or attachment exists already."""

    code = grpc.StatusCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(DidmetaError):
    """The request is valid but the state forbids it (closed collection, intrinsic key)."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class OutOfRange(DidmetaError):
    """The request is valid, but an answer it asks for does not fit the contract's range (a sum past int64)."""

    code = grpc.StatusCode.OUT_OF_RANGE
    default_reason = "OUT_OF_RANGE"


class Aborted(DidmetaError):
    """A concurrent request conflicted with this one (deadlock, serialization failure) and the server's own
    retries did not resolve it; nothing was changed and the whole request may be retried."""

    code = grpc.StatusCode.ABORTED
    default_reason = "CONCURRENT_MODIFICATION"


class PermissionDenied(DidmetaError):
    """The caller may not do this."""

    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(DidmetaError):
    """The caller's credentials are missing or invalid."""

    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class ResourceExhausted(DidmetaError):
    """The request is too large or a quota is used up."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class Unavailable(DidmetaError):
    """A backend is down; the call may succeed later."""

    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "BACKEND_UNAVAILABLE"


class Unimplemented(DidmetaError):
    """A plugin cannot do what was asked."""

    code = grpc.StatusCode.UNIMPLEMENTED
    default_reason = "NOT_SUPPORTED_BY_PLUGIN"


class DeadlineExceeded(DidmetaError):
    """The call's deadline passed before the work finished."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED
    default_reason = "DEADLINE_EXCEEDED"


class Cancelled(DidmetaError):
    """The call was cancelled."""

    code = grpc.StatusCode.CANCELLED
    default_reason = "CANCELLED"


class InternalError(DidmetaError):
    """A bug in didmeta; details are logged on the server, not sent."""

    code = grpc.StatusCode.INTERNAL
    default_reason = "INTERNAL"


ERROR_CLASSES: tuple[type[DidmetaError], ...] = (
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    OutOfRange,
    Aborted,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
    Unavailable,
    Unimplemented,
    DeadlineExceeded,
    Cancelled,
    InternalError,
)

_BY_CODE: dict[grpc.StatusCode, type[DidmetaError]] = {cls.code: cls for cls in ERROR_CLASSES}


def error_class_for(code: grpc.StatusCode) -> type[DidmetaError]:
    """The error class that represents a status code (DidmetaError for codes without one)."""
    return _BY_CODE.get(code, DidmetaError)
