"""Rights (spec §8) on every plugin, over gRPC with real HS256 tokens.

For each plugin under test a second real server runs with auth.mode=token on a fresh store of the
same plugin (the conformance server itself stays in `local` mode). Scope `rw` (readable by every
authenticated caller) and scope `rr` (in read_restricted_scopes) are owned by alice and hold DIDs
whose keys `label`, `quality` and `energy` are owned by the plugin under test (`run_number` is
DID_COLUMN's); `rw:ds` also holds `rr:f3`, so recursion crosses into the restricted scope.

* writes of the plugin's keys (SetMetadata, SetMetadataBulk, DeleteMetadata) by a caller that is
  neither owner, admin nor holder of a matching capability are PERMISSION_DENIED naming the right,
  and the values stored in the plugin are unchanged (read back as admin);
* the same writes by a holder of `didmeta.write:<scope>` succeed and land in the plugin;
* listings and counts filtered on the plugin's keys leave the read-restricted scope out for a
  caller without `didmeta.read` on it, plain, negated and recursive, and keep it for a holder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import grpc
import pytest

from didmeta.client import Client, NewDid
from didmeta.values import MetaValue
from tests.conformance.conftest import Conformance
from tests.support.auth import ISSUER, SECRET, hs256_token
from tests.support.checks import expect_error
from tests.support.server import ServerProcess

RW, RR = "rw", "rr"
FILES: dict[str, dict[str, MetaValue]] = {
    "f1": {"label": "one", "quality": "good", "energy": 1.5, "run_number": 1},
    "f2": {"label": "two", "quality": "bad", "energy": 2.5, "run_number": 2},
    "f3": {"label": "three", "quality": "good", "energy": 3.5, "run_number": 3},
}
PLUGIN_KEYS = ("label", "quality", "energy")


@pytest.fixture(scope="module")
def secured(conformance: Conformance, start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """A token-mode server on a fresh store of the plugin under test, populated by the admin."""
    settings = conformance.make_settings()
    settings["auth"] = {
        "mode": "token",
        "hs256_secret": SECRET,
        "issuers": [ISSUER],
        "admin_accounts": ["root"],
        "read_restricted_scopes": [f"{RR}*"],
    }
    server = start_server(settings)
    with server.client(token=hs256_token("root"), timeout=120) as root:
        for scope in (RW, RR):
            root.add_scope(scope, "alice")
            root.add_dids(
                [
                    NewDid(f"{scope}:ds", "dataset", metadata={"label": "set", "quality": "good"}),
                    *(NewDid(f"{scope}:{name}", "file", bytes=1, metadata=dict(md)) for name, md in FILES.items()),
                ]
            )
            root.attach(f"{scope}:ds", [f"{scope}:f1", f"{scope}:f2"])
        root.attach(f"{RW}:ds", [f"{RR}:f3"])
    return server


@pytest.fixture()
def connect(secured: ServerProcess) -> Iterator[Callable[[str, str], Client]]:
    clients: list[Client] = []

    def make(account: str, scope: str = "") -> Client:
        clients.append(secured.client(token=hs256_token(account, scope), timeout=120))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def stored(root: Client, scope: str) -> dict[str, dict[str, Any]]:
    """Every DID's metadata of a scope as the admin reads it (from the plugin under test)."""
    return {name: root.get_metadata(f"{scope}:{name}", "ALL") for name in ("ds", *FILES)}


def _writes(scope: str) -> dict[str, Callable[[Client], Any]]:
    return {
        "SetMetadata": lambda c: c.set_metadata(f"{scope}:f1", {"label": "changed", "energy": 9.5}),
        "SetMetadataBulk": lambda c: c.set_metadata_bulk(
            [(f"{scope}:f1", {"quality": "changed"}), (f"{scope}:f2", {"label": "changed"})]
        ),
        "DeleteMetadata": lambda c: c.delete_metadata(f"{scope}:f2", ["label", "quality"]),
    }


@pytest.mark.parametrize("rpc", ["SetMetadata", "SetMetadataBulk", "DeleteMetadata"])
@pytest.mark.parametrize(
    "capability", ["", "didmeta.write:other", "didmeta.read:rw", "didmeta.delete:rw"], ids=lambda c: c or "none"
)
def test_writes_of_plugin_keys_without_the_right_are_denied_and_change_nothing(
    conformance: Conformance, connect: Callable[[str, str], Client], rpc: str, capability: str
) -> None:
    root = connect("root", "")
    before = stored(root, RW)
    assert before["f1"]["label"] == "one" and before["f2"]["quality"] == "bad"
    caller = connect("bob", capability)
    error = expect_error(partial(_writes(RW)[rpc], caller), grpc.StatusCode.PERMISSION_DENIED)
    assert error.metadata["right"] == "didmeta.write"
    assert error.metadata["scope"] == RW
    assert stored(root, RW) == before, f"{conformance.backend}: a denied {rpc} changed the plugin's values"
    # Nor did it change what a filter on the plugin's keys finds.
    assert list(root.list_dids(RW, "label=changed", type="all")) == []


