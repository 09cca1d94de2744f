"""Rights settled on the event loop (`Access.allowed_by_rules`) never allow what `Access.check` denies.

`authorize` lets a small request through on the loop when the rules alone allow it (no scope owner, no
DID to read) and otherwise runs `check` in a worker thread. For every RPC with a one-DID request, every
kind of caller (owner, holder of a capability, other account; restricted and open scopes), the two must
agree wherever the loop says yes, and the loop must say yes where no catalogue read is needed (reads of
open scopes, capabilities), which is what saves the thread hand-off.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from didmeta.errors import PermissionDenied
from didmeta.identifiers import DidKey, DidType
from didmeta.server.access.identity import Capability, Identity
from didmeta.server.access.rights import ADMIN, READ, WRITE, Access
from didmeta.server.config import AuthSettings, Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.v1 import did_pb2, did_service_pb2, filter_pb2
from didmeta.v1 import metadata_service_pb2 as pb

SCOPES = {"open.alice": "alice", "open.bob": "bob", "rs.alice": "alice", "rs.bob": "bob"}

CALLERS = [
    Identity("alice", False),
    Identity("carol", False),
    Identity("carol", False, (Capability(READ, "rs.*"),)),
    Identity("carol", False, (Capability(WRITE, "open.bob"),)),
    Identity("carol", False, (Capability(ADMIN, "rs.bob"),)),
    Identity("carol", False, (Capability(READ),)),
]


def one_did_requests(scope: str) -> dict[str, Any]:
    did = did_pb2.DidKey(scope=scope, name="f")
    return {
        "GetDid": did_service_pb2.GetDidRequest(did=did),
        "ListContent": did_service_pb2.ListContentRequest(did=did),
        "SetDidStatus": did_service_pb2.SetDidStatusRequest(did=did),
        "GetMetadata": pb.GetMetadataRequest(did=did),
        "SetMetadata": pb.SetMetadataRequest(did=did),
        "SetMetadata recursive": pb.SetMetadataRequest(did=did, recursive=True),
        "DeleteMetadata": pb.DeleteMetadataRequest(did=did),
        "ListDids": pb.ListDidsRequest(scope=scope, filter=filter_pb2.Filter(expression="run_number=1")),
        "AddScope": did_service_pb2.AddScopeRequest(scope=scope),
    }


@pytest.fixture
def access(make_catalogue_url: Callable[[str], str]) -> Access:
    settings = Settings.model_validate({})
    store = Store(make_catalogue_url("sqlite"))
    dispatcher = Dispatcher.from_settings(settings, store)
    dispatcher.start()
    for scope, owner in SCOPES.items():
        dispatcher.add_scope(scope, owner)
        dispatcher.add_dids([NewDid(NewDidSpec(DidKey(scope, "f"), DidType.DATASET, owner), {})])
    return Access(AuthSettings.model_validate({"read_restricted_scopes": ["rs.*"]}), store)


def test_the_loop_allows_only_what_check_allows(access: Access) -> None:
    on_loop = in_thread = 0
    for caller, scope in itertools.product(CALLERS, SCOPES):
        for label, request in one_did_requests(scope).items():
            rpc = label.split()[0]
            try:
                access.check(rpc, request, caller)
                allowed = True
            except PermissionDenied:
                allowed = False
            if access.allowed_by_rules(rpc, request, caller):
                on_loop += 1
                assert allowed, (label, caller, scope)
            else:
                in_thread += 1
    assert on_loop > 40 and in_thread > 40, (on_loop, in_thread)


@pytest.mark.parametrize(
    ("caller", "rpc", "scope", "on_loop"),
    [
        (CALLERS[1], "GetMetadata", "open.bob", True),  # reading an open scope: nothing to look up
        (CALLERS[1], "ListDids", "rs.bob", True),  # listings are open (narrowed by the query)
        (CALLERS[2], "GetMetadata", "rs.bob", True),  # a capability covers the restricted scope
        (CALLERS[3], "SetMetadata", "open.bob", True),
        (CALLERS[0], "GetMetadata", "rs.alice", False),  # her own restricted scope: the owner is looked up
        (CALLERS[0], "SetMetadata", "open.alice", False),
        (CALLERS[3], "SetMetadata recursive", "open.bob", False),  # the children's scopes are read
        (CALLERS[1], "GetMetadata", "rs.bob", False),  # denied, by `check`
    ],
)
def test_what_the_loop_settles(access: Access, caller: Identity, rpc: str, scope: str, on_loop: bool) -> None:
    request = one_did_requests(scope)[rpc]
    assert access.allowed_by_rules(rpc.split(maxsplit=1)[0], request, caller) is on_loop
