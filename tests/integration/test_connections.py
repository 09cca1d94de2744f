"""Issue 11: shutdown says NOT_SERVING before it drains; idle and half-open connections are bounded."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.server import ServerProcess


def test_sigterm_turns_health_not_serving_before_the_port_closes(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {
            "database": make_catalogue_url("sqlite"),
            "log_format": "text",
            "grace_seconds": 5,
            "shutdown_notice_seconds": 2,
        }
    )
    with grpc.insecure_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service="didmeta.v1.MetadataService")
        assert health.Check(request, timeout=5).status == health_pb2.HealthCheckResponse.SERVING
        assert server.process is not None
        server.process.send_signal(15)
        signalled = time.monotonic()
        statuses = []
        while time.monotonic() - signalled < 1.5:
            statuses.append(health.Check(request, timeout=5).status)  # answered, not UNAVAILABLE
            time.sleep(0.05)
        assert statuses and statuses[-1] == health_pb2.HealthCheckResponse.NOT_SERVING
        assert statuses.count(health_pb2.HealthCheckResponse.SERVING) <= 2  # only before the signal lands
    assert server.process.wait(30) == 0


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the peer closes the socket within `seconds` (whatever it sends first, e.g. its SETTINGS)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            if sock.recv(4096) == b"":
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
    return False


def test_a_connection_that_never_handshakes_is_closed(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {"database": make_catalogue_url("sqlite"), "log_format": "text", "handshake_timeout_seconds": 1}
    )
    host, port = server.address.rsplit(":", 1)
    silent = [socket.create_connection((host, int(port)), timeout=10) for _ in range(20)]
    try:
        time.sleep(2)
        for sock in silent:
            assert closed_within(sock, 5.0), "a connection without a handshake is still open"
    finally:
        for sock in silent:
            sock.close()
    with server.client(timeout=10) as client:  # the server still serves
        client.add_scope("alive")
