"""Write semantics (spec §3, §6) on every plugin: typed round-trips, merge, delete, bulk, inherit, atomicity."""

from __future__ import annotations

import itertools
import math
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from didmeta.client import Client, FailedPrecondition, InvalidArgument, LoadChunk, NewDid, NotFound, Unavailable
from didmeta.values import MetaValue
from tests.conformance.conftest import Conformance

_scopes = itertools.count()

VALUES: dict[str, MetaValue] = {
    "an_int": 42,
    "a_negative": -7,
    "big": 2**62,
    "a_double": 5.0,
    "a_fraction": 0.125,
    "a_string": "héllo wörld",
    "empty": "",
    "yes": True,
    "no": False,
    "a_time": datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    "a_list": [1, "two", 3.5, False],
    "a_map": {"nested": {"deep": [1, 2]}, "x": "y"},
}


@pytest.fixture()
def client(conformance: Conformance) -> Iterator[Client]:
    with conformance.client() as c:
        yield c


@pytest.fixture()
def scope(client: Client) -> str:
    name = f"w{next(_scopes)}"
    client.add_scope(name)
    return name


@pytest.mark.parametrize("key", sorted(VALUES))
def test_typed_round_trip(client: Client, scope: str, key: str) -> None:
    client.add_did(f"{scope}:d", "dataset")
    client.set_metadata(f"{scope}:d", {key: VALUES[key]})
    got = client.get_metadata(f"{scope}:d", "ALL")[key]
    assert got == VALUES[key]
    assert type(got) is type(VALUES[key])


