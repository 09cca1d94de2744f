"""The REST/JSON gateway's HTTP server (aiohttp), started by `didmeta serve` beside gRPC when `rest_listen` is set.

Each request is matched to a route (routes.py), turned into the request message (transcode.py) and sent
to the gRPC server over a private Unix socket with the caller's `Authorization` and `x-request-id`
headers as metadata, so the servicers apply the same authentication and access checks as to a gRPC
call. Unary results are one JSON object; server streams are newline-delimited JSON, one
`{"result": ...}` per message, and `{"error": <google.rpc.Status>}` as the last line if the stream
fails after its first message (before it, the error is the whole response with its HTTP status).
LoadDids (client streaming) reads its chunks as newline-delimited JSON, one LoadDidsRequest per line.

Also served: `/openapi.json` (openapi.py) and the catalogue page at `/` (static/).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import grpc
from aiohttp import web
from google.protobuf.message import Message
from google.rpc import status_pb2

from didmeta.errors import DidmetaError, InvalidArgument, NotFound, ResourceExhausted, Unimplemented
from didmeta.server.config import Settings
from didmeta.server.rest.errors import http_status, status_from_error, status_from_rpc_error, status_json
from didmeta.server.rest.openapi import openapi_document
from didmeta.server.rest.routes import Route, find_route, routes_of
from didmeta.server.rest.transcode import MALFORMED, build_request, message_class, parse_json, to_json
from didmeta.server.status import as_didmeta_error

log = logging.getLogger("didmeta.server.rest")
NDJSON = "application/x-ndjson"
#: HTTP headers passed to the gRPC call as metadata.
FORWARDED_HEADERS = ("authorization", "x-request-id")
#: The page loads only its own script and style and talks only to this origin.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
STATIC_FILES = {
    "/": ("index.html", "text/html"),
    "/index.html": ("index.html", "text/html"),
    "/ui/catalogue.js": ("catalogue.js", "text/javascript"),
    "/ui/catalogue.css": ("catalogue.css", "text/css"),
}


def _static(name: str) -> bytes:
    return resources.files("didmeta.server.rest").joinpath("static", name).read_bytes()


def error_response(status: status_pb2.Status) -> web.Response:
    return web.json_response(status_json(status), status=http_status(status))


def _ndjson_line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode() + b"\n"


class RestGateway:
    """The HTTP server; `start()` returns the bound port."""

    def __init__(self, settings: Settings, target: str) -> None:
        self.settings = settings
        self.routes = routes_of()
        self.channel = grpc.aio.insecure_channel(
            target,
            options=[
                ("grpc.max_receive_message_length", settings.max_message_bytes),
                ("grpc.max_send_message_length", settings.max_message_bytes),
            ],
        )
        self.document = json.dumps(openapi_document(self.routes)).encode()
        self.files = {path: (_static(name), kind) for path, (name, kind) in STATIC_FILES.items()}
        app = web.Application(client_max_size=settings.max_message_bytes)
        app.router.add_route("*", r"/{tail:[\s\S]*}", self.handle)  # any path, even with an encoded newline
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=settings.grace_seconds)

    async def start(self) -> int:
        listen = self.settings.rest_listen or ""
        host, _, port = listen.rpartition(":")
        await self.runner.setup()
        site = web.TCPSite(self.runner, host.strip("[]"), int(port), ssl_context=self._ssl_context())
        await site.start()
        return int(self.runner.addresses[0][1])  # the port actually bound (port 0 picks one)

    def _ssl_context(self) -> ssl.SSLContext | None:
        tls = self.settings.tls
        if tls is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        return context

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.channel.close(None)

    # --- requests ---------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path.split("?", 1)[0]
        try:
            if request.method in ("GET", "HEAD") and path in self.files:
                body, kind = self.files[path]
                return web.Response(body=body, content_type=kind, charset="utf-8", headers=PAGE_HEADERS)
            if request.method in ("GET", "HEAD") and path == "/openapi.json":
                return web.Response(body=self.document, content_type="application/json")
            route, variables, allowed = find_route(self.routes, request.method, path)
            if route is None:
                if allowed:
                    response = error_response(
                        status_from_error(
                            Unimplemented(
                                f"{request.method} is not allowed on {path}; allowed: {', '.join(sorted(allowed))}",
                                reason="METHOD_NOT_ALLOWED",
                            )
                        )
                    )
                    response.set_status(405)
                    response.headers["Allow"] = ", ".join(sorted(allowed))
                    return response
                raise NotFound(f"no REST route {request.method} {path} (see /openapi.json)", reason="NO_ROUTE")
            return await self._call(route, variables, request)
        except DidmetaError as error:
            return error_response(status_from_error(error))
        except web.HTTPRequestEntityTooLarge:
            too_large = ResourceExhausted(
                f"the request body exceeds {self.settings.max_message_bytes} bytes (max_message_bytes)",
                reason="REQUEST_TOO_LARGE",
            )
            return error_response(status_from_error(too_large))
        except (asyncio.CancelledError, web.HTTPException):
            raise
        except Exception as error:  # a gateway bug: logged with its traceback, INTERNAL without it on the wire
            return error_response(status_from_error(as_didmeta_error(error)))

    def _metadata(self, request: web.Request) -> tuple[tuple[str, str], ...]:
        return tuple((name, request.headers[name]) for name in FORWARDED_HEADERS if name in request.headers)

    async def _call(self, route: Route, variables: dict[str, str], request: web.Request) -> web.StreamResponse:
        query = list(request.query.items())
        metadata = self._metadata(request)
        response_class = message_class(route.method.output_type)
        if route.client_streaming:
            chunks = await self._ndjson_requests(route, variables, query, request)
            stream_unary = self.channel.stream_unary(
                route.grpc_path,
                request_serializer=_serialize,
                response_deserializer=response_class.FromString,
            )
            return await self._unary(stream_unary(_iterate(chunks), metadata=metadata))
        body = parse_json(await request.read(), "body") if route.body else None
        message = build_request(route, variables, query, body)
        if route.server_streaming:
            unary_stream = self.channel.unary_stream(
                route.grpc_path, request_serializer=_serialize, response_deserializer=response_class.FromString
            )
            return await self._stream(unary_stream(message, metadata=metadata), request)
        unary_unary = self.channel.unary_unary(
            route.grpc_path, request_serializer=_serialize, response_deserializer=response_class.FromString
        )
        return await self._unary(unary_unary(message, metadata=metadata))

    async def _ndjson_requests(
        self, route: Route, variables: dict[str, str], query: list[tuple[str, str]], request: web.Request
    ) -> list[Message]:
        messages: list[Message] = []
        for number, line in enumerate((await request.read()).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                messages.append(build_request(route, variables, query, parse_json(line, "body")))
            except InvalidArgument as error:
                raise InvalidArgument.for_field(f"line {number}", error.message, reason=MALFORMED) from None
        return messages

    @staticmethod
    async def _unary(call: Any) -> web.StreamResponse:
        try:
            result = await call
        except grpc.aio.AioRpcError as error:
            return error_response(status_from_rpc_error(error))
        return web.json_response(to_json(result))

    @staticmethod
    async def _stream(call: Any, request: web.Request) -> web.StreamResponse:
        messages = call.__aiter__()
        try:
            first = await anext(messages, None)
        except grpc.aio.AioRpcError as error:
            return error_response(status_from_rpc_error(error))
        response = web.StreamResponse(status=200, headers={"Content-Type": NDJSON, "Cache-Control": "no-store"})
        await response.prepare(request)
        try:
            if first is not None:
                await response.write(_ndjson_line({"result": to_json(first)}))
                async for message in messages:
                    await response.write(_ndjson_line({"result": to_json(message)}))
        except grpc.aio.AioRpcError as error:
            with contextlib.suppress(ConnectionResetError):  # the client may be gone by now
                await response.write(_ndjson_line({"error": status_json(status_from_rpc_error(error))}))
        except ConnectionResetError:
            call.cancel()  # the HTTP client went away: stop the call on the server
            return response
        except asyncio.CancelledError:
            call.cancel()
            raise
        with contextlib.suppress(ConnectionResetError):  # a client may leave after the last line, before the end
            await response.write_eof()
        return response


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


async def _iterate(items: list[Message]) -> AsyncIterator[Message]:
    for item in items:
        yield item
