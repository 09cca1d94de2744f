"""The embargo and audit-history RPCs, the client and the CLI against a real server (as the local admin).

Who sees what under an embargo (non-admin callers) is covered per plugin by
tests/conformance/test_embargo.py; here: the RPC surface, errors, and one history case per kind of change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from didmeta.client import Client, InvalidArgument, NotFound
from didmeta.identifiers import DidKey
from didmeta.server.history import History
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import history
from didmeta.v1 import did_service_pb2, did_service_pb2_grpc
from didmeta.wire import did_key_to_wire
from tests.support.server import ServerProcess

DIDMETA = Path(sys.executable).parent / "didmeta"


def test_set_get_clear_embargo_round_trip(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:ds", "dataset")
    assert client.get_embargo(f"{scope}:ds") is None
    until = datetime(2099, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    record = client.set_embargo(f"{scope}:ds", until, recursive=True)
    assert (record.did, record.until, record.recursive, record.account, record.expired) == (
        f"{scope}:ds",
        until,
        True,
        "root",
        False,
    )
    shown = client.get_embargo(f"{scope}:ds")
    assert shown is not None and shown.until == until and shown.recursive
    # Setting again replaces it.
    assert not client.set_embargo(f"{scope}:ds", until + timedelta(days=1)).recursive
    assert client.clear_embargo(f"{scope}:ds") is True
    assert client.get_embargo(f"{scope}:ds") is None
    assert client.clear_embargo(f"{scope}:ds") is False
    # The admin sees an embargoed DID everywhere.
    client.set_embargo(f"{scope}:ds", until)
    assert list(client.list_dids(scope, type="all")) == [f"{scope}:ds"]
    assert client.get_did(f"{scope}:ds").name == "ds"


def test_embargo_errors(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:f", "file")
    with pytest.raises(InvalidArgument) as past:
        client.set_embargo(f"{scope}:f", datetime.now(UTC) - timedelta(seconds=1))
    assert "until" in past.value.message
    with pytest.raises(NotFound):
        client.set_embargo(f"{scope}:missing", datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(NotFound):
        client.get_embargo(f"{scope}:missing")
    # The admin may read the history of DIDs that no longer exist (none here).
    assert list(client.list_history(f"{scope}:missing")) == []
    channel = grpc.insecure_channel(client.target)
    try:
        stub = did_service_pb2_grpc.DidServiceStub(channel)
        with pytest.raises(grpc.RpcError) as no_until:
            stub.SetEmbargo(did_service_pb2.SetEmbargoRequest(did=did_key_to_wire(DidKey(scope, "f"))))
        assert no_until.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "until" in (no_until.value.details() or "")
        far = did_service_pb2.SetEmbargoRequest(did=did_key_to_wire(DidKey(scope, "f")))
        far.until.seconds = 10**12  # beyond year 9999
        with pytest.raises(grpc.RpcError) as out_of_range:
            stub.SetEmbargo(far)
        assert out_of_range.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "until" in (out_of_range.value.details() or "")
        # Worded as for a timestamp metadata value: one check of wire times in the whole service.
        assert "timestamp out of range" in (out_of_range.value.details() or "")
        history = did_service_pb2.ListHistoryRequest(did=did_key_to_wire(DidKey(scope, "f")))
        history.since.nanos = -1
        with pytest.raises(grpc.RpcError) as bad_since:
            list(stub.ListHistory(history))
        assert bad_since.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "since" in (bad_since.value.details() or "")
        assert "timestamp out of range" in (bad_since.value.details() or "")
    finally:
        channel.close()


def _events(client: Client, did: str, **options: object) -> list[tuple[str, str | None, object, object]]:
    return [(e.action, e.key, e.old, e.new) for e in client.list_history(did, **options)]  # type: ignore[arg-type]


def test_history_records_every_kind_of_change(client: Client, scope: str) -> None:
    c, d, f = f"{scope}:c", f"{scope}:d", f"{scope}:f"
    client.add_did(c, "container")
    client.add_did(d, "dataset", metadata={"color": "red"})
    client.add_did(f, "file", bytes=10)
    client.attach(c, [d])
    client.attach(d, [f])
    client.set_metadata(d, {"color": "blue", "run_number": 7})
    client.delete_metadata(d, ["color"])
    client.set_status(d, open=False)
    client.set_status(d, open=True)
    client.detach(d, [f])
    until = datetime(2099, 1, 1, tzinfo=UTC)
    client.set_embargo(d, until, recursive=True)
    client.clear_embargo(d)
    assert _events(client, d) == [
        ("add", None, None, {"color": "red"}),
        ("attach", None, None, f),
        ("set", "color", "red", "blue"),
        ("set", "run_number", None, 7),
        ("unset", "color", "blue", None),
        ("close", None, None, None),
        ("reopen", None, None, None),
        ("detach", None, f, None),
        ("embargo_set", None, None, {"until": until, "recursive": True}),
        ("embargo_clear", None, {"until": until, "recursive": True}, None),
    ]
    assert _events(client, c) == [("add", None, None, None), ("attach", None, None, d)]
    events = list(client.list_history(d))
    assert {e.account for e in events} == {"root"}
    assert all(e.did == d for e in events)
    assert [e.id for e in events] == sorted(e.id for e in events)
    # One request, one id; different requests, different ids.
    assert len({e.request_id for e in events}) == len(events) - 1  # the two `set` records share a request
    client.delete_dids([f])
    # A deleted DID's history stays readable by the admin, with the metadata it had.
    action, key, old, new = _events(client, f)[-1]
    assert (action, key, new) == ("delete", None, None)
    assert isinstance(old, dict) and old["bytes"] == 10 and old["name"] == "f"


def test_history_filters_by_key_and_since(client: Client, scope: str) -> None:
    did = f"{scope}:d"
    client.add_did(did, "dataset")
    client.set_metadata(did, {"a": 1, "b": 1})
    time.sleep(0.05)
    middle = datetime.now(UTC)
    time.sleep(0.05)
    client.set_metadata(did, {"a": 2})
    assert _events(client, did, key="a") == [("set", "a", None, 1), ("set", "a", 1, 2)]
    assert _events(client, did, key="b") == [("set", "b", None, 1)]
    assert _events(client, did, since=middle) == [("set", "a", 1, 2)]
    with pytest.raises(InvalidArgument):
        list(client.list_history(did, key="not a key!"))


def test_history_takes_the_clients_request_id(client: Client, scope: str) -> None:
    channel = grpc.insecure_channel(client.target)
    try:
        stub = did_service_pb2_grpc.DidServiceStub(channel)
        request = did_service_pb2.AddDidsRequest()
        request.dids.add(scope=scope, name="rid", type=2)
        stub.AddDids(request, metadata=(("x-request-id", "trace-42"),))
    finally:
        channel.close()
    assert [e.request_id for e in client.list_history(f"{scope}:rid")] == ["trace-42"]


def test_failed_change_leaves_no_record(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset")
    client.add_did(f"{scope}:c", "container")
    with pytest.raises(Exception):  # noqa: B017 - any refusal; the point is the history
        client.attach(f"{scope}:d", [f"{scope}:c"])  # a dataset cannot hold a container
    assert _events(client, f"{scope}:d") == [("add", None, None, None)]


def test_retention_prunes_old_records(server: ServerProcess, scope: str, client: Client) -> None:
    client.add_did(f"{scope}:old", "file")
    store = Store(server.settings["database"])
    try:
        with store.write() as conn:
            conn.execute(
                history.update()
                .where(history.c.scope == scope, history.c.name == "old")
                .values(at=datetime(2000, 1, 1))
            )
            assert History(retention_days=0).prune(conn) == 0
            assert History(retention_days=30).prune(conn) >= 1
        assert _events(client, f"{scope}:old") == []
    finally:
        store.dispose()


def _cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIDMETA_")}
    return subprocess.run(
        [str(DIDMETA), "--server", server.address, *args], check=False, capture_output=True, text=True, env=environment
    )


def test_cli_embargo_and_history(server: ServerProcess, client: Client, scope: str) -> None:
    did = f"{scope}:ds"
    client.add_did(did, "dataset", metadata={"k": "v"})
    result = _cli(server, "did", "embargo", "set", did, "--until", "2099-05-06T07:08:09Z", "--recursive")
    assert result.returncode == 0, result.stderr
    assert "until 2099-05-06T07:08:09" in result.stdout and "below" in result.stdout
    shown = _cli(server, "--json", "did", "embargo", "show", did)
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["recursive"] is True and record["until"].startswith("2099-05-06T07:08:09")
    relative = _cli(server, "did", "embargo", "set", did, "--until", "+2h")
    assert relative.returncode == 0, relative.stderr
    assert _cli(server, "did", "embargo", "clear", did).stdout.startswith("Cleared")
    assert "has no embargo" in _cli(server, "did", "embargo", "show", did).stdout
    bad = _cli(server, "did", "embargo", "set", did, "--until", "tomorrowish")
    assert bad.returncode != 0 and "--until" in bad.stderr
    lines = _cli(server, "--json", "did", "history", did).stdout.splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["add", "embargo_set", "embargo_set", "embargo_clear"]
    keyed = _cli(server, "--json", "did", "history", did, "--key", "k").stdout.splitlines()
    assert keyed == []
    table = _cli(server, "did", "history", did, "--since", "1h")
    assert table.returncode == 0 and "embargo_clear" in table.stdout and "root" in table.stdout