def test_initial_metadata_and_upsert_merge(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset", metadata={"a": 1, "m": {"x": 1}})
    client.set_metadata(f"{scope}:d", {"b": 2, "m": {"y": 2}})
    got = client.get_metadata(f"{scope}:d", "ALL")
    assert (got["a"], got["b"], got["m"]) == (1, 2, {"y": 2})


def test_set_null_removes_key(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset", metadata={"a": 1, "b": 2})
    client.set_metadata(f"{scope}:d", {"a": None})
    got = client.get_metadata(f"{scope}:d", "ALL")
    assert "a" not in got and got["b"] == 2
    assert list(client.list_dids(scope, "a=*")) == []


def test_delete_key(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset", metadata={"a": 1, "b": 2})
    client.delete_metadata(f"{scope}:d", ["a"])
    assert "a" not in client.get_metadata(f"{scope}:d", "ALL")
    assert list(client.list_dids(scope, "b=2")) == [f"{scope}:d"]
    assert list(client.list_dids(scope, "a=*")) == []


def test_delete_missing_key_is_not_found_and_changes_nothing(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset", metadata={"a": 1})
    with pytest.raises(NotFound) as caught:
        client.delete_metadata(f"{scope}:d", ["a", "zzz"])
    assert caught.value.reason == "KEY_NOT_FOUND"
    assert client.get_metadata(f"{scope}:d", "ALL")["a"] == 1


def test_delete_optimised_column_and_intrinsic(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset", metadata={"run_number": 7})
    client.delete_metadata(f"{scope}:d", ["run_number"])
    assert "run_number" not in client.get_metadata(f"{scope}:d")
    with pytest.raises(FailedPrecondition):
        client.delete_metadata(f"{scope}:d", ["bytes"])


def test_delete_did_cascades_to_the_plugin(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset", metadata={"secret": "left behind?", "run_number": 1})
    client.delete_dids([f"{scope}:d"])
    assert list(client.list_dids(scope, "secret=*")) == []
    client.add_did(f"{scope}:d", "dataset")
    got = client.get_metadata(f"{scope}:d", "ALL")
    assert "secret" not in got and "run_number" not in got


def test_bulk_set_is_atomic(client: Client, scope: str) -> None:
    for name in ("a", "b"):
        client.add_did(f"{scope}:{name}", "dataset")
    with pytest.raises(NotFound):
        client.set_metadata_bulk([(f"{scope}:a", {"k": 1}), (f"{scope}:missing", {"k": 2})])
    assert "k" not in client.get_metadata(f"{scope}:a", "ALL")
    assert client.set_metadata_bulk([(f"{scope}:a", {"k": 1}), (f"{scope}:b", {"k": 2, "run_number": 3})]) == 2
    assert list(client.list_dids(scope, "k>=1")) == [f"{scope}:a", f"{scope}:b"]


def test_negative_zero_is_stored_as_zero(client: Client, scope: str) -> None:
    """-0.0 comes back as 0.0 from every backend and every way of writing it (PostgreSQL's numeric, which its
    plugins store numbers in, has no negative zero; the others kept the sign before)."""
    client.add_did(f"{scope}:added", "dataset", metadata={"z": -0.0, "zs": [-0.0, 1.5]})
    client.load([LoadChunk(dids=[NewDid(f"{scope}:loaded", "dataset", metadata={"z": -0.0, "zs": [-0.0, 1.5]})])])
    client.add_did(f"{scope}:set", "dataset")
    client.set_metadata(f"{scope}:set", {"z": -0.0, "zs": [-0.0, 1.5]})
    for name in ("added", "loaded", "set"):
        got = client.get_metadata(f"{scope}:{name}", "ALL")
        signs = [math.copysign(1.0, got["z"]), math.copysign(1.0, got["zs"][0])]  # type: ignore[arg-type,index]
        assert (got["z"], got["zs"], signs) == (0.0, [0.0, 1.5], [1.0, 1.0]), name
    assert set(client.list_dids(scope, "z=0")) == {f"{scope}:{n}" for n in ("added", "loaded", "set")}


def test_bad_key_refused_before_any_write(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset")
    with pytest.raises(InvalidArgument) as caught:
        client.set_metadata(f"{scope}:d", {"good": 1, "bad.key": 2})
    assert "bad.key" in caught.value.message
    assert "good" not in client.get_metadata(f"{scope}:d", "ALL")


def test_recursive_set_reaches_direct_children(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:c", "container")
    client.add_did(f"{scope}:d", "dataset")
    client.add_did(f"{scope}:f", "file")
    client.attach(f"{scope}:c", [f"{scope}:d"])
    client.attach(f"{scope}:d", [f"{scope}:f"])
    client.set_metadata(f"{scope}:c", {"stage": "reco"}, recursive=True)
    assert list(client.list_dids(scope, "stage=reco", type="all")) == [f"{scope}:c", f"{scope}:d"]


def test_bulk_get_inherit_and_missing(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:c", "container", metadata={"who": "container", "level": 0})
    client.add_did(f"{scope}:d", "dataset", metadata={"who": "dataset"})
    client.add_did(f"{scope}:f", "file", metadata={"own": True})
    client.attach(f"{scope}:c", [f"{scope}:d"])
    client.attach(f"{scope}:d", [f"{scope}:f"])
    results = dict(client.get_metadata_bulk([f"{scope}:f", f"{scope}:nope"], "ALL", inherit=True))
    f_meta = results[next(k for k in results if k.name == "f")]
    assert f_meta is not None
    assert (f_meta["own"], f_meta["who"], f_meta["level"]) == (True, "dataset", 0)
    assert results[next(k for k in results if k.name == "nope")] is None


def test_load_chunk_refused_late_leaves_nothing_in_the_plugin(
    client: Client, scope: str, conformance: Conformance
) -> None:
    """The plugin's bulk write of a LoadDids chunk is undone when the chunk fails afterwards (its attachment)."""
    new = [NewDid(f"{scope}:f{i}", "file", metadata={"lk": i, "run_number": i}) for i in range(5)]
    with pytest.raises(NotFound):
        client.load([LoadChunk(dids=new, attachments=[(f"{scope}:missing", f"{scope}:f0")])])
    assert list(client.list_dids(scope, type="all")) == []
    client.add_dids([NewDid(f"{scope}:f{i}", "file") for i in range(5)])  # the same DIDs again, bare
    for i in range(5):
        assert "lk" not in client.get_metadata(f"{scope}:f{i}", _plugin(conformance))
    assert list(client.list_dids(scope, "lk>=0", type="all")) == []
    assert client.load([LoadChunk(metadata=[(f"{scope}:f1", {"lk": 7})])]).updated == 1
    assert list(client.list_dids(scope, "lk>=0", type="all")) == [f"{scope}:f1"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_failed_second_backend_rolls_back_the_first(conformance: Conformance, start_server: object) -> None:
    """Plugin under test owns `first`; a second, unreachable plugin owns every other key."""
    down = ("MONGO", {"url": f"mongodb://127.0.0.1:{_closed_port()}/", "timeout_ms": 500})
    if conformance.backend == "MONGO":
        down = ("POSTGRES_JSON", {"url": f"postgresql://postgres@127.0.0.1:{_closed_port()}/x"})
    settings = conformance.make_settings(keys=["first"], extra=[down])
    server = start_server(settings)  # type: ignore[operator]
    with server.client(timeout=60) as client:
        client.add_scope("rb")
        client.add_did("rb:d", "dataset", metadata={"first": "kept", "run_number": 1})
        with pytest.raises(Unavailable):
            client.set_metadata("rb:d", {"first": "changed", "run_number": 2, "second": "x"})
        assert client.get_metadata("rb:d", _plugin(conformance))["first"] == "kept"
        assert client.get_metadata("rb:d")["run_number"] == 1
        with pytest.raises(Unavailable):
            client.add_did("rb:e", "dataset", metadata={"first": "new", "second": "y"})
        with pytest.raises(NotFound):
            client.get_did("rb:e")
        assert list(client.list_dids("rb", "first=*")) == ["rb:d"]


def _plugin(conformance: Conformance) -> str:
    return conformance.backend.split("-", 1)[0]
