"""Two didmeta servers on one PostgreSQL behave as one service (issue 18, stateless replicas).

A client balances over both with gRPC's client-side `round_robin`; a listing started on one server
continues on the other from its resume token (tokens hold no server-local state); the client keeps
working when one server drains or dies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from didmeta.client import Client, DidmetaError, LoadChunk, NewDid
from didmeta.server.status import SERVER_PID_TRAILER
from didmeta.v1 import did_service_pb2, did_service_pb2_grpc
from tests.support.checks import free_port, wait_until
from tests.support.server import ServerProcess

DIDS = 1500
#: gRPC's client-side load balancing with client-side health checking (a server that reports NOT_SERVING,
#: as a draining one does, gets no new calls), and quick reconnects so a test need not wait for backoff.
SERVICE_CONFIG = '{"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}'
BALANCED = [
    ("grpc.service_config", SERVICE_CONFIG),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]


def balanced_target(*addresses: str) -> str:
    """One gRPC target naming several servers (the `ipv4:` resolver takes a comma-separated list)."""
    return "ipv4:" + ",".join(addresses)


@pytest.fixture()
def settings(make_catalogue_url: Callable[[str], str]) -> dict[str, Any]:
    """Settings for servers sharing one brand-new PostgreSQL catalogue."""
    return {"database": make_catalogue_url("postgresql"), "log_format": "text", "shutdown_notice_seconds": 1.0}


@pytest.fixture()
def servers(settings: dict[str, Any], tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started = [ServerProcess(tmp_path / f"server{i}", settings).start() for i in range(2)]
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def fill(address: str, scope: str, padding: int = 0) -> list[str]:
    """`DIDS` files in `scope` with a JSON key on every third; the full listing, in order.

    `padding` lengthens the names, so that a listing is larger than what the transport buffers."""
    with Client(address, timeout=120) as client:
        client.add_scope(scope)
        dids = [
            NewDid(f"{scope}:f{i:05d}{'x' * padding}", "file", bytes=i, metadata={"tier": "gold"} if i % 3 == 0 else {})
            for i in range(DIDS)
        ]
        client.load([LoadChunk(dids=dids)])
        return list(client.list_dids(scope, type="all"))


def count_calls(client: Client, method: str) -> list[None]:
    """A spy on one of the client's stub methods: one entry per call it makes (the real call still runs)."""
    stub = client._meta  # the test looks under the client to count its resumes
    real = getattr(stub, method)
    calls: list[None] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(None)
        return real(*args, **kwargs)

    setattr(stub, method, counted)
    return calls


def answering_pid(stub: did_service_pb2_grpc.DidServiceStub) -> int:
    _, call = stub.ListScopes.with_call(did_service_pb2.ListScopesRequest(), timeout=30)
    return int(dict(call.trailing_metadata() or ())[SERVER_PID_TRAILER])


def test_round_robin_spreads_calls_over_both_servers(servers: list[ServerProcess]) -> None:
    target = balanced_target(*(server.address for server in servers))
    with grpc.insecure_channel(target, options=BALANCED) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = did_service_pb2_grpc.DidServiceStub(channel)
        answered = [answering_pid(stub) for _ in range(40)]
    pids = {server.process.pid for server in servers if server.process is not None}
    assert set(answered) == pids
    assert min(answered.count(pid) for pid in pids) >= 10  # balanced, not merely both seen


def test_a_listing_started_on_one_server_resumes_on_the_other_from_its_token(servers: list[ServerProcess]) -> None:
    first, second = servers
    expected = fill(first.address, "rr1")
    wanted = "tier=gold"
    expected_gold = [did for did in expected if int(did.split(":f")[1][:5]) % 3 == 0]

    seen: list[str] = []
    token = ""
    with Client(first.address, timeout=60) as client:
        for number, response in enumerate(client.list_dids_batches("rr1", wanted, type="all", batch_size=100)):
            seen.extend(f"{s}:{n}" for s, n in zip(response.batch.scopes, response.batch.names, strict=True))
            token = response.next_page_token
            if number == 1:
                break
    assert token and 0 < len(seen) < len(expected_gold)
    first.kill()  # no drain: nothing the first server held can matter

    with Client(balanced_target(first.address, second.address), timeout=60, options=BALANCED) as client:
        rest = [
            f"{s}:{n}"
            for response in client.list_dids_batches("rr1", wanted, type="all", batch_size=100, page_token=token)
            for s, n in zip(response.batch.scopes, response.batch.names, strict=True)
        ]
    assert seen + rest == expected_gold


def test_the_client_resumes_a_stream_on_the_other_server_when_its_server_dies(
    servers: list[ServerProcess], settings: dict[str, Any], tmp_path: Path
) -> None:
    """The stream starts on the only live server; a second one comes up, the first dies mid-stream."""
    first, spare = servers
    spare.stop()  # only `first` is up when the stream starts
    expected = fill(first.address, "rr2", padding=200)
    later_port = free_port()
    later = ServerProcess(tmp_path / "later", settings)
    received: list[str] = []
    try:
        target = balanced_target(first.address, f"127.0.0.1:{later_port}")
        # Without BDP probing the receive window stays 64 KiB: most of the ~300 KiB listing is still on the
        # server when it dies, so the rest must come from the other one.
        with Client(target, timeout=120, options=[*BALANCED, ("grpc.http2.bdp_probe", 0)]) as client:
            opened = count_calls(client, "ListDids")
            for response in client.list_dids_batches("rr2", type="all", batch_size=50):
                received.extend(f"{s}:{n}" for s, n in zip(response.batch.scopes, response.batch.names, strict=True))
                if first.process is not None and first.process.poll() is None and len(received) >= 200:
                    later.start(listen=f"127.0.0.1:{later_port}")
                    first.kill()
        assert first.process is not None and first.process.poll() is not None
        assert len(opened) >= 2  # the stream, then resumes until the other server answered
    finally:
        later.stop()
    assert received == expected  # every DID exactly once, in order, across two servers


def test_no_call_fails_while_one_of_two_servers_drains(servers: list[ServerProcess]) -> None:
    fill(servers[0].address, "rr3")
    failures: list[DidmetaError] = []
    calls = [0, 0]  # before and after the drain began
    draining = threading.Event()
    stop = threading.Event()

    def call_repeatedly() -> None:
        target = balanced_target(*(server.address for server in servers))
        with Client(target, timeout=30, options=BALANCED) as client:
            while not stop.is_set():
                try:
                    assert client.get_metadata("rr3:f00003", plugin="JSON") == {"tier": "gold"}
                    calls[draining.is_set()] += 1
                except DidmetaError as error:
                    failures.append(error)

    workers = [threading.Thread(target=call_repeatedly) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: calls[0] >= 20, "calls before the drain")
        draining.set()
        assert servers[0].terminate() == 0
        wait_until(lambda: calls[1] >= 20, "calls after the drain")
    finally:
        stop.set()
        for worker in workers:
            worker.join(60)
    assert not failures, [f"{type(error).__name__}: {error}" for error in failures[:3]]
