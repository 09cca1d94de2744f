"""A gRPC gateway in front of a didmeta server that answers the first call of every read method UNAVAILABLE.

What a client sees behind a proxy while a replica drains (docs/deployment.md "Behind an L7 proxy"): a
read that fails with UNAVAILABLE and succeeds when tried again. The gateway forwards every call of
didmeta's two services as bytes (requests, responses, headers, the status with its details), except the
first call of each read-only method (`didmeta.client.retries.READ_METHODS`), which it answers with
UNAVAILABLE without forwarding. A client that retries reads runs its scenario as if the gateway were not
there; one that does not fails at its first read. Writes are forwarded untouched (never retried).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc

from didmeta.client.retries import READ_METHODS
from didmeta.v1 import did_service_pb2, metadata_service_pb2

_SERVICES = [
    did_service_pb2.DESCRIPTOR.services_by_name["DidService"],
    metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"],
]
#: Headers gRPC sets itself; the rest of the caller's metadata is forwarded.
_OWN_HEADERS = ("user-agent", "grpc-", ":")


@dataclass
class FlakyGateway:
    address: str
    failed: list[str] = field(default_factory=list)  #: methods answered UNAVAILABLE, in order
    forwarded: list[str] = field(default_factory=list)  #: methods forwarded, in order


def _forwarded_metadata(context: grpc.ServicerContext) -> tuple[tuple[str, str | bytes], ...]:
    return tuple((k, v) for k, v in context.invocation_metadata() if not k.startswith(_OWN_HEADERS))


def _relay_error(error: grpc.RpcError, context: grpc.ServicerContext) -> None:
    call: Any = error
    context.set_trailing_metadata(call.trailing_metadata() or ())
    context.abort(call.code(), call.details() or "")


@contextmanager
def flaky_gateway(upstream: str) -> Iterator[FlakyGateway]:
    channel = grpc.insecure_channel(upstream)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    port = server.add_insecure_port("127.0.0.1:0")
    gateway = FlakyGateway(f"127.0.0.1:{port}")
    lock = threading.Lock()
    reads = {f"/{service}/{method}" for service, methods in READ_METHODS.items() for method in methods}

    def first_read(path: str, context: grpc.ServicerContext) -> None:
        with lock:
            fail = path in reads and path not in gateway.failed
            (gateway.failed if fail else gateway.forwarded).append(path)
        if fail:
            context.abort(grpc.StatusCode.UNAVAILABLE, "flaky gateway: the first call of each read is refused")

    def handler(path: str, client_streaming: bool, server_streaming: bool) -> grpc.RpcMethodHandler[Any, Any]:
        if not client_streaming and not server_streaming:
            unary = channel.unary_unary(path, request_serializer=None, response_deserializer=None)

            def unary_unary(request: bytes, context: grpc.ServicerContext) -> Any:
                first_read(path, context)
                try:
                    response, call = unary.with_call(request, metadata=_forwarded_metadata(context))
                except grpc.RpcError as error:
                    _relay_error(error, context)
                context.set_trailing_metadata(call.trailing_metadata() or ())
                return response

            return grpc.unary_unary_rpc_method_handler(unary_unary)
        if not client_streaming:
            stream = channel.unary_stream(path, request_serializer=None, response_deserializer=None)

            def unary_stream(request: bytes, context: grpc.ServicerContext) -> Iterator[Any]:
                first_read(path, context)
                try:
                    yield from stream(request, metadata=_forwarded_metadata(context))
                except grpc.RpcError as error:
                    _relay_error(error, context)

            return grpc.unary_stream_rpc_method_handler(unary_stream)
        if not server_streaming:
            upload = channel.stream_unary(path, request_serializer=None, response_deserializer=None)

            def stream_unary(requests: Iterator[bytes], context: grpc.ServicerContext) -> Any:
                first_read(path, context)
                try:
                    return upload(requests, metadata=_forwarded_metadata(context))
                except grpc.RpcError as error:
                    _relay_error(error, context)

            return grpc.stream_unary_rpc_method_handler(stream_unary)
        raise ValueError(f"{path}: bidirectional streams are not part of didmeta's contract")

    for service in _SERVICES:
        methods: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
        for method in service.methods:
            path = f"/{service.full_name}/{method.name}"
            methods[method.name] = handler(path, method.client_streaming, method.server_streaming)
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(service.full_name, methods)])
    server.start()
    try:
        yield gateway
    finally:
        server.stop(grace=None)
        channel.close()
