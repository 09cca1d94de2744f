"""gRPC statuses back into didmeta's error hierarchy (`didmeta.errors`), with reason and details."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from didmeta.errors import DidmetaError, FieldViolation, error_class_for


def from_rpc_error(error: grpc.RpcError) -> DidmetaError:
    """The didmeta error a failed call stands for (ErrorInfo reason and metadata, BadRequest fields)."""
    code: grpc.StatusCode = error.code()
    message: str = error.details() or code.name
    reason: str | None = None
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
    result = error_class_for(code)(message, reason=reason, metadata=metadata, field_violations=violations)
    result.code = code
    return result


def sent_by_server(error: grpc.RpcError) -> bool:
    """Whether a didmeta server sent this status (with its details), rather than the transport failing."""
    return rpc_status.from_call(error) is not None  # type: ignore[arg-type]
