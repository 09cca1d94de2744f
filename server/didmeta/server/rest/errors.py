"""Errors over HTTP: google.rpc.Status as JSON, and the gRPC code -> HTTP status table (google/rpc/code.proto)."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2

from didmeta.errors import DidmetaError
from didmeta.server.status import to_status_message

__all__ = ["HTTP_STATUS", "http_status", "status_from_error", "status_from_rpc_error", "status_json"]

# Make the detail types known to json_format (it resolves Any by the type URL).
_DETAIL_TYPES = (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest)

#: The mapping of google/rpc/code.proto (and grpc-gateway).
HTTP_STATUS: dict[int, int] = {
    code_pb2.OK: 200,
    code_pb2.CANCELLED: 499,
    code_pb2.UNKNOWN: 500,
    code_pb2.INVALID_ARGUMENT: 400,
    code_pb2.DEADLINE_EXCEEDED: 504,
    code_pb2.NOT_FOUND: 404,
    code_pb2.ALREADY_EXISTS: 409,
    code_pb2.PERMISSION_DENIED: 403,
    code_pb2.UNAUTHENTICATED: 401,
    code_pb2.RESOURCE_EXHAUSTED: 429,
    code_pb2.FAILED_PRECONDITION: 400,
    code_pb2.ABORTED: 409,
    code_pb2.OUT_OF_RANGE: 400,
    code_pb2.UNIMPLEMENTED: 501,
    code_pb2.INTERNAL: 500,
    code_pb2.UNAVAILABLE: 503,
    code_pb2.DATA_LOSS: 500,
}
_DETAILS_KEY = "grpc-status-details-bin"


def http_status(status: status_pb2.Status) -> int:
    return HTTP_STATUS.get(status.code, 500)


def status_from_error(error: DidmetaError) -> status_pb2.Status:
    """A gateway-side error (bad JSON, unknown query parameter, no route) as the server would send it."""
    return to_status_message(error)


def status_from_rpc_error(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The server's google.rpc.Status from the call's trailers, or code and message when it sent none."""
    trailers: Any = error.trailing_metadata() or ()
    for key, value in trailers:
        if key == _DETAILS_KEY and isinstance(value, bytes):
            return status_pb2.Status.FromString(value)
    code = error.code().value[0]
    return status_pb2.Status(code=code or code_pb2.UNKNOWN, message=error.details() or error.code().name)


def status_json(status: status_pb2.Status) -> dict[str, Any]:
    """`{"code": 3, "message": "...", "details": [{"@type": ".../google.rpc.ErrorInfo", "reason": ...}]}`."""
    body: dict[str, Any] = json_format.MessageToDict(status, always_print_fields_with_no_presence=True)
    return body