def test_write_capability_on_the_scope_allows_writes_of_plugin_keys(
    conformance: Conformance, connect: Callable[[str, str], Client]
) -> None:
    scope = "ww"  # outside the pattern r* of the listing cases
    root = connect("root", "")
    root.add_scope(scope, "alice")
    root.add_dids([NewDid(f"{scope}:{name}", "file", bytes=1, metadata=dict(md)) for name, md in FILES.items()])
    writer = connect("bob", f"didmeta.write:{scope}")
    for write in _writes(scope).values():
        write(writer)
    after = {name: root.get_metadata(f"{scope}:{name}", "ALL") for name in FILES}
    assert after["f1"]["label"] == "changed" and after["f1"]["energy"] == 9.5
    assert after["f1"]["quality"] == "changed"
    assert "label" not in after["f2"] and "quality" not in after["f2"]
    assert {key: after["f3"].get(key) for key in FILES["f3"]} == FILES["f3"], conformance.backend
    assert list(root.list_dids(scope, "label=changed", type="all")) == [f"{scope}:f1"]
    # The capability is narrowed to its scope: the same writer is refused on alice's other scope.
    expect_error(lambda: writer.set_metadata(f"{RW}:f1", {"label": "x"}), grpc.StatusCode.PERMISSION_DENIED)


@pytest.mark.parametrize(
    ("expression", "plain"),
    [
        ("quality=good", ["ds", "f1", "f3"]),
        ("label!=two", ["ds", "f1", "f3"]),
        ("energy>2", ["f2", "f3"]),
        ("label=one;quality=bad", ["f1", "f2"]),
        ("quality=good,run_number>=3", ["f3"]),
    ],
)
def test_listings_filtered_on_plugin_keys_leave_out_read_restricted_scopes(
    conformance: Conformance, connect: Callable[[str, str], Client], expression: str, plain: list[str]
) -> None:
    both = sorted(f"{scope}:{name}" for scope in (RW, RR) for name in plain)
    open_only = [did for did in both if did.startswith(f"{RW}:")]
    for caller, expected in [
        (connect("root", ""), both),
        (connect("alice", ""), both),
        (connect("bob", f"didmeta.read:{RR}"), both),
        (connect("bob", ""), open_only),
        (connect("bob", "didmeta.read:other"), open_only),
        (connect("bob", f"didmeta.write:{RR}"), open_only),
    ]:
        assert sorted(caller.list_dids("r*", expression, type="all")) == expected, conformance.backend
        assert caller.count_dids("r*", expression, type="all") == len(expected), conformance.backend
        assert caller.count_totals("r*", expression, type="all").count == len(expected), conformance.backend
        facets = caller.facet_dids("r*", expression, ["name"], type="all")
        assert facets.count == len(expected), conformance.backend
        assert sum(n for _, n in facets.facets[0].values) == len(expected), conformance.backend


def test_recursive_listing_on_plugin_keys_does_not_reach_into_read_restricted_scopes(
    conformance: Conformance, connect: Callable[[str, str], Client]
) -> None:
    # Roots: rw:ds; below it, the DIDs matching the filter without its name clause (f2 is "bad").
    mine = [f"{RW}:ds", f"{RW}:f1"]
    for caller, expected in [
        (connect("root", ""), [*mine, f"{RR}:f3"]),
        (connect("bob", f"didmeta.read:{RR}"), [*mine, f"{RR}:f3"]),
        (connect("bob", ""), mine),
    ]:
        found = sorted(caller.list_dids(RW, "name=ds,quality=good", type="all", recursive=True))
        assert found == sorted(expected), conformance.backend
        assert caller.count_dids(RW, "name=ds,quality=good", type="all", recursive=True) == len(expected)
    assert [c.name for c in connect("bob", "").list_content(f"{RW}:ds")] == ["f1", "f2"]


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ("", [f"{RW}:f1", f"{RW}:f3"]),
        (f"didmeta.read:{RR}", [f"{RR}:f1", f"{RR}:f3", f"{RW}:f1", f"{RW}:f3"]),
    ],
    ids=["no-read", "read-rr"],
)
def test_freeze_leaves_out_read_restricted_scopes(
    conformance: Conformance, connect: Callable[[str, str], Client], capability: str, expected: list[str]
) -> None:
    """FreezeDids selects as the caller's listing does: a read-restricted scope it may not read stays out."""
    root = connect("root", "")
    if "fb" not in {s.name for s in root.list_scopes()}:
        root.add_scope("fb", "bob")  # bob's own scope, outside the pattern r*
    target = f"fb:good-{capability.replace(':', '-') or 'plain'}"
    count = connect("bob", capability).freeze_dids(target, "r*", "quality=good", did_type="dataset", type="file")
    assert count == len(expected), conformance.backend
    assert sorted(f"{c.scope}:{c.name}" for c in root.list_content(target)) == expected, conformance.backend
