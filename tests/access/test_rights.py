"""Every RPC's rights against a real token-mode server: for each RPC, callers that hold the right
succeed and callers that do not get PERMISSION_DENIED naming the right and the scope, with the
catalogue unchanged (a fingerprint of every table of the database)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import grpc
import pytest
from sqlalchemy import text

from didmeta.client import Client, LoadChunk, NewDid
from didmeta.errors import NotFound
from didmeta.identifiers import DidKey
from didmeta.server.access.rights import RULES
from didmeta.v1 import did_pb2, did_service_pb2, did_service_pb2_grpc, metadata_service_pb2
from tests.support.auth import ISSUER, SECRET, hs256_token
from tests.support.checks import catalogue_fingerprint, engine_for, expect_error
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess

_names = itertools.count()
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def rights_server(
    tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    directory = tmp_path_factory.mktemp("rights-server")
    return start_server(
        {
            "database": new_sqlite_database(directory),
            "log_format": "text",
            "auth": {
                "mode": "token",
                "hs256_secret": SECRET,
                "issuers": [ISSUER],
                "admin_accounts": ["root"],
                "read_restricted_scopes": ["rs*"],
            },
        }
    )


def fingerprint(server: ServerProcess) -> str:
    """A hash of every row of every table of the server's catalogue database."""
    engine = engine_for(server)
    try:
        return catalogue_fingerprint(engine)
    finally:
        engine.dispose()


def populate(server: ServerProcess, prefix: str, embargoed: bool = False) -> str:
    """A fresh scope owned by alice: open dataset D with files f1, f2 (f1 has run=1), and a loose file f3.

    With `embargoed`, also a file `emb` under an embargo set by root.
    """
    scope = f"{prefix}{next(_names)}"
    with server.client(token=hs256_token("root"), timeout=30) as root:
        root.add_scope(scope, "alice")
        root.add_dids(
            [
                NewDid(f"{scope}:D", "dataset"),
                NewDid(f"{scope}:f1", "file", bytes=1, metadata={"run": 1}),
                NewDid(f"{scope}:f2", "file", bytes=2),
                NewDid(f"{scope}:f3", "file", bytes=3),
            ]
        )
        root.attach(f"{scope}:D", [f"{scope}:f1", f"{scope}:f2"])
        if embargoed:
            root.add_did(f"{scope}:emb", "file", bytes=5)
            root.set_embargo(f"{scope}:emb", FAR_FUTURE)
    return scope


def token_for(caller: str, scope: str) -> str | None:
    """`bob`, `bob didmeta.write@` (on this scope), `bob didmeta.write@other`, `bob didmeta.admin@*` (scope*)."""
    if caller == "anonymous":
        return None
    account, _, capability = caller.partition(" ")
    if not capability:
        return hs256_token(account)
    right, _, where = capability.partition("@")
    pattern = {"": scope, "*": f"{scope}*"}.get(where, where)
    return hs256_token(account, f"{right}:{pattern}")


@dataclass(frozen=True)
class Case:
    prefix: str  # "ws" (readable by all) or "rs" (read-restricted)
    call: Callable[[Client, str], Any]
    allowed: tuple[str, ...]
    denied: tuple[str, ...]
    right: str | None  # named in the PERMISSION_DENIED; None: the answer is narrowed instead
    embargoed: bool = False  # the scope also holds `emb`, under an embargo
    any_scope: bool = False  # the right is needed on every scope (`*`), not on the test's scope


WRITERS = ("alice", "root", "bob didmeta.write@", "bob didmeta.admin@")
NOT_WRITERS = ("bob", "bob didmeta.write@other", "bob didmeta.read@", "bob didmeta.delete@")
READERS = ("alice", "root", "bob didmeta.read@", "bob didmeta.admin@")
NOT_READERS = ("bob", "bob didmeta.read@other", "bob didmeta.write@")


def _load(c: Client, s: str) -> Any:
    return c.load([LoadChunk(dids=[NewDid(f"{s}:loaded", "file", bytes=4)], metadata=[(f"{s}:f3", {"run": 3})])])


def _get_key(c: Client) -> list[Any]:
    """GetKey of a key nobody declared: NOT_FOUND comes after the rights check, so it shows access."""
    try:
        return [c.get_key("never_declared")]
    except NotFound:
        return ["not declared"]


