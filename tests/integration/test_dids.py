"""Spec §1 through a real server (SQLite and PostgreSQL): DIDs, scopes, attachments, counters, deletion."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest

from didmeta.client import Client, DidmetaError, NewDid
from tests.support.checks import expect_error, snapshot
from tests.support.server import ServerProcess

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
EXISTS = grpc.StatusCode.ALREADY_EXISTS
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


def counters(client: Client, did: str) -> tuple[int, int, int]:
    info = client.get_did(did)
    return info.bytes, info.length, info.events


# --- scopes ------------------------------------------------------------------------------------------------
def test_scope_add_and_list(client: Client, scope: str) -> None:
    names = [s.name for s in client.list_scopes()]
    assert scope in names
    assert names == sorted(names)
    assert [s.name for s in client.list_scopes(scope)] == [scope]


def test_scope_creation_time_is_utc_and_the_same_in_the_listing(client: Client, scope: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    added = client.add_scope(f"{scope}t")
    assert added.created_at.tzinfo is not None
    assert before <= added.created_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert [s.created_at for s in client.list_scopes(f"{scope}t")] == [added.created_at]


def test_scope_twice_is_already_exists(client: Client, scope: str) -> None:
    expect_error(lambda: client.add_scope(scope), EXISTS)


@pytest.mark.parametrize("bad", ["", "with space", "a" * 26, "a:b", "ü"])
def test_invalid_scope_is_refused(client: Client, bad: str) -> None:
    expect_error(lambda: client.add_scope(bad), INVALID, field="scope")
    assert bad not in [s.name for s in client.list_scopes()]


def test_scope_of_25_characters_is_fine(client: Client, scope: str) -> None:
    name = (scope + "_" + "x" * 25)[:25]
    client.add_scope(name)
    client.add_did(f"{name}:d", "dataset")
    assert client.get_did(f"{name}:d").scope == name


# --- add / get -----------------------------------------------------------------------------------------------
def test_add_and_get_a_file_with_its_intrinsic_attributes(client: Client, scope: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    client.add_did(
        f"{scope}:file.root",
        "file",
        bytes=1234,
        adler32="0a1b2c3d",
        md5="0123456789abcdef0123456789abcdef",
        guid="e5c4a3b2-1111-2222-3333-444455556666",
        events=17,
    )
    info = client.get_did(f"{scope}:file.root")
    assert (info.scope, info.name, info.type) == (scope, "file.root", "FILE")
    assert (info.bytes, info.events, info.length) == (1234, 17, 0)
    assert info.adler32 == "0a1b2c3d"
    assert info.md5 == "0123456789abcdef0123456789abcdef"
    assert info.guid == "e5c4a3b2-1111-2222-3333-444455556666"
    assert info.account == "root"  # the embedded default runs as the local admin account
    assert info.is_open is False  # files are never open
    assert info.created_at is not None and before <= info.created_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert info.closed_at is None and info.expired_at is None


@pytest.mark.parametrize("kind", ["dataset", "container"])
def test_new_collections_are_open_and_empty(client: Client, scope: str, kind: str) -> None:
    client.add_did(f"{scope}:{kind}", kind)
    info = client.get_did(f"{scope}:{kind}")
    assert info.type == kind.upper()
    assert info.is_open is True
    assert (info.bytes, info.length, info.events) == (0, 0, 0)


def test_add_many_at_once(client: Client, scope: str) -> None:
    created = client.add_dids([NewDid(f"{scope}:f{i}", "file", bytes=i) for i in range(50)])
    assert created == 50
    assert client.count_dids(scope, type="file") == 50


def test_initial_metadata_is_stored_by_its_owners(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:d", "dataset", metadata={"run_number": 7, "colour": "red"})])
    assert client.get_metadata(f"{scope}:d")["run_number"] == 7
    assert client.get_metadata(f"{scope}:d", "JSON") == {"colour": "red"}


@pytest.mark.parametrize("name", ["a", "/root/path/file", "9", "x" * 250, "mc23.13p6TeV-v1_2/file.root", "A-B_c.d"])
def test_valid_names(client: Client, scope: str, name: str) -> None:
    client.add_did(f"{scope}:{name}", "file")
    assert client.get_did(f"{scope}:{name}").name == name


def test_scope_must_exist(client: Client, scope: str) -> None:
    expect_error(lambda: client.add_did(f"{scope}nope:f", "file"), NOT_FOUND, mentions=(f"{scope}nope",))
    assert [s.name for s in client.list_scopes(f"{scope}nope")] == []


def test_scope_must_exist_for_every_did_of_a_request(client: Client, scope: str) -> None:
    expect_error(lambda: client.add_dids([NewDid(f"{scope}:ok", "file"), NewDid(f"{scope}zz:f", "file")]), NOT_FOUND)
    expect_error(lambda: client.get_did(f"{scope}:ok"), NOT_FOUND)


def test_duplicate_did_is_already_exists_and_nothing_is_created(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:f1", "file", bytes=1)
    error = expect_error(
        lambda: client.add_dids([NewDid(f"{scope}:new", "file"), NewDid(f"{scope}:f1", "file", bytes=99)]), EXISTS
    )
    assert f"{scope}:f1" in error.message
    expect_error(lambda: client.get_did(f"{scope}:new"), NOT_FOUND)
    assert client.get_did(f"{scope}:f1").bytes == 1


def test_did_given_twice_in_one_request_creates_nothing(client: Client, scope: str) -> None:
    expect_error(lambda: client.add_dids([NewDid(f"{scope}:twice", "file")] * 2), EXISTS)
    assert client.count_dids(scope, type="all") == 0


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (".hidden", "name"),
        ("-x", "name"),
        ("_x", "name"),
        ("a b", "name"),
        ("x" * 251, "name"),
        ("a:b", "name"),
        ("a*b", "name"),
        ("ü", "name"),
    ],
)
def test_invalid_name_is_refused_with_the_field(client: Client, scope: str, name: str, field: str) -> None:
    expect_error(lambda: client.add_dids([NewDid(f"{scope}:{name}", "file")]), INVALID, field=field)
    assert client.count_dids(scope, type="all") == 0


def test_invalid_scope_in_a_did_is_refused_with_the_field(client: Client, scope: str) -> None:
    expect_error(lambda: client.add_dids([NewDid("bad scope:x", "file")]), INVALID, field="scope")


def test_error_names_the_index_of_the_bad_did(client: Client, scope: str) -> None:
    error = expect_error(
        lambda: client.add_dids([NewDid(f"{scope}:ok", "file"), NewDid(f"{scope}:.bad", "file")]), INVALID
    )
    assert any("dids[1]" in v.field for v in error.field_violations), error.field_violations
    expect_error(lambda: client.get_did(f"{scope}:ok"), NOT_FOUND)


@pytest.mark.parametrize(
    "attributes",
    [{"bytes": 5}, {"adler32": "0a1b2c3d"}, {"md5": "0123456789abcdef0123456789abcdef"}, {"events": 3}, {"guid": "g"}],
)
def test_file_attributes_on_a_collection_are_refused(client: Client, scope: str, attributes: dict[str, Any]) -> None:
    (name,) = attributes
    expect_error(lambda: client.add_dids([NewDid(f"{scope}:ds", "dataset", **attributes)]), INVALID, field=name)
    expect_error(lambda: client.get_did(f"{scope}:ds"), NOT_FOUND)


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"bytes": -1}, "bytes"),
        ({"events": -1}, "events"),
        ({"adler32": "xyz"}, "adler32"),
        ({"adler32": "0a1b2c3d4"}, "adler32"),
        ({"md5": "abc"}, "md5"),
    ],
)
def test_bad_file_attributes_are_refused(client: Client, scope: str, attributes: dict[str, Any], field: str) -> None:
    expect_error(lambda: client.add_dids([NewDid(f"{scope}:f", "file", **attributes)]), INVALID, field=field)
    expect_error(lambda: client.get_did(f"{scope}:f"), NOT_FOUND)


def test_get_missing_did_is_not_found(client: Client, scope: str) -> None:
    error = expect_error(lambda: client.get_did(f"{scope}:missing"), NOT_FOUND)
    assert f"{scope}:missing" in error.message


# --- attachments ----------------------------------------------------------------------------------------------
@pytest.fixture()
def tree(client: Client, scope: str) -> str:
    """Files f1..f4, datasets d1..d3, containers c1..c4, all empty and open."""
    client.add_dids(
        [NewDid(f"{scope}:f{i}", "file", bytes=10 * i, events=i) for i in range(1, 5)]
        + [NewDid(f"{scope}:d{i}", "dataset") for i in range(1, 4)]
        + [NewDid(f"{scope}:c{i}", "container") for i in range(1, 5)]
    )
    return scope


def test_dataset_contains_files(client: Client, tree: str) -> None:
    s = tree
    assert client.attach(f"{s}:d1", [f"{s}:f1", f"{s}:f2"]) == 2
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f1", "f2"]


def test_dataset_cannot_contain_collections(client: Client, tree: str) -> None:
    s = tree
    expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:d2"]), PRECONDITION)
    expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:c1"]), PRECONDITION)
    assert list(client.list_content(f"{s}:d1")) == []


def test_container_cannot_contain_files(client: Client, tree: str) -> None:
    s = tree
    expect_error(lambda: client.attach(f"{s}:c1", [f"{s}:f1"]), PRECONDITION)
    assert list(client.list_content(f"{s}:c1")) == []


def test_container_holds_datasets_or_containers_not_both(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:c1", [f"{s}:d1"])
    expect_error(lambda: client.attach(f"{s}:c1", [f"{s}:c2"]), PRECONDITION)
    client.attach(f"{s}:c3", [f"{s}:c4"])
    expect_error(lambda: client.attach(f"{s}:c3", [f"{s}:d2"]), PRECONDITION)
    # both kinds in one request
    expect_error(lambda: client.attach(f"{s}:c2", [f"{s}:d2", f"{s}:c4"]), PRECONDITION)
    assert [c.name for c in client.list_content(f"{s}:c1")] == ["d1"]
    assert [c.name for c in client.list_content(f"{s}:c3")] == ["c4"]
    assert list(client.list_content(f"{s}:c2")) == []


def test_file_contains_nothing(client: Client, tree: str) -> None:
    s = tree
    expect_error(lambda: client.attach(f"{s}:f1", [f"{s}:f2"]), PRECONDITION)


@pytest.mark.parametrize("did", ["d1", "c1"])
def test_no_self_attachment(client: Client, tree: str, did: str) -> None:
    s = tree
    error = expect_error(lambda: client.attach(f"{s}:{did}", [f"{s}:{did}"]), INVALID)
    assert error.reason != "INVALID_ARGUMENT" or error.field_violations
    assert list(client.list_content(f"{s}:{did}")) == []


def test_no_cycle(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:c1", [f"{s}:c2"])
    client.attach(f"{s}:c2", [f"{s}:c3"])
    for parent, child in [("c3", "c1"), ("c2", "c1"), ("c3", "c2")]:
        expect_error(lambda p=parent, c=child: client.attach(f"{s}:{p}", [f"{s}:{c}"]), PRECONDITION)  # type: ignore[misc]
    assert list(client.list_content(f"{s}:c3")) == []
    assert [c.name for c in client.list_content(f"{s}:c2")] == ["c3"]


def test_no_cycle_within_one_request(client: Client, tree: str) -> None:
    s = tree
    from didmeta.v1 import did_pb2, did_service_pb2

    request = did_service_pb2.AttachDidsRequest(
        attachments=[
            did_pb2.Attachment(parent=did_pb2.DidKey(scope=s, name="c1"), child=did_pb2.DidKey(scope=s, name="c2")),
            did_pb2.Attachment(parent=did_pb2.DidKey(scope=s, name="c2"), child=did_pb2.DidKey(scope=s, name="c1")),
        ]
    )
    expect_error(lambda: client._call(client._dids.AttachDids, request), PRECONDITION)
    assert list(client.list_content(f"{s}:c1")) == []
    assert list(client.list_content(f"{s}:c2")) == []


def test_no_duplicate_attachment(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:d1", [f"{s}:f1"])
    expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:f1"]), EXISTS)
    expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:f2", f"{s}:f2"]), INVALID)
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f1"]
    assert counters(client, f"{s}:d1") == (10, 1, 1)


def test_attachment_to_or_of_a_missing_did_is_not_found(client: Client, tree: str) -> None:
    s = tree
    expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:f1", f"{s}:nope"]), NOT_FOUND)
    expect_error(lambda: client.attach(f"{s}:nope", [f"{s}:f1"]), NOT_FOUND)
    assert list(client.list_content(f"{s}:d1")) == []


def test_closed_collection_refuses_attachments(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:d1", [f"{s}:f1"])
    closed = client.set_status(f"{s}:d1", open=False)
    assert closed.is_open is False and closed.closed_at is not None
    error = expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:f2"]), PRECONDITION)
    assert f"{s}:d1" in error.message
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f1"]
    assert counters(client, f"{s}:d1") == (10, 1, 1)


def test_repeating_an_attachment_of_a_closed_collection_is_already_exists(client: Client, tree: str) -> None:
    """A re-run (an import, a retried request) learns that the attachment exists, not that the parent is closed."""
    s = tree
    client.attach(f"{s}:d1", [f"{s}:f1"])
    client.set_status(f"{s}:d1", open=False)
    expect_error(
        lambda: client.attach(f"{s}:d1", [f"{s}:f1"]), grpc.StatusCode.ALREADY_EXISTS, reason="ATTACHMENT_EXISTS"
    )
    expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:f2"]), PRECONDITION, reason="COLLECTION_CLOSED")
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f1"]


def test_closed_container_refuses_attachments(client: Client, tree: str) -> None:
    s = tree
    client.set_status(f"{s}:c1", open=False)
    expect_error(lambda: client.attach(f"{s}:c1", [f"{s}:d1"]), PRECONDITION)


def test_close_and_reopen(client: Client, tree: str) -> None:
    s = tree
    assert client.get_did(f"{s}:d1").is_open is True
    client.set_status(f"{s}:d1", open=False)
    assert client.get_did(f"{s}:d1").is_open is False
    reopened = client.set_status(f"{s}:d1", open=True)
    assert reopened.is_open is True
    assert reopened.closed_at is None
    client.attach(f"{s}:d1", [f"{s}:f1"])
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f1"]


def test_a_file_cannot_be_closed(client: Client, tree: str) -> None:
    s = tree
    expect_error(lambda: client.set_status(f"{s}:f1", open=False), PRECONDITION)


def test_closing_a_missing_did_is_not_found(client: Client, tree: str) -> None:
    expect_error(lambda: client.set_status(f"{tree}:nope", open=False), NOT_FOUND)


def test_attachments_cross_scopes(client: Client, tree: str) -> None:
    s = tree
    other = f"{s}x"
    client.add_scope(other)
    client.add_did(f"{other}:remote", "file", bytes=1000, events=5)
    client.attach(f"{s}:d1", [f"{other}:remote", f"{s}:f1"])
    assert [(c.scope, c.name) for c in client.list_content(f"{s}:d1")] == [(s, "f1"), (other, "remote")]
    assert counters(client, f"{s}:d1") == (1010, 2, 6)


def test_list_content_is_in_scope_name_order(client: Client, scope: str) -> None:
    other = f"{scope}A"  # a second scope: order is by scope first, then by name, byte-wise
    client.add_scope(other)
    names = ["b", "a", "B", "Z9", "a.b", "a-b", "a_b", "0", "/x", "a/b"]
    client.add_dids([NewDid(f"{scope}:{n}", "file") for n in names] + [NewDid(f"{other}:m", "file")])
    client.add_did(f"{scope}:ds", "dataset")
    client.attach(f"{scope}:ds", [f"{scope}:{n}" for n in names] + [f"{other}:m"])
    listed = [(c.scope, c.name) for c in client.list_content(f"{scope}:ds")]
    expected = sorted([(scope, n) for n in names] + [(other, "m")], key=lambda k: (k[0].encode(), k[1].encode()))
    assert listed == expected


def test_list_content_of_a_missing_collection_is_not_found(client: Client, scope: str) -> None:
    expect_error(lambda: list(client.list_content(f"{scope}:nope")), NOT_FOUND)


# --- counters ---------------------------------------------------------------------------------------------------
def test_dataset_counters_are_exact_on_every_attach_and_detach(client: Client, tree: str) -> None:
    s = tree
    assert counters(client, f"{s}:d1") == (0, 0, 0)
    client.attach(f"{s}:d1", [f"{s}:f1"])
    assert counters(client, f"{s}:d1") == (10, 1, 1)
    client.attach(f"{s}:d1", [f"{s}:f2", f"{s}:f3"])
    assert counters(client, f"{s}:d1") == (60, 3, 6)
    client.detach(f"{s}:d1", [f"{s}:f2"])
    assert counters(client, f"{s}:d1") == (40, 2, 4)
    client.detach(f"{s}:d1", [f"{s}:f1", f"{s}:f3"])
    assert counters(client, f"{s}:d1") == (0, 0, 0)


def test_file_without_events_counts_as_zero_events(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:noev", "file", bytes=7), NewDid(f"{scope}:ds", "dataset")])
    client.attach(f"{scope}:ds", [f"{scope}:noev"])
    assert counters(client, f"{scope}:ds") == (7, 1, 0)


def test_nested_counters_container_container_dataset_files(client: Client, tree: str) -> None:
    s = tree
    # c1 -> c2 -> d1 -> f1, f2 ; c2 -> d2 -> f3 ; c1 stays the root
    client.attach(f"{s}:c1", [f"{s}:c2"])
    client.attach(f"{s}:c2", [f"{s}:d1"])
    assert [counters(client, f"{s}:{d}") for d in ("c1", "c2", "d1")] == [(0, 0, 0)] * 3
    client.attach(f"{s}:d1", [f"{s}:f1", f"{s}:f2"])
    assert counters(client, f"{s}:d1") == (30, 2, 3)
    assert counters(client, f"{s}:c2") == (30, 2, 3)
    assert counters(client, f"{s}:c1") == (30, 2, 3)
    client.attach(f"{s}:d2", [f"{s}:f3"])
    client.attach(f"{s}:c2", [f"{s}:d2"])
    assert counters(client, f"{s}:c2") == (60, 3, 6)
    assert counters(client, f"{s}:c1") == (60, 3, 6)
    client.attach(f"{s}:d2", [f"{s}:f4"])  # deep change reaches every ancestor
    assert counters(client, f"{s}:d2") == (70, 2, 7)
    assert counters(client, f"{s}:c2") == (100, 4, 10)
    assert counters(client, f"{s}:c1") == (100, 4, 10)
    client.detach(f"{s}:d1", [f"{s}:f1"])
    assert counters(client, f"{s}:d1") == (20, 1, 2)
    assert counters(client, f"{s}:c2") == (90, 3, 9)
    assert counters(client, f"{s}:c1") == (90, 3, 9)
    client.detach(f"{s}:c2", [f"{s}:d2"])
    assert counters(client, f"{s}:c2") == (20, 1, 2)
    assert counters(client, f"{s}:c1") == (20, 1, 2)
    client.detach(f"{s}:c1", [f"{s}:c2"])
    assert counters(client, f"{s}:c1") == (0, 0, 0)
    assert counters(client, f"{s}:c2") == (20, 1, 2)


def test_a_child_with_two_parents_counts_in_both(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:d1", [f"{s}:f1", f"{s}:f2"])
    client.attach(f"{s}:d2", [f"{s}:f2"])
    assert counters(client, f"{s}:d1") == (30, 2, 3)
    assert counters(client, f"{s}:d2") == (20, 1, 2)
    client.attach(f"{s}:c1", [f"{s}:d1", f"{s}:d2"])
    assert counters(client, f"{s}:c1") == (50, 3, 5)


def test_refused_attachment_leaves_counters_alone(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:c1", [f"{s}:d1"])
    client.attach(f"{s}:d1", [f"{s}:f1"])
    before = snapshot(client, s)
    expect_error(lambda: client.attach(f"{s}:d1", [f"{s}:f2", f"{s}:d2"]), PRECONDITION)
    assert snapshot(client, s) == before


def test_detach_of_something_not_attached_is_not_found_and_atomic(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:d1", [f"{s}:f1", f"{s}:f2"])
    expect_error(lambda: client.detach(f"{s}:d1", [f"{s}:f1", f"{s}:f3"]), NOT_FOUND)
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f1", "f2"]
    assert counters(client, f"{s}:d1") == (30, 2, 3)


# --- deletion ---------------------------------------------------------------------------------------------------
def test_delete_a_file_updates_every_ancestor(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:c1", [f"{s}:d1"])
    client.attach(f"{s}:d1", [f"{s}:f1", f"{s}:f2"])
    assert client.delete_dids([f"{s}:f1"]) == 1
    expect_error(lambda: client.get_did(f"{s}:f1"), NOT_FOUND)
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f2"]
    assert counters(client, f"{s}:d1") == (20, 1, 2)
    assert counters(client, f"{s}:c1") == (20, 1, 2)


def test_delete_a_dataset_removes_its_attachments_both_ways(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:c1", [f"{s}:d1"])
    client.attach(f"{s}:d1", [f"{s}:f1"])
    client.delete_dids([f"{s}:d1"])
    assert list(client.list_content(f"{s}:c1")) == []
    assert counters(client, f"{s}:c1") == (0, 0, 0)
    # the file survives, no longer attached: it can be attached anew and counts once
    assert client.get_did(f"{s}:f1").bytes == 10
    client.add_did(f"{s}:d1", "dataset")
    assert list(client.list_content(f"{s}:d1")) == []
    client.attach(f"{s}:d1", [f"{s}:f1"])
    assert counters(client, f"{s}:d1") == (10, 1, 1)


def test_deleted_did_leaves_no_metadata_behind(client: Client, scope: str) -> None:
    did = f"{scope}:reborn"
    client.add_did(did, "dataset")
    client.set_metadata(did, {"run_number": 42, "project": "p", "colour": "red", "nested": {"a": 1}})
    client.delete_dids([did])
    client.add_did(did, "dataset")
    everything = client.get_metadata(did, "ALL")
    for key in ("run_number", "project", "colour", "nested"):
        assert key not in everything, everything
    assert client.get_metadata(did, "JSON") == {}
    assert list(client.list_dids(scope, "colour=red")) == []
    assert list(client.list_dids(scope, "run_number=42")) == []


def test_delete_is_all_or_nothing(client: Client, tree: str) -> None:
    s = tree
    expect_error(lambda: client.delete_dids([f"{s}:f1", f"{s}:nope"]), NOT_FOUND)
    assert client.get_did(f"{s}:f1").name == "f1"


def test_delete_the_same_did_twice_in_one_request_is_refused(client: Client, tree: str) -> None:
    s = tree
    expect_error(lambda: client.delete_dids([f"{s}:f1", f"{s}:f1"]), INVALID)
    assert client.get_did(f"{s}:f1").name == "f1"


def test_delete_parent_and_child_together(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:c1", [f"{s}:d1"])
    client.attach(f"{s}:d1", [f"{s}:f1"])
    assert client.delete_dids([f"{s}:d1", f"{s}:f1"]) == 2
    assert counters(client, f"{s}:c1") == (0, 0, 0)
    assert list(client.list_content(f"{s}:c1")) == []


def test_detaching_the_same_child_twice_in_one_request_is_refused(client: Client, tree: str) -> None:
    s = tree
    client.attach(f"{s}:d1", [f"{s}:f1", f"{s}:f2"])
    expect_error(lambda: client.detach(f"{s}:d1", [f"{s}:f1", f"{s}:f1"]), INVALID)
    assert [c.name for c in client.list_content(f"{s}:d1")] == ["f1", "f2"]


def test_concurrent_creation_of_the_same_did_is_already_exists(
    client: Client, server: ServerProcess, scope: str
) -> None:
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def create(index: int) -> None:
        with server.client(timeout=30) as own:
            barrier.wait()
            try:
                own.add_dids([NewDid(f"{scope}:race{n}", "dataset") for n in range(20)])
                outcomes.append("created")
            except DidmetaError as error:
                outcomes.append(error.code.name)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ALREADY_EXISTS"] * 7 + ["created"]
    assert client.count_dids(scope) == 20


def test_get_did_shows_every_intrinsic_timestamp(client: Client, scope: str) -> None:
    did = f"{scope}:d"
    client.add_did(did, "dataset")
    client.set_metadata(did, {"eol_at": datetime(2031, 5, 6, tzinfo=UTC), "hidden": True})
    info = client.get_did(did)
    assert info.eol_at == datetime(2031, 5, 6, tzinfo=UTC)
    assert info.hidden is True
    assert info.suppressed is False
    assert info.accessed_at is None


def test_concurrent_creation_of_the_same_scope_is_already_exists(server: ServerProcess, scope: str) -> None:
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def create() -> None:
        with server.client(timeout=30) as own:
            barrier.wait()
            try:
                own.add_scope(f"{scope}race")
                outcomes.append("created")
            except DidmetaError as error:
                outcomes.append(f"{error.code.name}/{error.reason}")

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ALREADY_EXISTS/SCOPE_EXISTS"] * 5 + ["created"]
