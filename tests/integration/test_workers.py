"""`didmeta serve --workers N` (issue 13): N real server processes on one port under a supervisor.

Each call's `didmeta-server-pid` trailer names the process that answered it; the tests use it to see
calls served by several workers, and /proc to see the supervisor's children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from didmeta.client import NewDid
from didmeta.server.config import load_settings
from didmeta.server.status import SERVER_PID_TRAILER
from didmeta.v1 import did_service_pb2, did_service_pb2_grpc, metadata_service_pb2, metadata_service_pb2_grpc
from tests.integration.test_startup import one_clear_line, serve
from tests.support.checks import wait_until
from tests.support.server import ServerProcess

#: A connection of its own per channel (grpc otherwise shares one between channels to the same address).
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]


def children(pid: int) -> set[int]:
    """Live (not zombie) child processes of `pid`, from /proc."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, parent = fields[0], int(fields[1])
        if parent == pid and state != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def serving_pid(address: str) -> int:
    """One call on a new connection; the PID in its trailer."""
    with grpc.insecure_channel(address, options=OWN_CONNECTION) as channel:
        stub = did_service_pb2_grpc.DidServiceStub(channel)
        _, call = stub.ListScopes.with_call(did_service_pb2.ListScopesRequest(), timeout=30)
        trailers = dict(call.trailing_metadata() or ())
    return int(trailers[SERVER_PID_TRAILER])


def pids_serving(address: str, want: int, attempts: int = 200) -> set[int]:
    """Open new connections until `want` different processes have answered (or `attempts` run out)."""
    seen: set[int] = set()
    for _ in range(attempts):
        seen.add(serving_pid(address))
        if len(seen) >= want:
            break
    return seen


