"""Two didmeta servers behind a real L7 gRPC proxy (Debian's nginx, deploy/proxy/nginx-grpc.conf).

- A long ListDids stream survives through the proxy, also past the servers' max_connection_age.
- New calls are spread over both servers, including a server that joins later (scale-out), while
  max_connection_age recycles the proxy's pooled upstream connections; no call fails.
- A server stopped with SIGTERM drains: calls keep succeeding, the others take over.
- When no replica can take a call, nginx answers UNAVAILABLE trailers-only, so clients retry reads.
The `didmeta-server-pid` trailer of every call names the server that answered it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from didmeta.client import NewDid
from didmeta.client.retries import with_read_retries
from didmeta.server.status import SERVER_PID_TRAILER
from didmeta.v1 import did_service_pb2, did_service_pb2_grpc, metadata_service_pb2_grpc
from didmeta.v1 import metadata_service_pb2 as pb
from tests.mesh.proxy import Nginx
from tests.support.checks import free_port
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess

AGE_S = 2.0
SERVER_SETTINGS: dict[str, Any] = {
    "log_format": "text",
    "max_connection_age_seconds": AGE_S,
    "grace_seconds": 15.0,
    "shutdown_notice_seconds": 1.0,
}


@pytest.fixture()
def start_proxy(tmp_path: Path) -> Iterator[Callable[[list[str]], Nginx]]:
    started: list[Nginx] = []

    def start(upstreams: list[str]) -> Nginx:
        proxy = Nginx(tmp_path / f"nginx{len(started)}", upstreams)
        started.append(proxy)
        return proxy.start()

    yield start
    for proxy in started:
        proxy.stop()


def pid_of(call: Any) -> int:
    return int(dict(call.trailing_metadata() or ())[SERVER_PID_TRAILER])


def unary_pid(channel: grpc.Channel) -> int:
    """One ListScopes call; the PID of the server that answered."""
    _, call = did_service_pb2_grpc.DidServiceStub(channel).ListScopes.with_call(
        did_service_pb2.ListScopesRequest(), timeout=30
    )
    return pid_of(call)


def pid(server: ServerProcess) -> int:
    assert server.process is not None
    return server.process.pid


def test_a_long_stream_survives_through_the_proxy(
    start_server: Callable[..., ServerProcess], start_proxy: Callable[[list[str]], Nginx], tmp_path: Path
) -> None:
    database = new_sqlite_database(tmp_path)
    servers = [start_server({"database": database, **SERVER_SETTINGS}) for _ in range(2)]
    proxy = start_proxy([s.address for s in servers])
    with servers[0].client(timeout=60) as client:
        client.add_scope("long")
        client.add_dids([NewDid(f"long:d{i:05}", "dataset") for i in range(20_000)])
    with grpc.insecure_channel(proxy.address) as channel:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        listing: Any = stub.ListDids(pb.ListDidsRequest(scope="long", batch_size=500), timeout=60)
        names: list[str] = []
        started = time.monotonic()
        for response in listing:  # read slowly: the stream outlives the upstream connection's age
            names.extend(response.batch.names)
            time.sleep(0.1)
        lasted = time.monotonic() - started
        assert pid_of(listing) in {pid(s) for s in servers}
    assert lasted > AGE_S * 1.5, "the stream lasted past max_connection_age"
    assert names == [f"d{i:05}" for i in range(20_000)], "every DID, in order, once"


def test_new_calls_are_spread_over_both_servers_and_a_new_one(
    start_server: Callable[..., ServerProcess], start_proxy: Callable[[list[str]], Nginx], tmp_path: Path
) -> None:
    database = new_sqlite_database(tmp_path)
    first = start_server({"database": database, **SERVER_SETTINGS})
    later_port = free_port()
    proxy = start_proxy([first.address, f"127.0.0.1:{later_port}"])  # the second replica is not up yet
    with grpc.insecure_channel(proxy.address) as channel:  # one client connection throughout
        before = Counter(unary_pid(channel) for _ in range(10))
        assert before == Counter({pid(first): 10}), "calls to a replica that is down went to the other one"
        second = start_server({"database": database, **SERVER_SETTINGS, "listen": f"127.0.0.1:{later_port}"})
        after: Counter[int] = Counter()
        deadline = time.monotonic() + 3 * AGE_S + 3  # across several connection ages and nginx's fail_timeout
        while time.monotonic() < deadline:
            after[unary_pid(channel)] += 1
            time.sleep(0.05)
    assert set(after) == {pid(first), pid(second)}, after
    assert min(after.values()) > sum(after.values()) / 4, f"balanced, not pinned: {after}"


def test_a_server_stopped_with_sigterm_drains_without_failed_calls(
    start_server: Callable[..., ServerProcess], start_proxy: Callable[[list[str]], Nginx], tmp_path: Path
) -> None:
    database = new_sqlite_database(tmp_path)
    servers = [start_server({"database": database, **SERVER_SETTINGS}) for _ in range(2)]
    stopping, staying = servers
    proxy = start_proxy([s.address for s in servers])
    with stopping.client(timeout=60) as client:
        client.add_scope("drain")
        client.add_dids([NewDid(f"drain:d{i:04}", "dataset") for i in range(5000)])

    answered: list[tuple[float, int]] = []
    failures: list[str] = []
    listings: list[int] = []
    done = threading.Event()

    # Now and then nginx forwards a call on a pooled connection at the instant the stopping server closes
    # it; the server never saw the call, and nginx's grpc module does not retry it. The example config
    # answers it as a trailers-only UNAVAILABLE, which didmeta's client retries for reads; these channels
    # do the same (tested alone in test_when_no_replica_answers_reads_are_retried_and_writes_are_not).
    options = with_read_retries()

    def unary_load() -> None:
        with grpc.insecure_channel(proxy.address, options=options) as channel:
            while not done.is_set():
                try:
                    answered.append((time.monotonic(), unary_pid(channel)))
                except grpc.RpcError as error:
                    failures.append(f"unary: {error.code().name} {error.details()}")
                time.sleep(0.02)

    def stream_load() -> None:
        with grpc.insecure_channel(proxy.address, options=options) as channel:
            stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
            while not done.is_set():
                try:
                    count = 0
                    for response in stub.ListDids(pb.ListDidsRequest(scope="drain", batch_size=250), timeout=60):
                        count += len(response.batch.names)
                        time.sleep(0.01)
                    listings.append(count)
                except grpc.RpcError as error:
                    failures.append(f"ListDids: {error.code().name} {error.details()}")

    threads = [
        threading.Thread(target=unary_load),
        threading.Thread(target=unary_load),
        threading.Thread(target=stream_load),
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2.0)
        assert stopping.terminate(timeout=60) == 0, stopping.log_tail()
        stopped_at = time.monotonic()
        time.sleep(2.0)
    finally:
        done.set()
        for thread in threads:
            thread.join(60)
    assert not failures, f"{len(failures)} failed calls, e.g. {failures[:3]}\n{proxy.log_tail()}"
    assert {p for _, p in answered} == {pid(stopping), pid(staying)}, "both served before the stop"
    after_stop = [p for t, p in answered if t > stopped_at]
    assert after_stop and set(after_stop) == {pid(staying)}, "after the stop, the other server answers every call"
    assert listings and all(count == 5000 for count in listings), listings


def test_when_no_replica_answers_reads_are_retried_and_writes_are_not(
    start_proxy: Callable[[list[str]], Nginx],
) -> None:
    """nginx's own 502 becomes a trailers-only UNAVAILABLE (deploy/proxy/nginx-grpc.conf), which gRPC's
    retry policy may retry; a plain 502 answer would be final. The access log counts the attempts."""
    proxy = start_proxy([f"127.0.0.1:{free_port()}"])  # nothing listens there
    with grpc.insecure_channel(proxy.address, options=with_read_retries()) as channel:
        stub = did_service_pb2_grpc.DidServiceStub(channel)
        with pytest.raises(grpc.RpcError) as read:
            stub.ListScopes(did_service_pb2.ListScopesRequest(), timeout=30)
        assert read.value.code() == grpc.StatusCode.UNAVAILABLE, read.value.details()
        assert "no didmeta replica" in (read.value.details() or "")
        time.sleep(0.2)  # nginx writes the access log line after the answer
        reads = proxy.requests_logged()
        assert reads == 4, f"a read is tried 4 times (retries.py), nginx saw {reads}"
        with pytest.raises(grpc.RpcError) as write:
            stub.AddScope(did_service_pb2.AddScopeRequest(scope="nope"), timeout=30)
        assert write.value.code() == grpc.StatusCode.UNAVAILABLE
        time.sleep(0.2)
        assert proxy.requests_logged() == reads + 1, "a write is sent once"