def _delete_key(c: Client) -> list[Any]:
    try:
        c.delete_key("never_declared")
    except NotFound:
        return ["not declared"]
    return ["deleted"]


def _not_found_is_access(call: Callable[[], Any]) -> list[Any]:
    """NOT_FOUND comes after the rights check: it shows the caller got through."""
    try:
        return [call()]
    except NotFound:
        return ["not found"]


CASES: dict[str, Case] = {
    "AddScope": Case(
        "ws",
        lambda c, s: c.add_scope(f"{s}x{next(_names)}", "bob"),
        ("root", "bob didmeta.admin@*"),
        ("alice", "bob", "bob didmeta.write@*"),
        "didmeta.admin",
    ),
    "AddDids": Case("ws", lambda c, s: c.add_did(f"{s}:new", "file", bytes=1), WRITERS, NOT_WRITERS, "didmeta.write"),
    "GetDid": Case("rs", lambda c, s: c.get_did(f"{s}:f1"), READERS, NOT_READERS, "didmeta.read"),
    "AttachDids": Case("ws", lambda c, s: c.attach(f"{s}:D", [f"{s}:f3"]), WRITERS, NOT_WRITERS, "didmeta.write"),
    "DetachDids": Case("ws", lambda c, s: c.detach(f"{s}:D", [f"{s}:f1"]), WRITERS, NOT_WRITERS, "didmeta.write"),
    "ListContent": Case("rs", lambda c, s: list(c.list_content(f"{s}:D")), READERS, NOT_READERS, "didmeta.read"),
    "SetDidStatus": Case("ws", lambda c, s: c.set_status(f"{s}:D", open=False), WRITERS, NOT_WRITERS, "didmeta.write"),
    "DeleteDids": Case(
        "ws",
        lambda c, s: c.delete_dids([f"{s}:f3"]),
        ("alice", "root", "bob didmeta.delete@", "bob didmeta.admin@"),
        ("bob", "bob didmeta.write@", "bob didmeta.delete@other"),
        "didmeta.delete",
    ),
    "SetMetadata": Case(
        "ws", lambda c, s: c.set_metadata(f"{s}:f1", {"run": 2}), WRITERS, NOT_WRITERS, "didmeta.write"
    ),
    "SetMetadataBulk": Case(
        "ws", lambda c, s: c.set_metadata_bulk([(f"{s}:f2", {"run": 2})]), WRITERS, NOT_WRITERS, "didmeta.write"
    ),
    "LoadDids": Case("ws", _load, WRITERS, NOT_WRITERS, "didmeta.write"),
    "GetMetadata": Case("rs", lambda c, s: c.get_metadata(f"{s}:f1", "ALL"), READERS, NOT_READERS, "didmeta.read"),
    "GetMetadataBulk": Case(
        "rs", lambda c, s: list(c.get_metadata_bulk([f"{s}:f1", f"{s}:f2"])), READERS, NOT_READERS, "didmeta.read"
    ),
    "DeleteMetadata": Case(
        "ws", lambda c, s: c.delete_metadata(f"{s}:f1", ["run"]), WRITERS, NOT_WRITERS, "didmeta.write"
    ),
    # Listings: open to every authenticated caller, narrowed to the scopes it may read.
    "ListScopes": Case("rs", lambda c, s: [x.name for x in c.list_scopes(s)], READERS, NOT_READERS, None),
    "ListDids": Case("rs", lambda c, s: list(c.list_dids(f"{s}*", type="all")), READERS, NOT_READERS, None),
    "CountDids": Case("rs", lambda c, s: c.count_dids("rs*", type="all"), READERS, NOT_READERS, None),
    "ListPlugins": Case("rs", lambda c, s: c.list_plugins(), ("bob", "alice"), ("anonymous",), None),
    "FacetDids": Case(
        "rs", lambda c, s: c.facet_dids(f"{s}*", "", ["scope"], type="all").facets[0].values, READERS, NOT_READERS, None
    ),
    "ExplainDids": Case("rs", lambda c, s: c.explain_dids(f"{s}*").queries, ("bob", "alice"), ("anonymous",), None),
    # Key declarations: reading is open, declaring and deleting need didmeta.admin on every scope.
    "ListKeys": Case("rs", lambda c, s: [c.list_keys()], ("bob", "alice"), ("anonymous",), None),
    "GetKey": Case("rs", lambda c, s: _get_key(c), ("bob", "alice"), ("anonymous",), None),
    "DeclareKey": Case(
        "rs",
        lambda c, s: c.declare_key(f"k{next(_names)}", "int"),
        ("root",),
        ("alice", "bob", "bob didmeta.admin@*"),
        "didmeta.admin",
        any_scope=True,
    ),
    "SaveQuery": Case("rs", lambda c, s: c.save_query(f"q{next(_names)}", s), ("bob", "alice"), ("anonymous",), None),
    "ListSavedQueries": Case("rs", lambda c, s: [c.list_saved_queries()], ("bob", "alice"), ("anonymous",), None),
    "GetSavedQuery": Case(
        "rs", lambda c, s: _not_found_is_access(lambda: c.get_saved_query("none")), ("bob",), ("anonymous",), None
    ),
    "DeleteSavedQuery": Case(
        "rs", lambda c, s: _not_found_is_access(lambda: c.delete_saved_query("none")), ("bob",), ("anonymous",), None
    ),
    "FreezeDids": Case(
        "ws",
        lambda c, s: c.freeze_dids(f"{s}:frozen{next(_names)}", s, "", did_type="dataset", type="file"),
        WRITERS,
        NOT_WRITERS,
        "didmeta.write",
    ),
    "DeleteKey": Case(
        "rs", lambda c, s: _delete_key(c), ("root",), ("alice", "bob didmeta.admin@*"), "didmeta.admin", any_scope=True
    ),
    # Embargo and history. Clearing needs write and sight of the embargoed DID: a writer without
    # didmeta.embargo.read gets NOT_FOUND (tests/conformance/test_embargo.py), so only those who see it.
    "SetEmbargo": Case("ws", lambda c, s: c.set_embargo(f"{s}:f1", FAR_FUTURE), WRITERS, NOT_WRITERS, "didmeta.write"),
    "ClearEmbargo": Case(
        "ws",
        lambda c, s: c.clear_embargo(f"{s}:emb"),
        ("alice", "root", "bob didmeta.admin@"),
        NOT_WRITERS,
        "didmeta.write",
        embargoed=True,
    ),
    "GetEmbargo": Case(
        "rs", lambda c, s: c.get_embargo(f"{s}:emb"), READERS[:2] + READERS[3:], NOT_READERS, "didmeta.read", True
    ),
    "ListHistory": Case("rs", lambda c, s: list(c.list_history(f"{s}:f1")), READERS, NOT_READERS, "didmeta.read"),
}


