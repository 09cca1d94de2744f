"""`events` set through the metadata API: a file's new value reaches every ancestor's sum; a collection refuses it.

A collection's `events` is the sum of its children's (kept on every attach and detach), so setting it
on a dataset or container would be overwritten by the next recount: FAILED_PRECONDITION,
`DERIVED_ATTRIBUTE`, nothing changed. On a file it is an ordinary settable attribute, and the write
recounts the file's datasets and their containers in the same transaction (under the graph lock).
"""

from __future__ import annotations

from functools import partial

from grpc import StatusCode as Code

from didmeta.client import Client, LoadChunk, NewDid
from tests.support.checks import expect_error


def tree(client: Client, scope: str) -> None:
    """box (container) > ds1, ds2 (datasets); f1, f2 in ds1; f2, f3 in ds2 (f2 reachable twice)."""
    client.add_dids(
        [
            NewDid(f"{scope}:box", "container"),
            NewDid(f"{scope}:ds1", "dataset"),
            NewDid(f"{scope}:ds2", "dataset"),
            NewDid(f"{scope}:f1", "file", events=10),
            NewDid(f"{scope}:f2", "file", events=5),
            NewDid(f"{scope}:f3", "file"),
        ]
    )
    client.attach(f"{scope}:box", [f"{scope}:ds1", f"{scope}:ds2"])
    client.attach(f"{scope}:ds1", [f"{scope}:f1", f"{scope}:f2"])
    client.attach(f"{scope}:ds2", [f"{scope}:f2", f"{scope}:f3"])


def events(client: Client, scope: str) -> dict[str, int]:
    return {name: client.get_did(f"{scope}:{name}").events for name in ("box", "ds1", "ds2", "f1", "f2", "f3")}


def test_events_set_on_a_file_reaches_every_ancestor(client: Client, scope: str) -> None:
    tree(client, scope)
    assert events(client, scope) == {"box": 20, "ds1": 15, "ds2": 5, "f1": 10, "f2": 5, "f3": 0}
    client.set_metadata(f"{scope}:f2", {"events": 100})
    assert events(client, scope) == {"box": 210, "ds1": 110, "ds2": 100, "f1": 10, "f2": 100, "f3": 0}
    client.set_metadata_bulk([(f"{scope}:f3", {"events": 7}), (f"{scope}:f1", {"events": 1, "k": "x"})])
    assert events(client, scope) == {"box": 208, "ds1": 101, "ds2": 107, "f1": 1, "f2": 100, "f3": 7}
    client.load([LoadChunk(metadata=[(f"{scope}:f2", {"events": None})])])  # null clears it: counts as 0
    assert events(client, scope) == {"box": 8, "ds1": 1, "ds2": 7, "f1": 1, "f2": 0, "f3": 7}
    # the recount agrees with a fresh one: detach and re-attach changes nothing
    client.detach(f"{scope}:ds2", [f"{scope}:f3"])
    client.attach(f"{scope}:ds2", [f"{scope}:f3"])
    assert events(client, scope) == {"box": 8, "ds1": 1, "ds2": 7, "f1": 1, "f2": 0, "f3": 7}


def test_events_cannot_be_set_on_a_collection(client: Client, scope: str) -> None:
    tree(client, scope)
    for did in (f"{scope}:ds1", f"{scope}:box"):
        error = expect_error(
            partial(client.set_metadata, did, {"events": 3, "k": 1}),
            Code.FAILED_PRECONDITION,
            reason="DERIVED_ATTRIBUTE",
        )
        assert error.metadata.get("did") == did
    error = expect_error(
        lambda: client.set_metadata_bulk([(f"{scope}:f1", {"events": 2}), (f"{scope}:ds2", {"events": 2})]),
        Code.FAILED_PRECONDITION,
        reason="DERIVED_ATTRIBUTE",
    )
    assert error.metadata.get("did") == f"{scope}:ds2"
    # a recursive set from the container would reach its datasets: refused as well
    expect_error(
        lambda: client.set_metadata(f"{scope}:box", {"events": 1}, recursive=True),
        Code.FAILED_PRECONDITION,
        reason="DERIVED_ATTRIBUTE",
    )
    assert events(client, scope) == {"box": 20, "ds1": 15, "ds2": 5, "f1": 10, "f2": 5, "f3": 0}
    assert "k" not in client.get_metadata(f"{scope}:ds1", "ALL")


def test_intrinsic_keys_in_a_new_dids_metadata_are_its_attributes(client: Client, scope: str) -> None:
    """`events`/`guid`/`hidden` given as metadata of a new file are its attributes (one column each, once)."""
    client.load(
        [LoadChunk(dids=[NewDid(f"{scope}:f", "file", bytes=3, metadata={"events": 7, "guid": "g1", "hidden": True})])]
    )
    info = client.get_did(f"{scope}:f")
    assert (info.events, info.guid) == (7, "g1")
    assert client.get_metadata(f"{scope}:f")["hidden"] is True


def test_events_in_a_new_collections_metadata_is_refused(client: Client, scope: str) -> None:
    new = LoadChunk(dids=[NewDid(f"{scope}:ok", "file"), NewDid(f"{scope}:ds", "dataset", metadata={"events": 5})])
    expect_error(
        lambda: client.load([new]), Code.FAILED_PRECONDITION, reason="DERIVED_ATTRIBUTE", mentions=(f"{scope}:ds",)
    )
    assert list(client.list_dids(scope, type="all")) == []  # the chunk is atomic
