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


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING, GOAWAY = 0, 1, 4, 6, 7


def _frame(kind: int, flags: int = 0, stream: int = 0, payload: bytes = b"") -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def _literal(name: str, value: str) -> bytes:
    """An HPACK header field: literal, not indexed, plain (no Huffman) name and value."""
    return b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()


def http2_frames(
    address: str, seconds: float, *, watch: bool = False, answer_pings: bool = False
) -> list[tuple[float, int | str]]:
    """Open an HTTP/2 connection by hand (preface, SETTINGS and its ACK) and record, with their times, the
    frame types the server sends for `seconds`, and `eof` when it closes the connection. With `watch`, a
    health Watch call stays open on stream 1; with `answer_pings`, every PING is acknowledged."""
    host, port = address.rsplit(":", 1)
    seen: list[tuple[float, int | str]] = []
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        opening = PREFACE + _frame(SETTINGS)
        if watch:
            headers = [
                (":method", "POST"),
                (":scheme", "http"),
                (":path", "/grpc.health.v1.Health/Watch"),
                (":authority", address),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
            ]
            block = b"".join(_literal(name, value) for name, value in headers)
            empty_request = b"\x00\x00\x00\x00\x00"  # not compressed, 0 bytes: HealthCheckRequest()
            opening += _frame(HEADERS, flags=0x4, stream=1, payload=block) + _frame(DATA, 0x1, 1, empty_request)
        sock.sendall(opening)
        start, buffer = time.monotonic(), b""
        while (left := seconds - (time.monotonic() - start)) > 0:
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                data = b""
            if not data:
                seen.append((time.monotonic() - start, "eof"))
                break
            buffer += data
            while len(buffer) >= 9 and len(buffer) >= 9 + (size := int.from_bytes(buffer[:3], "big")):
                kind, flags, payload = buffer[3], buffer[4], buffer[9 : 9 + size]
                buffer = buffer[9 + size :]
                seen.append((time.monotonic() - start, kind))
                if kind == SETTINGS and not flags & 1:
                    sock.sendall(_frame(SETTINGS, flags=1))
                if kind == PING and not flags & 1 and answer_pings:
                    sock.sendall(_frame(PING, flags=1, payload=payload))
    return seen


def test_a_connection_without_calls_gets_goaway_after_the_idle_time(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    """`max_connection_idle_seconds`: a connection that carries no call is sent GOAWAY and closed."""
    server = start_server(
        {"database": make_catalogue_url("sqlite"), "log_format": "text", "max_connection_idle_seconds": 1}
    )
    seen = http2_frames(server.address, 10)
    goaway = [at for at, kind in seen if kind == GOAWAY]
    assert goaway and 0.8 <= goaway[0] <= 5, seen
    assert seen[-1][1] == "eof", seen


def test_a_peer_that_stops_answering_pings_is_dropped_after_the_keepalive_timeout(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    """`keepalive_time_seconds` / `keepalive_timeout_seconds`: with a call open, the server pings a quiet
    connection; a peer that answers stays, one that does not is closed after the timeout (not gRPC's
    default ping timeout of a minute)."""
    server = start_server(
        {
            "database": make_catalogue_url("sqlite"),
            "log_format": "text",
            "keepalive_time_seconds": 1,
            "keepalive_timeout_seconds": 1,
        }
    )
    answering = http2_frames(server.address, 4.5, watch=True, answer_pings=True)
    assert sum(kind == PING for _, kind in answering) >= 3, answering
    assert all(kind not in (GOAWAY, "eof") for _, kind in answering), answering
    silent = http2_frames(server.address, 15, watch=True)
    closed = [at for at, kind in silent if kind == "eof"]
    assert closed and closed[0] <= 6, silent
    assert any(kind == GOAWAY for _, kind in silent), silent


def _connectivity_while_pinging(address: str, seconds: float) -> list[grpc.ChannelConnectivity]:
    """The states a client channel goes through while it only sends keepalive pings, every second."""
    options = [
        ("grpc.keepalive_time_ms", 1000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    states: list[grpc.ChannelConnectivity] = []
    with grpc.insecure_channel(address, options=options) as channel:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        channel.subscribe(states.append)
        time.sleep(seconds)
        channel.unsubscribe(states.append)
    return states


def test_client_keepalive_pings_are_accepted_down_to_the_configured_interval(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    """`keepalive_min_client_ping_seconds`: a client pinging an idle connection every second keeps it when
    the server accepts pings that often; a server that does not sends GOAWAY (too_many_pings), which a
    client sees as its channel leaving READY."""
    database = make_catalogue_url("sqlite")
    accepting = start_server({"database": database, "log_format": "text", "keepalive_min_client_ping_seconds": 0.5})
    states = _connectivity_while_pinging(accepting.address, 6)
    assert states and set(states) == {grpc.ChannelConnectivity.READY}, states
    strict = start_server({"database": database, "log_format": "text", "keepalive_min_client_ping_seconds": 60})
    states = _connectivity_while_pinging(strict.address, 6)
    assert grpc.ChannelConnectivity.IDLE in states, f"the strict server sent no GOAWAY: {states}"