def test_every_rpc_has_a_rule_and_a_case() -> None:
    rpcs = {
        method.name
        for module, service in ((did_service_pb2, "DidService"), (metadata_service_pb2, "MetadataService"))
        for method in module.DESCRIPTOR.services_by_name[service].methods
    }
    assert set(RULES) == rpcs
    assert set(CASES) == rpcs


def _params(kind: str) -> Iterator[Any]:
    for rpc, case in CASES.items():
        for caller in case.allowed if kind == "allowed" else case.denied:
            yield pytest.param(rpc, caller, id=f"{rpc}-{caller.replace(' ', '+')}")


@pytest.fixture()
def connect(rights_server: ServerProcess) -> Iterator[Callable[[str | None], Client]]:
    clients: list[Client] = []

    def make(token: str | None) -> Client:
        clients.append(rights_server.client(token=token, timeout=30))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.mark.parametrize(("rpc", "caller"), list(_params("allowed")))
def test_allowed_caller_succeeds(
    rights_server: ServerProcess, connect: Callable[[str | None], Client], rpc: str, caller: str
) -> None:
    case = CASES[rpc]
    scope = populate(rights_server, case.prefix, case.embargoed)
    before = fingerprint(rights_server)
    result = case.call(connect(token_for(caller, scope)), scope)
    if rpc in ("ListScopes", "ListDids", "CountDids", "ListPlugins"):
        assert result, f"{caller} should see something through {rpc}"
        if rpc == "ListDids":
            assert f"{scope}:f1" in result
    elif case.prefix == "ws":
        assert fingerprint(rights_server) != before, f"{rpc} by {caller} changed nothing"
    else:
        assert result


