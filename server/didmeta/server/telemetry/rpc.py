"""A grpc.aio server interceptor that counts every finished RPC by status code and times it.

The status is what the client sees: OK when the method returned, the aborted code when the
method aborted (`guarded` maps every error to one, status.py), CANCELLED when the client went away.
ListDids responses also add their DIDs to `didmeta_listed_dids_total`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from didmeta.server.telemetry.metrics import Metrics

Context = grpc.aio.ServicerContext[Any, Any]
LIST_DIDS = "/didmeta.v1.MetadataService/ListDids"


def listed_dids(response: Any) -> int:
    """DIDs in one ListDids message: names, or the rows of its Arrow batch."""
    batch = response.batch
    if batch.names:
        return len(batch.names)
    if batch.arrow_ipc:
        import pyarrow as pa  # only ARROW listings carry arrow_ipc, and they need pyarrow on the server

        return int(pa.ipc.open_stream(batch.arrow_ipc).read_all().num_rows)
    return 0


def _code_name(context: Context, default: grpc.StatusCode) -> str:
    code = context.code()
    if code is None:
        return default.name
    if isinstance(code, grpc.StatusCode):
        return code.name
    for status in grpc.StatusCode:  # grpc.aio may hand back the numeric code
        if status.value[0] == code:
            return status.name
    return grpc.StatusCode.UNKNOWN.name


class RpcMetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def _finish(self, service: str, method: str, code: str, started: float) -> None:
        self.metrics.rpc_requests.labels(service, method, code).inc()
        self.metrics.rpc_duration.labels(service, method).observe(time.perf_counter() - started)

    def _wrap_call(self, full_method: str, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        service, _, method = full_method.lstrip("/").rpartition("/")

        async def observed(request: Any, context: Context) -> Any:
            started, code = time.perf_counter(), grpc.StatusCode.UNKNOWN.name
            try:
                result = await behavior(request, context)
                code = _code_name(context, grpc.StatusCode.OK)
                return result
            except asyncio.CancelledError:
                code = grpc.StatusCode.CANCELLED.name
                raise
            except grpc.aio.AbortError:
                code = _code_name(context, grpc.StatusCode.UNKNOWN)
                raise
            finally:
                self._finish(service, method, code, started)

        return observed

    def _wrap_stream(
        self, full_method: str, behavior: Callable[..., AsyncIterator[Any]]
    ) -> Callable[..., AsyncIterator[Any]]:
        service, _, method = full_method.lstrip("/").rpartition("/")
        count = listed_dids if full_method == LIST_DIDS else None

        async def observed(request: Any, context: Context) -> AsyncIterator[Any]:
            started, code = time.perf_counter(), grpc.StatusCode.UNKNOWN.name
            try:
                async for response in behavior(request, context):
                    if count is not None:
                        self.metrics.listed_dids.inc(count(response))
                    yield response
                code = _code_name(context, grpc.StatusCode.OK)
            except (asyncio.CancelledError, GeneratorExit):
                code = grpc.StatusCode.CANCELLED.name
                raise
            except grpc.aio.AbortError:
                code = _code_name(context, grpc.StatusCode.UNKNOWN)
                raise
            finally:
                self._finish(service, method, code, started)

        return observed

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        name = handler_call_details.method
        codecs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(self._wrap_call(name, handler.unary_unary), **codecs)
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(self._wrap_call(name, handler.stream_unary), **codecs)
        if handler.unary_stream is not None:
            if inspect.isasyncgenfunction(handler.unary_stream):
                return grpc.unary_stream_rpc_method_handler(self._wrap_stream(name, handler.unary_stream), **codecs)
            # a coroutine writing with context.write() (grpc's health Watch)
            coroutine: Any = handler.unary_stream
            return grpc.unary_stream_rpc_method_handler(self._wrap_call(name, coroutine), **codecs)
        return handler
