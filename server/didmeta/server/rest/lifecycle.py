"""Start and stop the REST gateway beside the gRPC server (`rest_listen`): a private Unix socket for its calls.

The gRPC server also listens, without TLS, on a Unix socket in a new 0700 directory that only this
process's user can reach; the gateway's channel uses it, so TLS and the public address stay untouched.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grpc

from didmeta.server.config import Settings
from didmeta.server.rest.gateway import RestGateway
from didmeta.server.startup import EXIT_RUNTIME, StartupError, check_address

log = logging.getLogger("didmeta.server.rest")


@dataclass
class RestSocket:
    directory: Path

    @property
    def target(self) -> str:
        return f"unix:{self.directory / 'grpc.sock'}"


@dataclass
class RunningRest:
    gateway: RestGateway
    socket: RestSocket
    port: int

    async def stop(self) -> None:
        try:
            await self.gateway.stop()
        finally:
            shutil.rmtree(self.socket.directory, ignore_errors=True)


def check_rest_address(listen: str) -> None:
    """Try `rest_listen` before anything starts, so a busy port fails the start naming the setting."""
    try:
        check_address(listen)
    except StartupError as error:
        raise StartupError("rest_listen", listen, error.problem, error.exit_code) from None


def bind_rest_socket(server: grpc.aio.Server) -> RestSocket:
    """Add the private Unix socket to the gRPC server (before it starts)."""
    socket = RestSocket(Path(tempfile.mkdtemp(prefix="didmeta-rest-")))
    if server.add_insecure_port(socket.target) == 0:
        shutil.rmtree(socket.directory, ignore_errors=True)
        raise StartupError("rest_listen", socket.target, "cannot open the gateway's Unix socket", EXIT_RUNTIME)
    return socket


async def start_rest(settings: Settings, gateway: RestGateway, socket: RestSocket) -> RunningRest:
    """Start the HTTP server on `rest_listen`; a busy or unbindable address is a StartupError."""
    listen = settings.rest_listen or ""
    try:
        port = await gateway.start()
    except OSError as error:
        await gateway.stop()
        shutil.rmtree(socket.directory, ignore_errors=True)
        raise StartupError("rest_listen", listen, error.strerror or str(error), EXIT_RUNTIME) from None
    host = listen.rsplit(":", 1)[0]
    log.info(
        "didmeta REST gateway listening",
        extra={"address": f"{host}:{port}", "openapi": "/openapi.json", "page": "/", "tls": settings.tls is not None},
    )
    return RunningRest(gateway, socket, port)