@pytest.mark.parametrize(("rpc", "caller"), list(_params("denied")))
def test_denied_caller_changes_and_sees_nothing(
    rights_server: ServerProcess, connect: Callable[[str | None], Client], rpc: str, caller: str
) -> None:
    case = CASES[rpc]
    scope = populate(rights_server, case.prefix, case.embargoed)
    before = fingerprint(rights_server)
    client = connect(token_for(caller, scope))
    if caller == "anonymous":
        expect_error(lambda: case.call(client, scope), grpc.StatusCode.UNAUTHENTICATED, reason="TOKEN_MISSING")
    elif case.right is None:  # a listing: the restricted scope is simply not there
        result = case.call(client, scope)
        if rpc == "CountDids":
            with connect(token_for("root", scope)) as root:
                assert result < case.call(root, scope)
        else:
            assert not any(scope in str(item) for item in result), result
    else:
        error = expect_error(lambda: case.call(client, scope), grpc.StatusCode.PERMISSION_DENIED)
        assert error.metadata["right"] == case.right
        if case.any_scope:
            assert error.metadata["scope"] == "*" and case.right in error.message
        else:
            assert error.metadata["scope"].startswith(scope)
            assert case.right in error.message and scope in error.message
    assert fingerprint(rights_server) == before


def test_recursive_metadata_needs_the_right_on_the_children_scopes(
    rights_server: ServerProcess, connect: Callable[[str | None], Client]
) -> None:
    mine, theirs = populate(rights_server, "ws"), populate(rights_server, "ws")
    with connect(hs256_token("root")) as root:
        root.attach(f"{mine}:D", [f"{theirs}:f3"])  # alice owns both here; give `theirs` to bob:
    # alice's dataset now holds a file of another scope: make that scope bob's.
    engine = engine_for(rights_server)
    with engine.begin() as conn:
        conn.execute(text("UPDATE scopes SET account = 'bob' WHERE scope = :s"), {"s": theirs})
    engine.dispose()
    alice = connect(hs256_token("alice"))
    before = fingerprint(rights_server)
    error = expect_error(
        lambda: alice.set_metadata(f"{mine}:D", {"run": 9}, recursive=True), grpc.StatusCode.PERMISSION_DENIED
    )
    assert error.metadata["scope"] == theirs
    assert fingerprint(rights_server) == before
    alice.set_metadata(f"{mine}:D", {"run": 9})  # not recursive: her own dataset only
    assert alice.get_metadata(f"{mine}:D", "ALL")["run"] == 9


def test_list_scopes_shows_what_the_caller_may_see(
    rights_server: ServerProcess, connect: Callable[[str | None], Client]
) -> None:
    restricted, open_ = populate(rights_server, "rs"), populate(rights_server, "ws")
    bob = {s.name for s in connect(hs256_token("bob")).list_scopes()}
    alice = {s.name for s in connect(hs256_token("alice")).list_scopes()}
    assert open_ in bob and restricted not in bob
    assert {open_, restricted} <= alice
    assert restricted in {s.name for s in connect(hs256_token("bob", f"didmeta.read:{restricted}")).list_scopes()}


def test_restricted_children_stay_out_of_recursive_listings_and_content(
    rights_server: ServerProcess, connect: Callable[[str | None], Client]
) -> None:
    open_, restricted = populate(rights_server, "ws"), populate(rights_server, "rs")
    with connect(hs256_token("root")) as root:
        root.attach(f"{open_}:D", [f"{restricted}:f3"])
        assert f"{restricted}:f3" in set(root.list_dids(open_, "name=D", type="all", recursive=True))
    bob = connect(hs256_token("bob"))
    assert set(bob.list_dids(open_, "name=D", type="all", recursive=True)) == {
        f"{open_}:D",
        f"{open_}:f1",
        f"{open_}:f2",
    }
    assert [c.name for c in bob.list_content(f"{open_}:D")] == ["f1", "f2"]
    assert bob.count_dids(open_, "name=D", type="all", recursive=True) == 3
    reader = connect(hs256_token("bob", f"didmeta.read:{restricted}"))
    assert f"{restricted}:f3" in set(reader.list_dids(open_, "name=D", type="all", recursive=True))


