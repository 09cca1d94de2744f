"""Decode requests inside the servicer, so that undecodable bytes are INVALID_ARGUMENT, not UNKNOWN.

grpc runs a method's request deserializer before the method itself: a corrupt message, invalid
UTF-8 in a string field or a Value nested deeper than protobuf's decoder allows (100 message
levels) fails there and the client sees UNKNOWN. `DecodingRegistrar` stands in for the server
when the generated `add_*Servicer_to_server` functions register their handlers: it replaces each
handler's deserializer by the identity (the method receives the raw bytes) and wraps the method
so it parses the bytes first and answers INVALID_ARGUMENT (reason MALFORMED_REQUEST) when that fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, cast

import grpc
from google.protobuf.message import DecodeError

from didmeta.errors import InvalidArgument
from didmeta.server.status import abort

Deserializer = Callable[[bytes], Any]


def decode(deserializer: Deserializer, raw: bytes) -> Any:
    """The request message of `raw` bytes; INVALID_ARGUMENT if they cannot be decoded."""
    try:
        return deserializer(raw)
    except (DecodeError, RecursionError, UnicodeDecodeError, ValueError) as error:
        raise InvalidArgument(
            f"the request cannot be decoded ({type(error).__name__}): corrupt protobuf, invalid UTF-8 "
            "in a string, or values nested deeper than protobuf's limit of 100 message levels",
            reason="MALFORMED_REQUEST",
        ) from None


def _unary_request(behavior: Callable[..., Any], deserializer: Deserializer, streaming_response: bool) -> Any:
    if streaming_response:

        async def unary_stream(raw: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            try:
                request = decode(deserializer, raw)
            except InvalidArgument as error:
                await abort(context, error)  # raises grpc's AbortError
                raise
            async for item in behavior(request, context):
                yield item

        return unary_stream

    async def unary_unary(raw: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            request = decode(deserializer, raw)
        except InvalidArgument as error:
            await abort(context, error)  # raises grpc's AbortError
            raise
        return await behavior(request, context)

    return unary_unary


async def _decoded(requests: AsyncIterator[bytes], deserializer: Deserializer) -> AsyncIterator[Any]:
    """A request stream, decoded message by message (the servicer's @guarded maps the error)."""
    async for raw in requests:
        yield decode(deserializer, raw)


def decoding_handler(handler: grpc.RpcMethodHandler[Any, Any]) -> grpc.RpcMethodHandler[Any, Any]:
    """The same method, taking raw bytes and decoding them itself."""
    deserializer = handler.request_deserializer
    if deserializer is None:
        return handler
    serializer = handler.response_serializer
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            _unary_request(handler.unary_unary, deserializer, False), response_serializer=serializer
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _unary_request(handler.unary_stream, deserializer, True), response_serializer=serializer
        )
    if handler.stream_unary is not None:
        stream_unary: Any = handler.stream_unary

        async def stream_request(requests: AsyncIterator[bytes], context: Any) -> Any:
            return await stream_unary(_decoded(requests, deserializer), context)

        return grpc.stream_unary_rpc_method_handler(cast(Any, stream_request), response_serializer=serializer)
    raise NotImplementedError("bidirectional streams are not part of the didmeta contract")


class DecodingRegistrar:
    """Pass this instead of the server to a generated `add_*Servicer_to_server` function."""

    def __init__(self, server: grpc.aio.Server) -> None:
        self.server = server

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        """Ignored: the same handlers arrive through add_registered_method_handlers."""

    def add_registered_method_handlers(
        self, service: str, handlers: Mapping[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        wrapped = {name: decoding_handler(handler) for name, handler in handlers.items()}
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, wrapped),))
        # grpc >= 1.62: registered methods skip the generic lookup (the stubs are typed without it).
        cast(Any, self.server).add_registered_method_handlers(service, wrapped)