@pytest.fixture()
def start_workers(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], tmp_path: Path
) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(workers: int = 2, **settings: Any) -> ServerProcess:
        server = ServerProcess(
            tmp_path / f"server{len(started)}",
            {"database": make_catalogue_url(catalogue_kind), "log_format": "text", **settings},
            extra_args=["--workers", str(workers)],
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def test_two_workers_serve_calls_from_two_processes(start_workers: Callable[..., ServerProcess]) -> None:
    server = start_workers(2)
    assert server.process is not None
    workers = children(server.process.pid)
    assert len(workers) == 2, server.log_tail()
    assert pids_serving(server.address, 2) == workers
    # writes through either process land in the one catalogue
    names = [f"w{i}" for i in range(12)]
    for name in names:
        with grpc.insecure_channel(server.address) as channel:
            did_service_pb2_grpc.DidServiceStub(channel).AddScope(
                did_service_pb2.AddScopeRequest(scope=name), timeout=30
            )
    with server.client(timeout=30) as client:
        client.add_dids([NewDid(f"w0:d{i}", "dataset", metadata={"i": i}) for i in range(50)])
        assert {s.name for s in client.list_scopes("w*")} >= set(names)
        assert client.count_dids("w0", "i >= 25") == 25
    log = server.log_path.read_text()
    for pid in workers:
        assert f"{pid}" in log, "each worker's PID is logged"
    assert server.terminate() == 0, server.log_tail()
    wait_until(lambda: not any(alive(pid) for pid in workers), "the workers to end")


def test_a_killed_worker_is_replaced_and_the_service_keeps_answering(
    start_workers: Callable[..., ServerProcess],
) -> None:
    server = start_workers(2)
    assert server.process is not None
    supervisor = server.process.pid
    before = children(supervisor)
    assert len(before) == 2
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    seen: dict[str, set[int]] = {}

    def replaced() -> bool:
        """Two workers, the victim gone, and the same two a moment later (not a process passing by)."""
        first = children(supervisor)
        time.sleep(0.2)
        seen["after"] = children(supervisor)
        return first == seen["after"] and len(first) == 2 and victim not in first

    wait_until(replaced, "a replacement worker")
    after = seen["after"]
    (replacement,) = after - before
    # the replacement serves (it was started on the same port) and every new connection is answered
    wait_until(lambda: replacement in pids_serving(server.address, 2, attempts=20), "the replacement to serve")
    with server.client(timeout=30) as client:
        client.add_scope("afterkill")
        assert [s.name for s in client.list_scopes("afterkill")] == ["afterkill"]
    for _ in range(20):
        assert serving_pid(server.address) in after
    assert "replacing it" in server.log_path.read_text()
    assert server.terminate() == 0, server.log_tail()
    assert not any(alive(pid) for pid in after)


def test_sigterm_drains_an_in_flight_stream_on_every_worker(start_workers: Callable[..., ServerProcess]) -> None:
    server = start_workers(2, grace_seconds=20)
    assert server.process is not None
    workers = children(server.process.pid)
    with server.client(timeout=120) as client:
        client.add_scope("drain")
        client.add_dids([NewDid(f"drain:d{i:05d}", "dataset", metadata={"pad": "x" * 100}) for i in range(4000)])
    expected = [f"d{i:05d}" for i in range(4000)]
    # one listing in flight on each worker (new connections until both have one)
    streams: dict[int, tuple[grpc.Channel, Any, list[str]]] = {}
    for _ in range(200):
        if len(streams) == 2:
            break
        channel = grpc.insecure_channel(server.address, options=OWN_CONNECTION)
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        request = metadata_service_pb2.ListDidsRequest(scope="drain", metadata_keys=["pad"], long=True, batch_size=100)
        stream: Any = stub.ListDids(request, timeout=60)
        names = list(next(stream).batch.names)
        pid = serving_pid_of(channel)
        if pid in streams:
            stream.cancel()
            channel.close()
            continue
        streams[pid] = (channel, stream, names)
    assert set(streams) == workers
    server.process.send_signal(signal.SIGTERM)
    try:
        for _, stream, names in streams.values():
            for response in stream:
                names.extend(response.batch.names)
                time.sleep(0.002)  # a slow reader
            assert names == expected
            assert dict(stream.trailing_metadata())[SERVER_PID_TRAILER]
    finally:
        for channel, _, _ in streams.values():
            channel.close()
    assert server.process.wait(40) == 0, server.log_tail()
    assert not any(alive(pid) for pid in workers), "orphan workers after the supervisor exited"


@pytest.mark.parametrize("catalogue_kind", ["sqlite"])
def test_a_killed_supervisor_leaves_no_worker_serving(start_workers: Callable[..., ServerProcess]) -> None:
    server = start_workers(2, grace_seconds=5)
    assert server.process is not None
    workers = children(server.process.pid)
    assert len(workers) == 2
    server.process.kill()
    server.process.wait(10)
    try:
        wait_until(lambda: not any(alive(pid) for pid in workers), "the orphaned workers to drain and exit", timeout=30)
    finally:  # do not leave them behind when the test fails
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def serving_pid_of(channel: grpc.Channel) -> int:
    """The PID behind an open channel (its one connection): a unary call on it."""
    stub = did_service_pb2_grpc.DidServiceStub(channel)
    _, call = stub.ListScopes.with_call(did_service_pb2.ListScopesRequest(), timeout=30)
    return int(dict(call.trailing_metadata() or ())[SERVER_PID_TRAILER])


def test_one_worker_answers_with_its_pid_too(server: ServerProcess) -> None:
    assert server.process is not None
    assert serving_pid(server.address) == server.process.pid, "workers = 1 is the process itself, no supervisor"


def test_a_worker_that_cannot_start_fails_the_start_on_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    result = serve(tmp_path, ["--listen", "127.0.0.1:0", "--database", url, "--workers", "2"])
    one_clear_line(result, 2, "database", url)


def test_workers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("DIDMETA_")]:
        monkeypatch.delenv(name)
    assert load_settings().workers == 1
    assert load_settings(workers="auto").workers == len(os.sched_getaffinity(0))
    assert load_settings(workers="3").workers == 3
    monkeypatch.setenv("DIDMETA_WORKERS", "auto")
    assert load_settings().workers == len(os.sched_getaffinity(0))
    with pytest.raises(ValueError, match="workers"):
        load_settings(workers=0)
    with pytest.raises(ValueError, match="flight_listen needs workers = 1"):
        load_settings(workers=2, flight_listen="127.0.0.1:0")


def test_client_sees_the_trailer_on_errors(start_workers: Callable[..., ServerProcess]) -> None:
    server = start_workers(2)
    with grpc.insecure_channel(server.address) as channel:
        stub = did_service_pb2_grpc.DidServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.AddScope(did_service_pb2.AddScopeRequest(scope="bad scope!"), timeout=30)
    error: Any = info.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert int(dict(error.trailing_metadata())[SERVER_PID_TRAILER]) in children(server.process.pid)  # type: ignore[union-attr]
