"""Spec §7: every kind of bad input gets the right status code, rich details, and changes nothing.

Requests are sent with the raw generated stubs, so the server's own validation is what is tested
(the Python client validates some input before sending). After each refused request the whole
observable state of the scope (attributes, metadata of every plugin, content) must be unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import psycopg
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from didmeta.client import Client, DidmetaError, LoadChunk, NewDid, from_rpc_error
from didmeta.errors import ERROR_DOMAIN
from didmeta.v1 import (
    did_pb2,
    did_service_pb2,
    did_service_pb2_grpc,
    filter_pb2,
    metadata_service_pb2,
    metadata_service_pb2_grpc,
    value_pb2,
)
from tests.support.backends import RunningBackend
from tests.support.checks import expect_error, snapshot
from tests.support.server import ServerProcess

Code = grpc.StatusCode
UNKNOWN_TYPE: Any = 42  # an enum number the contract does not define
UNKNOWN_SELECTOR: Any = 99


@dataclass
class Stubs:
    dids: did_service_pb2_grpc.DidServiceStub
    meta: metadata_service_pb2_grpc.MetadataServiceStub


@pytest.fixture()
def stubs(server: ServerProcess) -> Iterator[Stubs]:
    channel = grpc.insecure_channel(server.address)
    yield Stubs(did_service_pb2_grpc.DidServiceStub(channel), metadata_service_pb2_grpc.MetadataServiceStub(channel))
    channel.close()


@pytest.fixture()
def populated(client: Client, scope: str) -> str:
    """c (container) -> d (dataset, closed) -> f1, f2; open dataset o; metadata in both plugins."""
    s = scope
    client.add_dids(
        [
            NewDid(f"{s}:c", "container"),
            NewDid(f"{s}:d", "dataset"),
            NewDid(f"{s}:o", "dataset"),
            NewDid(f"{s}:f1", "file", bytes=1, events=1),
            NewDid(f"{s}:f2", "file", bytes=2),
        ]
    )
    client.attach(f"{s}:d", [f"{s}:f1", f"{s}:f2"])
    client.attach(f"{s}:c", [f"{s}:d"])
    client.set_metadata(f"{s}:d", {"run_number": 5, "colour": "red", "tags": ["a", "b"]})
    client.set_metadata(f"{s}:f1", {"colour": "blue"})
    client.set_status(f"{s}:d", open=False)
    return s


def key(scope: str, name: str) -> did_pb2.DidKey:
    return did_pb2.DidKey(scope=scope, name=name)


def value(**kind: Any) -> value_pb2.Value:
    return value_pb2.Value(**kind)


def call(method: Callable[..., Any], request: Any) -> Any:
    """A unary or server-streaming call, fully consumed."""
    result = method(request, timeout=30)
    return list(result) if isinstance(result, Iterator) or hasattr(result, "__next__") else result


def refused(method: Callable[..., Any], request: Any, code: grpc.StatusCode) -> DidmetaError:
    with pytest.raises(grpc.RpcError) as info:
        call(method, request)
    error = from_rpc_error(info.value)
    assert error.code == code, f"expected {code.name}, got {error.code.name}: {error.message}"
    assert error.message
    assert error.reason and error.reason == error.reason.upper()
    return error


# Each case: (label, builder of (stub method, request) from (stubs, scope), code, field named or None).
Case = tuple[str, Callable[[Stubs, str], tuple[Callable[..., Any], Any]], grpc.StatusCode, str | None]

CASES: list[Case] = [
    # --- identifiers
    (
        "add scope: bad name",
        lambda st, s: (st.dids.AddScope, did_service_pb2.AddScopeRequest(scope="bad scope")),
        Code.INVALID_ARGUMENT,
        "scope",
    ),
    (
        "add dids: empty",
        lambda st, s: (st.dids.AddDids, did_service_pb2.AddDidsRequest()),
        Code.INVALID_ARGUMENT,
        "dids",
    ),
    (
        "add dids: bad name",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(
                dids=[
                    did_pb2.NewDid(scope=s, name="ok", type=did_pb2.DID_TYPE_FILE),
                    did_pb2.NewDid(scope=s, name=".bad", type=did_pb2.DID_TYPE_FILE),
                ]
            ),
        ),
        Code.INVALID_ARGUMENT,
        "dids[1].name",
    ),
    (
        "add dids: empty scope",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(dids=[did_pb2.NewDid(scope="", name="x", type=did_pb2.DID_TYPE_FILE)]),
        ),
        Code.INVALID_ARGUMENT,
        "dids[0].scope",
    ),
    (
        "add dids: no type",
        lambda st, s: (st.dids.AddDids, did_service_pb2.AddDidsRequest(dids=[did_pb2.NewDid(scope=s, name="x")])),
        Code.INVALID_ARGUMENT,
        "dids[0].type",
    ),
    (
        "add dids: unknown type",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(dids=[did_pb2.NewDid(scope=s, name="x", type=UNKNOWN_TYPE)]),
        ),
        Code.INVALID_ARGUMENT,
        "dids[0].type",
    ),
    (
        "add dids: reserved initial key",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(
                dids=[
                    did_pb2.NewDid(
                        scope=s, name="x", type=did_pb2.DID_TYPE_DATASET, metadata={"length": value(int_value=1)}
                    )
                ]
            ),
        ),
        Code.INVALID_ARGUMENT,
        "length",
    ),
    (
        "add dids: unset initial value",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(
                dids=[did_pb2.NewDid(scope=s, name="x", type=did_pb2.DID_TYPE_DATASET, metadata={"k": value()})]
            ),
        ),
        Code.INVALID_ARGUMENT,
        "k",
    ),
    (
        "add dids: scope missing",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(dids=[did_pb2.NewDid(scope=s + "zz", name="x", type=did_pb2.DID_TYPE_FILE)]),
        ),
        Code.NOT_FOUND,
        None,
    ),
    (
        "add dids: exists",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(
                dids=[
                    did_pb2.NewDid(scope=s, name="new", type=did_pb2.DID_TYPE_FILE),
                    did_pb2.NewDid(scope=s, name="f1", type=did_pb2.DID_TYPE_FILE),
                ]
            ),
        ),
        Code.ALREADY_EXISTS,
        None,
    ),
    (
        "get did: missing",
        lambda st, s: (st.dids.GetDid, did_service_pb2.GetDidRequest(did=key(s, "nope"))),
        Code.NOT_FOUND,
        None,
    ),
    (
        "get did: bad name",
        lambda st, s: (st.dids.GetDid, did_service_pb2.GetDidRequest(did=key(s, "a b"))),
        Code.INVALID_ARGUMENT,
        "did.name",
    ),
    ("get did: no did", lambda st, s: (st.dids.GetDid, did_service_pb2.GetDidRequest()), Code.INVALID_ARGUMENT, "did"),
    # --- attachments
    (
        "attach: empty",
        lambda st, s: (st.dids.AttachDids, did_service_pb2.AttachDidsRequest()),
        Code.INVALID_ARGUMENT,
        "attachments",
    ),
    (
        "attach: bad child",
        lambda st, s: (
            st.dids.AttachDids,
            did_service_pb2.AttachDidsRequest(attachments=[did_pb2.Attachment(parent=key(s, "o"), child=key(s, "$$"))]),
        ),
        Code.INVALID_ARGUMENT,
        "attachments[0].child",
    ),
    (
        "attach: already attached to a closed dataset",  # a new child of a closed one: test_dids.py
        lambda st, s: (
            st.dids.AttachDids,
            did_service_pb2.AttachDidsRequest(
                attachments=[
                    did_pb2.Attachment(parent=key(s, "o"), child=key(s, "f1")),
                    did_pb2.Attachment(parent=key(s, "d"), child=key(s, "f1")),
                ]
            ),
        ),
        Code.ALREADY_EXISTS,
        None,
    ),
    (
        "attach: file in container",
        lambda st, s: (
            st.dids.AttachDids,
            did_service_pb2.AttachDidsRequest(attachments=[did_pb2.Attachment(parent=key(s, "c"), child=key(s, "f1"))]),
        ),
        Code.FAILED_PRECONDITION,
        None,
    ),
    (
        "attach: dataset in dataset",
        lambda st, s: (
            st.dids.AttachDids,
            did_service_pb2.AttachDidsRequest(attachments=[did_pb2.Attachment(parent=key(s, "o"), child=key(s, "d"))]),
        ),
        Code.FAILED_PRECONDITION,
        None,
    ),
    (
        "attach: self",
        lambda st, s: (
            st.dids.AttachDids,
            did_service_pb2.AttachDidsRequest(attachments=[did_pb2.Attachment(parent=key(s, "c"), child=key(s, "c"))]),
        ),
        Code.INVALID_ARGUMENT,
        None,
    ),
    (
        "attach: duplicate",
        lambda st, s: (
            st.dids.AttachDids,
            did_service_pb2.AttachDidsRequest(
                attachments=[
                    did_pb2.Attachment(parent=key(s, "c"), child=key(s, "o")),
                    did_pb2.Attachment(parent=key(s, "c"), child=key(s, "d")),
                ]
            ),
        ),
        Code.ALREADY_EXISTS,
        None,
    ),
    (
        "attach: missing child",
        lambda st, s: (
            st.dids.AttachDids,
            did_service_pb2.AttachDidsRequest(
                attachments=[did_pb2.Attachment(parent=key(s, "o"), child=key(s, "nope"))]
            ),
        ),
        Code.NOT_FOUND,
        None,
    ),
    (
        "detach: closed",
        lambda st, s: (
            st.dids.DetachDids,
            did_service_pb2.DetachDidsRequest(attachments=[did_pb2.Attachment(parent=key(s, "d"), child=key(s, "f1"))]),
        ),
        Code.FAILED_PRECONDITION,
        None,
    ),
    (
        "detach: not attached",
        lambda st, s: (
            st.dids.DetachDids,
            did_service_pb2.DetachDidsRequest(
                attachments=[
                    did_pb2.Attachment(parent=key(s, "c"), child=key(s, "d")),
                    did_pb2.Attachment(parent=key(s, "c"), child=key(s, "o")),
                ]
            ),
        ),
        Code.NOT_FOUND,
        None,
    ),
    (
        "status: file",
        lambda st, s: (st.dids.SetDidStatus, did_service_pb2.SetDidStatusRequest(did=key(s, "f1"))),
        Code.FAILED_PRECONDITION,
        None,
    ),
    (
        "content: missing",
        lambda st, s: (st.dids.ListContent, did_service_pb2.ListContentRequest(did=key(s, "zz"))),
        Code.NOT_FOUND,
        None,
    ),
    (
        "delete: empty",
        lambda st, s: (st.dids.DeleteDids, did_service_pb2.DeleteDidsRequest()),
        Code.INVALID_ARGUMENT,
        "dids",
    ),
    (
        "delete: one missing",
        lambda st, s: (st.dids.DeleteDids, did_service_pb2.DeleteDidsRequest(dids=[key(s, "o"), key(s, "nope")])),
        Code.NOT_FOUND,
        None,
    ),
    (
        "delete: bad name",
        lambda st, s: (st.dids.DeleteDids, did_service_pb2.DeleteDidsRequest(dids=[key(s, "o"), key(s, "a:b")])),
        Code.INVALID_ARGUMENT,
        "dids[1].name",
    ),
    # --- metadata writes
    (
        "set: no keys",
        lambda st, s: (st.meta.SetMetadata, metadata_service_pb2.SetMetadataRequest(did=key(s, "o"))),
        Code.INVALID_ARGUMENT,
        "metadata",
    ),
    (
        "set: unset value",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(
                did=key(s, "o"), metadata={"ok": value(int_value=1), "broken": value()}
            ),
        ),
        Code.INVALID_ARGUMENT,
        "broken",
    ),
    (
        "set: nan",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(
                did=key(s, "o"), metadata={"ok": value(int_value=1), "x": value(double_value=float("nan"))}
            ),
        ),
        Code.INVALID_ARGUMENT,
        "x",
    ),
    (
        "set: bad key",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(
                did=key(s, "o"), metadata={"ok": value(int_value=1), "a.b": value(int_value=1)}
            ),
        ),
        Code.INVALID_ARGUMENT,
        "a.b",
    ),
    (
        "set: dollar key",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(did=key(s, "o"), metadata={"$where": value(int_value=1)}),
        ),
        Code.INVALID_ARGUMENT,
        "$where",
    ),
    (
        "set: reserved key",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(
                did=key(s, "o"), metadata={"ok": value(int_value=1), "is_open": value(bool_value=False)}
            ),
        ),
        Code.INVALID_ARGUMENT,
        "is_open",
    ),
    (
        "set: wrong column type",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(
                did=key(s, "o"), metadata={"ok": value(int_value=1), "run_number": value(string_value="x")}
            ),
        ),
        Code.INVALID_ARGUMENT,
        "run_number",
    ),
    (
        "set: missing did",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(did=key(s, "nope"), metadata={"ok": value(int_value=1)}),
        ),
        Code.NOT_FOUND,
        None,
    ),
    (
        "bulk set: one missing did",
        lambda st, s: (
            st.meta.SetMetadataBulk,
            metadata_service_pb2.SetMetadataBulkRequest(
                items=[
                    did_pb2.DidMetadata(did=key(s, "o"), metadata={"ok": value(int_value=1)}),
                    did_pb2.DidMetadata(did=key(s, "nope"), metadata={"ok": value(int_value=1)}),
                ]
            ),
        ),
        Code.NOT_FOUND,
        None,
    ),
    (
        "bulk set: empty",
        lambda st, s: (st.meta.SetMetadataBulk, metadata_service_pb2.SetMetadataBulkRequest()),
        Code.INVALID_ARGUMENT,
        "items",
    ),
    (
        "delete key: not set",
        lambda st, s: (
            st.meta.DeleteMetadata,
            metadata_service_pb2.DeleteMetadataRequest(did=key(s, "d"), keys=["colour", "absent"]),
        ),
        Code.NOT_FOUND,
        None,
    ),
    (
        "delete key: intrinsic",
        lambda st, s: (
            st.meta.DeleteMetadata,
            metadata_service_pb2.DeleteMetadataRequest(did=key(s, "d"), keys=["colour", "bytes"]),
        ),
        Code.FAILED_PRECONDITION,
        None,
    ),
    (
        "delete key: bad key",
        lambda st, s: (
            st.meta.DeleteMetadata,
            metadata_service_pb2.DeleteMetadataRequest(did=key(s, "d"), keys=["colour", "a b"]),
        ),
        Code.INVALID_ARGUMENT,
        "keys[1]",
    ),
    (
        "delete key: twice",
        lambda st, s: (
            st.meta.DeleteMetadata,
            metadata_service_pb2.DeleteMetadataRequest(did=key(s, "d"), keys=["colour", "colour"]),
        ),
        Code.INVALID_ARGUMENT,
        "keys",
    ),
    # --- metadata reads
    (
        "get: unknown plugin",
        lambda st, s: (st.meta.GetMetadata, metadata_service_pb2.GetMetadataRequest(did=key(s, "d"), plugin="NOPE")),
        Code.INVALID_ARGUMENT,
        "plugin",
    ),
    (
        "get: missing did",
        lambda st, s: (st.meta.GetMetadata, metadata_service_pb2.GetMetadataRequest(did=key(s, "nope"))),
        Code.NOT_FOUND,
        None,
    ),
    (
        "bulk get: bad did",
        lambda st, s: (
            st.meta.GetMetadataBulk,
            metadata_service_pb2.GetMetadataBulkRequest(dids=[key(s, "d"), key(s, "")]),
        ),
        Code.INVALID_ARGUMENT,
        "dids[1].name",
    ),
    (
        "bulk get: unknown plugin",
        lambda st, s: (
            st.meta.GetMetadataBulk,
            metadata_service_pb2.GetMetadataBulkRequest(dids=[key(s, "d")], plugin="NOPE"),
        ),
        Code.INVALID_ARGUMENT,
        "plugin",
    ),
    # --- listing
    (
        "list: no scope",
        lambda st, s: (st.meta.ListDids, metadata_service_pb2.ListDidsRequest()),
        Code.INVALID_ARGUMENT,
        "scope",
    ),
    (
        "list: negative limit",
        lambda st, s: (st.meta.ListDids, metadata_service_pb2.ListDidsRequest(scope=s, limit=-5)),
        Code.INVALID_ARGUMENT,
        "limit",
    ),
    (
        "list: bad selector",
        lambda st, s: (st.meta.ListDids, metadata_service_pb2.ListDidsRequest(scope=s, type=UNKNOWN_SELECTOR)),
        Code.INVALID_ARGUMENT,
        "type",
    ),
    (
        "list: bad expression",
        lambda st, s: (
            st.meta.ListDids,
            metadata_service_pb2.ListDidsRequest(scope=s, filter=filter_pb2.Filter(expression="run=1,a<b<c<d")),
        ),
        Code.INVALID_ARGUMENT,
        "filter",
    ),
    (
        "list: groups and expression",
        lambda st, s: (
            st.meta.ListDids,
            metadata_service_pb2.ListDidsRequest(
                scope=s,
                filter=filter_pb2.Filter(
                    expression="a=1",
                    groups=[
                        filter_pb2.FilterGroup(
                            clauses=[
                                filter_pb2.FilterClause(
                                    key="a", operator=filter_pb2.FILTER_OPERATOR_EQ, value=value(int_value=1)
                                )
                            ]
                        )
                    ],
                ),
            ),
        ),
        Code.INVALID_ARGUMENT,
        "filter",
    ),
    (
        "list: clause without operator",
        lambda st, s: (
            st.meta.ListDids,
            metadata_service_pb2.ListDidsRequest(
                scope=s,
                filter=filter_pb2.Filter(
                    groups=[
                        filter_pb2.FilterGroup(clauses=[filter_pb2.FilterClause(key="a", value=value(int_value=1))])
                    ]
                ),
            ),
        ),
        Code.INVALID_ARGUMENT,
        "operator",
    ),
    (
        "list: clause without value",
        lambda st, s: (
            st.meta.ListDids,
            metadata_service_pb2.ListDidsRequest(
                scope=s,
                filter=filter_pb2.Filter(
                    groups=[
                        filter_pb2.FilterGroup(
                            clauses=[filter_pb2.FilterClause(key="a", operator=filter_pb2.FILTER_OPERATOR_EQ)]
                        )
                    ]
                ),
            ),
        ),
        Code.INVALID_ARGUMENT,
        "value",
    ),
    (
        "list: wildcard with gt",
        lambda st, s: (
            st.meta.ListDids,
            metadata_service_pb2.ListDidsRequest(
                scope=s,
                filter=filter_pb2.Filter(
                    groups=[
                        filter_pb2.FilterGroup(
                            clauses=[
                                filter_pb2.FilterClause(
                                    key="a", operator=filter_pb2.FILTER_OPERATOR_GT, value=value(string_value="x*")
                                )
                            ]
                        )
                    ]
                ),
            ),
        ),
        Code.INVALID_ARGUMENT,
        "filter",
    ),
    (
        "list: bad page token",
        lambda st, s: (st.meta.ListDids, metadata_service_pb2.ListDidsRequest(scope=s, page_token="not-a-token")),
        Code.INVALID_ARGUMENT,
        "page_token",
    ),
    (
        "list: keys without long",
        lambda st, s: (st.meta.ListDids, metadata_service_pb2.ListDidsRequest(scope=s, metadata_keys=["colour"])),
        Code.INVALID_ARGUMENT,
        "metadata_keys",
    ),
    (
        "count: bad filter",
        lambda st, s: (
            st.meta.CountDids,
            metadata_service_pb2.CountDidsRequest(scope=s, filter=filter_pb2.Filter(expression="type>file")),
        ),
        Code.INVALID_ARGUMENT,
        "filter",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_its_status_and_changes_nothing(
    client: Client, stubs: Stubs, populated: str, case: Case
) -> None:
    _label, build, code, field = case
    before = snapshot(client, f"{populated}*")
    scopes_before = client.list_scopes()
    method, request = build(stubs, populated)
    error = refused(method, request, code)
    if field is not None:
        fields = [v.field for v in error.field_violations]
        assert any(field in f for f in fields), f"no field violation naming {field!r}: {fields} ({error.message})"
    if code == Code.INVALID_ARGUMENT:
        assert error.field_violations, f"INVALID_ARGUMENT without BadRequest details: {error.message}"
    assert snapshot(client, f"{populated}*") == before
    assert client.list_scopes() == scopes_before


def test_status_details_are_error_info_and_bad_request(stubs: Stubs, scope: str) -> None:
    request = metadata_service_pb2.SetMetadataRequest(did=key(scope, "x"), metadata={"a.b": value(int_value=1)})
    with pytest.raises(grpc.RpcError) as info:
        stubs.meta.SetMetadata(request, timeout=10)
    status = rpc_status.from_call(info.value)  # type: ignore[arg-type]
    assert status is not None and status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    kinds: dict[str, Any] = {}
    for detail in status.details:
        for message_type in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest):
            if detail.Is(message_type.DESCRIPTOR):
                unpacked = message_type()
                detail.Unpack(unpacked)
                kinds[message_type.__name__] = unpacked
    info_detail = kinds["ErrorInfo"]
    assert info_detail.domain == ERROR_DOMAIN and info_detail.reason == "INVALID_KEY"
    bad_request = kinds["BadRequest"]
    assert any("a.b" in v.field for v in bad_request.field_violations)


def test_client_exceptions_carry_reason_metadata_and_field_violations(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:exists", "dataset")
    error = expect_error(lambda: client.get_metadata(f"{scope}:exists", "NOPE"), Code.INVALID_ARGUMENT)
    assert error.reason == "UNKNOWN_PLUGIN"
    assert [v.field for v in error.field_violations] == ["plugin"]
    assert "NOPE" in error.field_violations[0].description
    missing = expect_error(lambda: client.get_did(f"{scope}:x"), Code.NOT_FOUND)
    assert missing.reason == "DID_NOT_FOUND"
    assert missing.metadata.get("did") == f"{scope}:x"


def test_load_dids_is_atomic_per_chunk_and_reports_the_chunk(client: Client, scope: str) -> None:
    chunks = [
        LoadChunk(dids=[NewDid(f"{scope}:a{i}", "file", bytes=i) for i in range(3)]),
        LoadChunk(dids=[NewDid(f"{scope}:b0", "dataset")], metadata=[(f"{scope}:a0", {"bytes": 1})]),
        LoadChunk(dids=[NewDid(f"{scope}:c0", "dataset")]),
    ]
    error = expect_error(lambda: client.load(chunks), Code.INVALID_ARGUMENT)
    assert "chunk 1" in error.message
    assert error.metadata.get("chunks_applied") == "1"
    assert sorted(client.list_dids(scope, type="all")) == [f"{scope}:a0", f"{scope}:a1", f"{scope}:a2"]


def test_load_dids_applies_every_chunk(client: Client, scope: str) -> None:
    chunks = [
        LoadChunk(dids=[NewDid(f"{scope}:ds", "dataset", metadata={"k": 1})]),
        LoadChunk(
            dids=[NewDid(f"{scope}:f{i}", "file", bytes=1) for i in range(4)],
            attachments=[(f"{scope}:ds", f"{scope}:f{i}") for i in range(4)],
        ),
        LoadChunk(metadata=[(f"{scope}:f0", {"k": 2})]),
    ]
    result = client.load(chunks)
    assert (result.chunks, result.created, result.updated, result.attached) == (3, 5, 1, 4)
    assert client.get_did(f"{scope}:ds").length == 4
    assert client.get_metadata(f"{scope}:f0", "JSON") == {"k": 2}


# --- limits of the server ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_server(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    return start_server({"database": make_catalogue_url(catalogue_kind), "log_format": "text", "max_request_items": 5})


def test_request_too_large_is_resource_exhausted(small_server: ServerProcess) -> None:
    with small_server.client(timeout=30) as client:
        client.add_scope("big")
        error = expect_error(
            lambda: client.add_dids([NewDid(f"big:f{i}", "file") for i in range(6)]), Code.RESOURCE_EXHAUSTED
        )
        assert "5" in error.message
        assert list(client.list_dids("big", type="all")) == []
        client.add_dids([NewDid(f"big:f{i}", "file") for i in range(5)])
        items: list[tuple[str, dict[str, Any]]] = [(f"big:f{i}", {"k": 1}) for i in range(5)] + [("big:f0", {"k": 2})]
        expect_error(lambda: client.set_metadata_bulk(items), Code.RESOURCE_EXHAUSTED)
        assert all(m == {} for _, m in client.get_metadata_bulk([f"big:f{i}" for i in range(5)], "JSON"))


# --- a backend that goes down --------------------------------------------------------------------------------------
def test_catalogue_database_down_is_unavailable_and_the_server_stays_up(
    postgres_server: RunningBackend, start_server: Callable[..., ServerProcess]
) -> None:
    from tests.support.databases import new_postgres_database

    url = new_postgres_database(postgres_server.url, "down")
    database = url.rsplit("/", 1)[1]
    server = start_server({"database": url, "log_format": "text"})
    admin = psycopg.connect(postgres_server.url, autocommit=True)
    try:
        with server.client(timeout=30, resume_attempts=0) as client:
            client.add_scope("up")
            client.add_did("up:d", "dataset")
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
            error = expect_error(lambda: client.get_did("up:d"), Code.UNAVAILABLE)
            assert "password" not in error.message.lower()
            expect_error(lambda: list(client.list_dids("up")), Code.UNAVAILABLE)
            assert server.process is not None and server.process.poll() is None
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            deadline = time.monotonic() + 30
            while True:
                try:
                    assert client.get_did("up:d").name == "d"
                    break
                except DidmetaError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            assert list(client.list_dids("up")) == ["up:d"]
    finally:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        admin.close()
        server.stop()


def test_backend_failure_in_the_middle_of_a_stream_ends_it_with_that_status(
    postgres_server: RunningBackend, start_server: Callable[..., ServerProcess]
) -> None:
    from tests.support.databases import new_postgres_database

    url = new_postgres_database(postgres_server.url, "midstream")
    database = url.rsplit("/", 1)[1]
    server = start_server({"database": url, "log_format": "text"})
    admin = psycopg.connect(postgres_server.url, autocommit=True)
    total = 20_000
    try:
        with server.client(timeout=120, resume_attempts=0) as client:
            client.add_scope("mid")
            for start in range(0, total, 5000):
                client.add_dids(
                    [NewDid(f"mid:d{i:06d}", "dataset", metadata={"i": i}) for i in range(start, start + 5000)]
                )
            received = 0
            with pytest.raises(DidmetaError) as info:
                for index, response in enumerate(
                    client.list_dids_batches("mid", long=True, metadata_keys=["i"], batch_size=100)
                ):
                    received += len(response.batch.names)
                    if index == 0:
                        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
                        admin.execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
                        )
            assert info.value.code == Code.UNAVAILABLE, info.value.message
            assert 0 < received < total
    finally:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        admin.close()
        server.stop()


FIELD_PATH_CASES: list[tuple[str, Callable[[Stubs, str], tuple[Callable[..., Any], Any]], str]] = [
    (
        "set: bad key",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(did=key(s, "o"), metadata={"a.b": value(int_value=1)}),
        ),
        "metadata.a.b",
    ),
    (
        "set: reserved key",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(did=key(s, "o"), metadata={"bytes": value(int_value=1)}),
        ),
        "metadata.bytes",
    ),
    (
        "set: wrong column type",
        lambda st, s: (
            st.meta.SetMetadata,
            metadata_service_pb2.SetMetadataRequest(did=key(s, "o"), metadata={"run_number": value(string_value="x")}),
        ),
        "metadata.run_number",
    ),
    (
        "bulk set: bad key in item 1",
        lambda st, s: (
            st.meta.SetMetadataBulk,
            metadata_service_pb2.SetMetadataBulkRequest(
                items=[
                    did_pb2.DidMetadata(did=key(s, "o"), metadata={"ok": value(int_value=1)}),
                    did_pb2.DidMetadata(did=key(s, "d"), metadata={"a.b": value(int_value=1)}),
                ]
            ),
        ),
        "items[1].metadata.a.b",
    ),
    (
        "bulk set: wrong column type in item 1",
        lambda st, s: (
            st.meta.SetMetadataBulk,
            metadata_service_pb2.SetMetadataBulkRequest(
                items=[
                    did_pb2.DidMetadata(did=key(s, "o"), metadata={"ok": value(int_value=1)}),
                    did_pb2.DidMetadata(did=key(s, "d"), metadata={"run_number": value(string_value="x")}),
                ]
            ),
        ),
        "items[1].metadata.run_number",
    ),
    (
        "add dids: wrong column type in did 1",
        lambda st, s: (
            st.dids.AddDids,
            did_service_pb2.AddDidsRequest(
                dids=[
                    did_pb2.NewDid(scope=s, name="n0", type=did_pb2.DID_TYPE_DATASET),
                    did_pb2.NewDid(
                        scope=s,
                        name="n1",
                        type=did_pb2.DID_TYPE_DATASET,
                        metadata={"run_number": value(string_value="x")},
                    ),
                ]
            ),
        ),
        "dids[1].metadata.run_number",
    ),
]


@pytest.mark.parametrize("case", FIELD_PATH_CASES, ids=[c[0] for c in FIELD_PATH_CASES])
def test_field_violations_name_the_request_field_exactly(
    client: Client,
    stubs: Stubs,
    populated: str,
    case: tuple[str, Callable[[Stubs, str], tuple[Callable[..., Any], Any]], str],
) -> None:
    """A BadRequest field path points into the request that was sent (as in google.rpc.BadRequest)."""
    _label, build, expected = case
    method, request = build(stubs, populated)
    error = refused(method, request, Code.INVALID_ARGUMENT)
    assert [v.field for v in error.field_violations] == [expected]