def test_naming_another_account_as_creator_needs_admin(rights_server: ServerProcess) -> None:
    scope = populate(rights_server, "ws")  # alice's scope
    request = did_service_pb2.AddDidsRequest(
        dids=[did_pb2.NewDid(scope=scope, name="spoofed", type=did_pb2.DID_TYPE_FILE, account="bob")]
    )
    before = fingerprint(rights_server)
    with grpc.insecure_channel(rights_server.address) as channel:
        stub = did_service_pb2_grpc.DidServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.AddDids(request, metadata=(("authorization", f"Bearer {hs256_token('alice')}"),), timeout=30)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "didmeta.admin" in str(info.value.details())
        assert fingerprint(rights_server) == before
        request.dids[0].account = "alice"  # herself: fine
        stub.AddDids(request, metadata=(("authorization", f"Bearer {hs256_token('alice')}"),), timeout=30)
    with rights_server.client(token=hs256_token("alice"), timeout=30) as alice:
        assert alice.get_did(f"{scope}:spoofed").account == "alice"


def _arrow_dids(client: Client, scope: str) -> list[str]:
    """The DIDs of an Arrow listing of the whole scope (the embargo holds for Arrow output too)."""
    table = client.list_dids_table(scope, type="all")
    scopes, names = table.column("scope").to_pylist(), table.column("name").to_pylist()
    return [f"{s}:{n}" for s, n in zip(scopes, names, strict=True)]


def test_embargo_with_real_tokens(rights_server: ServerProcess, connect: Callable[[str | None], Client]) -> None:
    """Over gRPC with bearer tokens: an embargoed DID is invisible to a plain reader and to a writer,
    exactly like a missing one, and visible to its scope's owner and to didmeta.embargo.read holders."""
    scope = populate(rights_server, "ws", embargoed=True)
    everything = [f"{scope}:{n}" for n in ("D", "emb", "f1", "f2", "f3")]
    for caller in ("bob", "bob didmeta.write@", "bob didmeta.embargo.read@other"):
        client = connect(token_for(caller, scope))
        assert list(client.list_dids(scope, type="all")) == [d for d in everything if not d.endswith(":emb")]
        assert _arrow_dids(client, scope) == [d for d in everything if not d.endswith(":emb")]
        assert client.count_dids(scope, type="all") == 4
        assert list(client.list_dids(scope, "bytes=5", type="all")) == []
        hidden = expect_error(partial(client.get_did, f"{scope}:emb"), grpc.StatusCode.NOT_FOUND)
        missing = expect_error(partial(client.get_did, f"{scope}:nope"), grpc.StatusCode.NOT_FOUND)
        assert hidden.message.replace(":emb", ":X") == missing.message.replace(":nope", ":X")
        assert hidden.reason == missing.reason
        # GetMetadata's point read on the event loop checks the embargo in its own statement
        hidden = expect_error(partial(client.get_metadata, f"{scope}:emb"), grpc.StatusCode.NOT_FOUND)
        missing = expect_error(partial(client.get_metadata, f"{scope}:nope"), grpc.StatusCode.NOT_FOUND)
        assert hidden.message.replace(":emb", ":X") == missing.message.replace(":nope", ":X")
        assert hidden.reason == missing.reason
        assert client.get_metadata(f"{scope}:f1")["name"] == "f1"
        assert list(client.get_metadata_bulk([f"{scope}:emb", f"{scope}:nope"])) == [
            (DidKey(scope, "emb"), None),
            (DidKey(scope, "nope"), None),
        ]
    for caller in ("alice", "bob didmeta.embargo.read@", "bob didmeta.embargo.read@*", "root"):
        client = connect(token_for(caller, scope))
        assert list(client.list_dids(scope, type="all")) == everything
        assert _arrow_dids(client, scope) == everything
        assert client.get_did(f"{scope}:emb").bytes == 5
        assert client.get_metadata(f"{scope}:emb")["bytes"] == 5
