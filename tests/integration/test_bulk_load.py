"""LoadDids guarantees on the bulk path (COPY on PostgreSQL, executemany on SQLite), on both databases.

A chunk is atomic: a bad row, a duplicate (within the chunk or against existing rows), a missing scope
or parent, or a failure after the rows were written (a closed parent, a cycle) refuses the whole
chunk with the offending item named, and nothing of it stays. Collection counters are exact after
loads into collections, across chunks.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from grpc import StatusCode as Code

from didmeta.client import Client, LoadChunk, NewDid
from tests.support.checks import expect_error


def files(scope: str, prefix: str, count: int, **extra: Any) -> list[NewDid]:
    return [
        NewDid(
            f"{scope}:{prefix}{i}", "file", bytes=100 + i, events=i, metadata={"run_number": i, "k": f"v{i}"}, **extra
        )
        for i in range(count)
    ]


def everything(client: Client, scope: str) -> list[str]:
    return sorted(client.list_dids(scope, type="all"))


def test_a_chunk_writes_dids_metadata_attachments_and_history(client: Client, scope: str) -> None:
    chunk = LoadChunk(
        dids=[NewDid(f"{scope}:ds", "dataset", metadata={"stage": "raw"}), *files(scope, "f", 3)],
        attachments=[(f"{scope}:ds", f"{scope}:f{i}") for i in range(3)],
    )
    result = client.load([chunk])
    assert (result.created, result.attached) == (4, 3)
    f2 = client.get_metadata(f"{scope}:f2", "ALL")
    assert (f2["run_number"], f2["k"], f2["bytes"], f2["events"]) == (2, "v2", 102, 2)
    assert client.get_metadata(f"{scope}:ds", "JSON") == {"stage": "raw"}
    assert [f"{c.scope}:{c.name}" for c in client.list_content(f"{scope}:ds")] == [f"{scope}:f{i}" for i in range(3)]
    actions = [e.action for e in client.list_history(f"{scope}:ds")]
    assert actions == ["add", "attach", "attach", "attach"]


def test_bad_rows_are_refused_naming_the_item_and_nothing_is_written(client: Client, scope: str) -> None:
    good = files(scope, "g", 4)
    bad_rows: list[tuple[NewDid, str, str]] = [
        (NewDid(f"{scope}:b", "file", metadata={"bad.key": 1}), "INVALID_KEY", "dids[4].metadata.bad.key"),
        (NewDid(f"{scope}:b", "file", metadata={"created_at": 1}), "RESERVED_KEY", "dids[4].metadata.created_at"),
        (NewDid(f"{scope}:b", "file", metadata={"run_number": "x"}), "INVALID_VALUE", "dids[4].metadata.run_number"),
        (NewDid(f"{scope}:b", "file", adler32="xyz"), "INVALID_ARGUMENT", "dids[4].adler32"),
        (NewDid(f"{scope}:b", "dataset", bytes=5), "INVALID_ARGUMENT", "dids[4].bytes"),
        (NewDid(f"{scope}:b", "file", metadata={"m": {"bad key": 1}}), "INVALID_KEY", "dids[4].metadata.m"),
    ]
    for bad, reason, field in bad_rows:
        error = expect_error(partial(client.load, [LoadChunk(dids=[*good, bad])]), Code.INVALID_ARGUMENT, field=field)
        assert error.reason == reason, (field, error.reason, error.message)
        assert "chunk 0" in error.message
        assert everything(client, scope) == []


def test_a_did_given_twice_in_a_chunk_is_named_and_nothing_is_written(client: Client, scope: str) -> None:
    chunk = LoadChunk(dids=[*files(scope, "f", 3), NewDid(f"{scope}:f1", "file")])
    error = expect_error(lambda: client.load([chunk]), Code.ALREADY_EXISTS, reason="DID_EXISTS")
    assert error.metadata.get("did") == f"{scope}:f1"
    assert everything(client, scope) == []


def test_a_did_that_exists_is_named_and_the_chunk_rolls_back(client: Client, scope: str) -> None:
    client.load([LoadChunk(dids=files(scope, "old", 2))])
    chunks = [
        LoadChunk(dids=files(scope, "a", 3)),
        LoadChunk(dids=[*files(scope, "b", 5), NewDid(f"{scope}:old1", "file")]),
    ]
    error = expect_error(lambda: client.load(chunks), Code.ALREADY_EXISTS, reason="DID_EXISTS")
    assert error.metadata.get("did") == f"{scope}:old1"
    assert error.metadata.get("chunks_applied") == "1"
    assert everything(client, scope) == sorted([f"{scope}:old0", f"{scope}:old1", *(f"{scope}:a{i}" for i in range(3))])
    assert client.get_metadata(f"{scope}:old1", "JSON") == {"k": "v1"}  # the existing row is untouched


def test_a_write_failure_is_reported_before_the_next_chunks_own_error(client: Client, scope: str) -> None:
    # Chunk 2 is decoded and refused while chunk 1 is being written: chunk 1's failure comes first.
    client.load([LoadChunk(dids=files(scope, "old", 1))])
    chunks = [
        LoadChunk(dids=files(scope, "a", 2)),
        LoadChunk(dids=[*files(scope, "b", 500), NewDid(f"{scope}:old0", "file")]),
        LoadChunk(dids=[NewDid(f"{scope}:c", "file", metadata={"bad.key": 1})]),
    ]
    error = expect_error(lambda: client.load(chunks), Code.ALREADY_EXISTS, reason="DID_EXISTS")
    assert error.metadata.get("did") == f"{scope}:old0"
    assert error.metadata.get("chunks_applied") == "1"
    assert "chunk 1 refused" in error.message
    assert everything(client, scope) == [f"{scope}:a0", f"{scope}:a1", f"{scope}:old0"]


def test_a_refused_chunk_waits_for_the_one_being_written(client: Client, scope: str) -> None:
    # Chunk 2's bad value is found while chunk 1 (2,000 DIDs) is written: chunk 1 still lands, and is counted.
    chunks = [
        LoadChunk(dids=files(scope, "a", 2)),
        LoadChunk(dids=files(scope, "b", 2000)),
        LoadChunk(dids=[NewDid(f"{scope}:c", "file", metadata={"run_number": "x"})]),
    ]
    error = expect_error(lambda: client.load(chunks), Code.INVALID_ARGUMENT, field="dids[0].metadata.run_number")
    assert error.metadata.get("chunks_applied") == "2"
    assert "chunk 2 refused, 2 earlier chunks applied" in error.message
    assert len(everything(client, scope)) == 2002
    assert client.get_metadata(f"{scope}:b1999", "ALL")["run_number"] == 1999


def test_an_existing_attachment_is_named_and_the_chunk_rolls_back(client: Client, scope: str) -> None:
    client.load(
        [
            LoadChunk(
                dids=[NewDid(f"{scope}:ds", "dataset"), *files(scope, "f", 2)],
                attachments=[(f"{scope}:ds", f"{scope}:f0")],
            )
        ]
    )
    chunk = LoadChunk(
        dids=files(scope, "n", 2),
        attachments=[(f"{scope}:ds", f"{scope}:n0"), (f"{scope}:ds", f"{scope}:f0"), (f"{scope}:ds", f"{scope}:n1")],
    )
    error = expect_error(lambda: client.load([chunk]), Code.ALREADY_EXISTS, reason="ATTACHMENT_EXISTS")
    assert f"{scope}:f0" in error.message and f"{scope}:ds" in error.message
    assert everything(client, scope) == [f"{scope}:ds", f"{scope}:f0", f"{scope}:f1"]
    ds = client.get_did(f"{scope}:ds")
    assert (ds.length, ds.bytes) == (1, 100)


def test_a_failure_after_the_rows_are_written_rolls_the_chunk_back(client: Client, scope: str) -> None:
    client.load([LoadChunk(dids=[NewDid(f"{scope}:closed", "dataset"), NewDid(f"{scope}:c1", "container")])])
    client.set_status(f"{scope}:closed", open=False)
    # DIDs and their metadata are inserted before the attachment is refused: all must go.
    late = LoadChunk(dids=files(scope, "f", 3), attachments=[(f"{scope}:closed", f"{scope}:f0")])
    expect_error(lambda: client.load([late]), Code.FAILED_PRECONDITION, reason="COLLECTION_CLOSED")
    missing_parent = LoadChunk(dids=files(scope, "f", 3), attachments=[(f"{scope}:nope", f"{scope}:f0")])
    error = expect_error(lambda: client.load([missing_parent]), Code.NOT_FOUND, reason="DID_NOT_FOUND")
    assert error.metadata.get("did") == f"{scope}:nope"
    # A cycle is found after the contents rows are in: the whole chunk rolls back.
    cycle = LoadChunk(
        dids=[NewDid(f"{scope}:c2", "container", metadata={"k": 1})],
        attachments=[(f"{scope}:c1", f"{scope}:c2"), (f"{scope}:c2", f"{scope}:c1")],
    )
    expect_error(lambda: client.load([cycle]), Code.FAILED_PRECONDITION, reason="CYCLE")
    assert everything(client, scope) == [f"{scope}:c1", f"{scope}:closed"]
    assert list(client.list_content(f"{scope}:c1")) == []
    assert list(client.list_dids(scope, "k=*", type="all")) == []


def test_a_missing_scope_is_named(client: Client, scope: str) -> None:
    chunk = LoadChunk(dids=[*files(scope, "f", 2), NewDid("noscope:x", "file")])
    error = expect_error(lambda: client.load([chunk]), Code.NOT_FOUND, reason="SCOPE_NOT_FOUND")
    assert error.metadata.get("scope") == "noscope"
    assert everything(client, scope) == []


def test_counters_are_exact_after_loads_into_collections(client: Client, scope: str) -> None:
    """Datasets filled over several chunks, inside containers created in other chunks."""
    chunks = [
        LoadChunk(dids=[NewDid(f"{scope}:c{c}", "container") for c in range(2)]),
        LoadChunk(
            dids=[NewDid(f"{scope}:d{d}", "dataset") for d in range(4)],
            attachments=[(f"{scope}:c{d % 2}", f"{scope}:d{d}") for d in range(4)],
        ),
    ]
    expected: dict[str, list[int]] = {f"{scope}:d{d}": [0, 0, 0] for d in range(4)}
    for part in range(3):
        new = [NewDid(f"{scope}:f{part}_{i}", "file", bytes=1000 * part + i, events=i + 1) for i in range(12)]
        chunks.append(
            LoadChunk(dids=new, attachments=[(f"{scope}:d{i % 4}", f"{scope}:f{part}_{i}") for i in range(12)])
        )
        for i in range(12):
            totals = expected[f"{scope}:d{i % 4}"]
            totals[0] += 1000 * part + i
            totals[1] += 1
            totals[2] += i + 1
    result = client.load(chunks)
    assert (result.created, result.attached) == (2 + 4 + 36, 4 + 36)
    for dataset, (size, length, events) in expected.items():
        info = client.get_did(dataset)
        assert (info.bytes, info.length, info.events) == (size, length, events), dataset
    for c in range(2):
        members = [expected[f"{scope}:d{d}"] for d in range(4) if d % 2 == c]
        info = client.get_did(f"{scope}:c{c}")
        assert (info.bytes, info.length, info.events) == tuple(sum(m[i] for m in members) for i in range(3))
