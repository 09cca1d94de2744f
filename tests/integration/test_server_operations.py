"""Operating the server: health, reflection, graceful SIGTERM, cancelled and expired streams, resume across restarts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from sqlalchemy import text

from didmeta.client import Client, DidmetaError, NewDid
from didmeta.v1 import metadata_service_pb2, metadata_service_pb2_grpc
from tests.support.checks import engine_for, expect_error, free_port
from tests.support.server import ServerProcess

BIG = 20_000
PAD = "x" * 100


def load_big(client: Client, scope: str, count: int = BIG) -> list[str]:
    client.add_scope(scope)
    for start in range(0, count, 5000):
        client.add_dids(
            [
                NewDid(f"{scope}:d{i:06d}", "dataset", metadata={"pad": PAD, "i": i})
                for i in range(start, min(start + 5000, count))
            ]
        )
    return [f"d{i:06d}" for i in range(count)]


def long_request(scope: str, batch_size: int = 200) -> metadata_service_pb2.ListDidsRequest:
    return metadata_service_pb2.ListDidsRequest(
        scope=scope, long=True, metadata_keys=["pad", "i"], batch_size=batch_size
    )


# --- health and reflection ----------------------------------------------------------------------------------
def test_health_check_is_serving(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "didmeta.v1.DidService", "didmeta.v1.MetadataService"):
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert response.status == health_pb2.HealthCheckResponse.SERVING, service
        with pytest.raises(grpc.RpcError) as info:
            stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=10)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_and_describes_the_services(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = set(database.get_services())
        assert {"didmeta.v1.DidService", "didmeta.v1.MetadataService"} <= services
        assert "grpc.health.v1.Health" in services
        pool = DescriptorPool(database)
        metadata_service = pool.FindServiceByName("didmeta.v1.MetadataService")
        list_dids = metadata_service.methods_by_name["ListDids"]
        assert list_dids.output_type.full_name == "didmeta.v1.ListDidsResponse"
        did_service = pool.FindServiceByName("didmeta.v1.DidService")
        assert "AttachDids" in did_service.methods_by_name


# --- graceful shutdown ---------------------------------------------------------------------------------------
def test_sigterm_drains_an_in_flight_listing_then_exits_zero(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text", "grace_seconds": 20})
    with server.client(timeout=120) as client:
        expected = load_big(client, "drain")
    channel = grpc.insecure_channel(server.address)
    try:
        stream: Any = metadata_service_pb2_grpc.MetadataServiceStub(channel).ListDids(long_request("drain"), timeout=60)
        names = list(next(stream).batch.names)
        assert server.process is not None
        server.process.send_signal(15)  # SIGTERM while the stream is in flight
        signalled = time.monotonic()
        for response in stream:
            names.extend(response.batch.names)
            time.sleep(0.005)  # a slow reader: the stream is still being drained
        assert names == expected
        # no new calls once draining: the listening socket is closed or the call is refused
        rc = server.process.wait(30)
        assert rc == 0, server.log_tail()
        assert time.monotonic() - signalled < 25
    finally:
        channel.close()


def test_sigterm_on_an_idle_server_exits_zero_quickly(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text", "grace_seconds": 20})
    started = time.monotonic()
    assert server.terminate() == 0
    assert time.monotonic() - started < 10


# --- cancelled and expired listings --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_server(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> Iterator[tuple[ServerProcess, list[str]]]:
    server = start_server({"database": make_catalogue_url(catalogue_kind), "log_format": "text"})
    with server.client(timeout=300) as client:
        expected = load_big(client, "big")
    yield server, expected


def answers_quickly(server: ServerProcess, limit: float = 5.0) -> float:
    with server.client(timeout=30) as client:
        started = time.monotonic()
        assert client.count_dids("big") == BIG
        assert client.get_did("big:d000001").name == "d000001"
        assert list(client.list_dids("big", limit=3)) == ["big:d000000", "big:d000001", "big:d000002"]
        elapsed = time.monotonic() - started
    assert elapsed < limit, f"the server took {elapsed:.1f}s to answer after abandoned streams"
    return elapsed


def no_query_left_running(server: ServerProcess) -> None:
    """PostgreSQL: after a moment, no statement of the listing is still active in the catalogue database."""
    url = str(server.settings["database"])
    if not url.startswith("postgresql"):
        return
    engine = engine_for(server)
    try:
        deadline = time.monotonic() + 10
        while True:
            with engine.connect() as conn:
                active = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state = 'active'"
                    )
                ).scalar_one()
                open_connections = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                    )
                ).scalar_one()
            if active == 0 and open_connections == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{active} statements still active, {open_connections} transactions left open")
            time.sleep(0.2)
    finally:
        engine.dispose()


def test_cancelled_listings_do_not_leave_the_server_busy(big_server: tuple[ServerProcess, list[str]]) -> None:
    server, _ = big_server
    channel = grpc.insecure_channel(server.address)
    try:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        for _ in range(30):  # more than the worker threads and the connection pool
            call: Any = stub.ListDids(long_request("big", batch_size=50), timeout=60)
            next(call)
            call.cancel()
            with pytest.raises(grpc.RpcError) as info:
                list(call)
            assert info.value.code() == grpc.StatusCode.CANCELLED
    finally:
        channel.close()
    answers_quickly(server)
    no_query_left_running(server)


def test_expired_listings_do_not_leave_the_server_busy(big_server: tuple[ServerProcess, list[str]]) -> None:
    server, _ = big_server
    with server.client(timeout=30, resume_attempts=0) as client:
        for _ in range(12):
            with pytest.raises(DidmetaError) as info:
                for _batch in client.list_dids_batches(
                    "big", long=True, metadata_keys=["pad"], batch_size=50, timeout=0.5
                ):
                    time.sleep(0.05)  # slower than the deadline allows for 20 000 DIDs
            assert info.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    answers_quickly(server)
    no_query_left_running(server)


def test_abandoned_iterators_do_not_leave_the_server_busy(big_server: tuple[ServerProcess, list[str]]) -> None:
    server, _ = big_server
    for _ in range(20):
        with server.client(timeout=30) as client:
            iterator: Any = client.list_dids_batches("big", batch_size=100)
            next(iterator)
            iterator.close()  # the client stops reading and closes its channel
    answers_quickly(server)
    no_query_left_running(server)


def test_a_complete_big_listing_still_works(big_server: tuple[ServerProcess, list[str]]) -> None:
    server, expected = big_server
    with server.client(timeout=120) as client:
        rows = list(client.list_dids_long("big", metadata_keys=["i"], batch_size=3000))
    assert [r.name for r in rows] == expected
    assert all(r.metadata == {"i": n} for n, r in enumerate(rows))


# --- resume across a restart -----------------------------------------------------------------------------------
def test_interrupted_stream_resumes_when_the_server_restarts_on_the_same_port(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {
            "database": make_catalogue_url(catalogue_kind),
            "log_format": "text",
            "listen": f"127.0.0.1:{free_port()}",
            "grace_seconds": 0,
        }
    )
    with server.client(timeout=120, resume_attempts=8) as client:
        expected = load_big(client, "resume")
        calls: list[metadata_service_pb2.ListDidsRequest] = []
        original = client._meta.ListDids

        def counting(request: metadata_service_pb2.ListDidsRequest, **kwargs: Any) -> Any:
            copy = metadata_service_pb2.ListDidsRequest()
            copy.CopyFrom(request)
            calls.append(copy)
            return original(request, **kwargs)

        client._meta.ListDids = counting  # type: ignore[assignment]
        names: list[str] = []
        restarted = threading.Event()
        for index, response in enumerate(
            client.list_dids_batches("resume", long=True, metadata_keys=["pad", "i"], batch_size=500)
        ):
            names.extend(response.batch.names)
            if index == 1:
                assert server.terminate() == 0
                server.start()
                restarted.set()
            time.sleep(0.01)
    assert restarted.is_set()
    assert len(calls) >= 2, "the stream was not interrupted: nothing was resumed"
    assert calls[1].page_token, "the resumed call must carry the last resume token"
    assert len(names) == len(set(names)), "DIDs were repeated"
    assert names == expected, "DIDs were lost or out of order"


def test_client_gives_up_when_the_server_does_not_come_back(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {
            "database": make_catalogue_url("sqlite"),
            "log_format": "text",
            "listen": f"127.0.0.1:{free_port()}",
            "grace_seconds": 0,
        }
    )
    with server.client(timeout=60, resume_attempts=2) as client:
        load_big(client, "gone", 5000)
        started = time.monotonic()
        with pytest.raises(DidmetaError) as info:
            for index, _response in enumerate(
                client.list_dids_batches("gone", long=True, metadata_keys=["pad"], batch_size=100)
            ):
                if index == 1:
                    server.terminate()
                time.sleep(0.01)
        assert info.value.code == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() - started < 30


def test_the_resume_loop_never_outlives_the_deadline_of_the_call(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {
            "database": make_catalogue_url("sqlite"),
            "log_format": "text",
            "listen": f"127.0.0.1:{free_port()}",
            "grace_seconds": 0,
        }
    )
    with server.client(timeout=30) as loader:
        load_big(loader, "deadline", 5000)
    # Ten resumes would pause 0.4 + 0.8 + 1.6 + 3.2 + 5 x 6 s: the 4 s deadline must cut them short.
    with server.client(timeout=4, resume_attempts=10) as client:
        started = time.monotonic()
        with pytest.raises(DidmetaError) as info:
            for index, _response in enumerate(
                client.list_dids_batches("deadline", long=True, metadata_keys=["pad"], batch_size=100)
            ):
                if index == 1:
                    server.terminate()
                time.sleep(0.01)
        elapsed = time.monotonic() - started
    assert info.value.code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE), info.value
    assert elapsed < 4 + 1.5, f"the listing went on for {elapsed:.1f} s after a 4 s deadline"


def test_a_listing_of_a_server_that_never_answered_is_not_resumed(start_server: Callable[..., ServerProcess]) -> None:
    address = f"127.0.0.1:{free_port()}"
    with Client(address, timeout=30, resume_attempts=5) as client:
        started = time.monotonic()
        error = expect_error(
            lambda: client.list_dids("x"), grpc.StatusCode.UNAVAILABLE, reason="SERVER_UNREACHABLE", mentions=(address,)
        )
        elapsed = time.monotonic() - started
    assert "the didmeta server at" in error.message and "unreachable" in error.message
    assert elapsed < 3, f"{elapsed:.1f} s of silent retries before failing"


# --- defaults and configuration of a real process ---------------------------------------------------------------
def test_unconfigured_server_uses_the_embedded_sqlite_with_did_column_and_json(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server({"log_format": "text"})  # only `listen` is configured
    with server.client(timeout=30) as client:
        assert [p.name for p in client.list_plugins()] == ["DID_COLUMN", "JSON"]
        client.add_scope("embedded")
        client.add_did("embedded:d", "dataset")
        client.set_metadata("embedded:d", {"free_key": 1})
        assert client.get_metadata("embedded:d", "JSON") == {"free_key": 1}
    assert (server.directory / "didmeta.db").is_file()
    assert "authentication is off" in server.log_path.read_text()


def test_a_key_nobody_manages_fails_the_whole_request(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {
            "database": make_catalogue_url("sqlite"),
            "log_format": "text",
            "plugin_options": {"JSON": {"keys": ["colour", "size"]}},
        }
    )
    with server.client(timeout=30) as client:
        plugins = client.list_plugins()
        assert plugins[1].managed_keys == ("colour", "size")
        client.add_scope("own")
        client.add_did("own:d", "dataset")
        error = expect_error(
            lambda: client.set_metadata("own:d", {"colour": "red", "run_number": 1, "shape": "round"}),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert error.reason == "UNMANAGED_KEY" and "shape" in error.message
        assert client.get_metadata("own:d", "ALL").get("colour") is None
        assert "run_number" not in client.get_metadata("own:d")
        client.set_metadata("own:d", {"colour": "red", "run_number": 1})
        assert client.get_metadata("own:d", "JSON") == {"colour": "red"}
