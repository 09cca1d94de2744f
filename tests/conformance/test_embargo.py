"""Embargo (spec §8) on every plugin: hidden from callers without the right on every read path.

The data goes in through the real server of the plugin under test (admin, `local` mode). The
reads run through a Dispatcher in this process on the SAME catalogue database and plugin backend,
with `current_identity` set to a non-admin Identity: the real SQL and the real backend queries run,
nothing is mocked. The same embargo over gRPC with real tokens: tests/access/test_rights.py.

The tree (scope E owned by alice, scope X owned by bob):

    E:c (container, inh=top)
    ├── E:d1  dataset, RECURSIVE embargo     ── E:f1 (secret=s), X:g1
    ├── E:d2  dataset                        ── E:f2
    └── E:d3  dataset, embargo (not recursive, from_d3=yes) ── E:f3
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from didmeta.errors import NotFound
from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.server.access.identity import Capability, Identity, current_identity
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.freeze import freeze
from didmeta.server.query.facets import FacetSpec, Summaries
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from tests.conformance.conftest import Conformance

_scopes = itertools.count()
ALL = TYPE_SELECTORS["all"]
ADMIN = Identity("root", is_admin=True)
STRANGER = Identity("carol", is_admin=False)
OWNER = Identity("alice", is_admin=False)
BOB = Identity("bob", is_admin=False)


@dataclass
class World:
    dispatcher: Dispatcher
    e: str
    x: str

    def key(self, text: str) -> DidKey:
        scope, name = text.split(":")
        return DidKey({"E": self.e, "X": self.x}[scope], name)

    def names(self, keys: list[DidKey]) -> list[str]:
        back = {self.e: "E", self.x: "X"}
        return [f"{back[k.scope]}:{k.name}" for k in keys]

    def listing(self, expression: str = "", *, recursive: bool = False, scope: str | None = None) -> list[str]:
        query = ListQuery(scope or f"{self.e}*", parse_filter(expression), ALL, recursive=recursive)
        stream = self.dispatcher.open_listing(query, long=False, after=None, limit=None)
        try:
            rows = list(stream.fetch(1000))
        finally:
            stream.close()
        return self.names([DidKey(r[0], r[1]) for r in rows])

    def count(self, expression: str = "", *, recursive: bool = False) -> int:
        query = ListQuery(f"{self.e}*", parse_filter(expression), ALL, recursive=recursive)
        return self.dispatcher.count_dids(query)


@pytest.fixture(scope="module")
def world(conformance: Conformance) -> Iterator[World]:
    n = next(_scopes)
    e, x = f"em{n}", f"em{n}x"
    with conformance.client() as client:
        client.add_scope(e, "alice")
        client.add_scope(x, "bob")
        for did, kind, metadata in [
            (f"{e}:c", "container", {"inh": "top", "label": "c"}),
            (f"{e}:d1", "dataset", {"label": "d", "secret": "s"}),
            (f"{e}:d2", "dataset", {"label": "d"}),
            (f"{e}:d3", "dataset", {"label": "d", "from_d3": "yes"}),
            (f"{e}:f1", "file", {"label": "f", "secret": "s"}),
            (f"{e}:f2", "file", {"label": "f"}),
            (f"{e}:f3", "file", {"label": "f"}),
            (f"{x}:g1", "file", {"label": "f", "secret": "s"}),
        ]:
            client.add_did(did, kind, metadata=metadata)
        client.attach(f"{e}:c", [f"{e}:d1", f"{e}:d2", f"{e}:d3"])
        client.attach(f"{e}:d1", [f"{e}:f1", f"{x}:g1"])
        client.attach(f"{e}:d2", [f"{e}:f2"])
        client.attach(f"{e}:d3", [f"{e}:f3"])
        later = datetime.now(UTC) + timedelta(days=1)
        client.set_embargo(f"{e}:d1", later, recursive=True)
        client.set_embargo(f"{e}:d3", later)
    settings = Settings(**{k: v for k, v in conformance.server.settings.items() if k != "listen"})
    dispatcher = Dispatcher.from_settings(settings, Store(settings.database, partitions=settings.database_partitions))
    dispatcher.start()
    try:
        yield World(dispatcher, e, x)
    finally:
        dispatcher.close()


@pytest.fixture()
def as_caller(request: pytest.FixtureRequest) -> Iterator[None]:
    token = current_identity.set(request.param)
    try:
        yield
    finally:
        current_identity.reset(token)


def _as(identity: Identity) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("as_caller", [identity], indirect=True, ids=[identity.account])


VISIBLE_TO_STRANGER = ["E:c", "E:d2", "E:f2", "E:f3"]
EVERYTHING = ["E:c", "E:d1", "E:d2", "E:d3", "E:f1", "E:f2", "E:f3", "X:g1"]


@_as(STRANGER)
@pytest.mark.usefixtures("as_caller")
def test_embargo_hides_from_plain_filtered_and_counted_listings(world: World) -> None:
    assert world.listing() == VISIBLE_TO_STRANGER
    assert world.count() == len(VISIBLE_TO_STRANGER)
    # A clause owned by the plugin under test (external plugins: merged with the catalogue stream).
    assert world.listing("label=d") == ["E:d2"]
    assert world.listing("label=f") == ["E:f2", "E:f3"]
    assert world.count("label=f") == 2
    # Negative operators (set differences for external plugins) do not bring hidden DIDs back.
    assert world.listing("label!=zzz") == VISIBLE_TO_STRANGER
    assert world.listing("label!=c") == ["E:d2", "E:f2", "E:f3"]
    # No filter or count reveals an embargoed DID's values.
    assert world.listing("secret=s") == []
    assert world.count("secret=s") == 0
    assert world.listing("secret=s", scope=f"{world.x}*") == []
    assert world.listing("from_d3=yes") == []


@_as(STRANGER)
@pytest.mark.usefixtures("as_caller")
def test_facets_and_totals_leave_embargoed_dids_out(world: World) -> None:
    summaries = Summaries(world.dispatcher)
    for expression, recursive in [("", False), ("label!=zzz", False), ("name=c", True), ("secret=s", False)]:
        query = ListQuery(f"{world.e}*", parse_filter(expression), ALL, recursive=recursive)
        visible = world.listing(expression, recursive=recursive)
        assert summaries.totals(query).count == len(visible), expression
        matched, (label, secret) = summaries.facets(query, [FacetSpec("label"), FacetSpec("secret")])
        assert matched == len(visible), expression
        expected_labels: dict[str, int] = {}
        for name in visible:
            label_of = {"c": "c", "d": "d", "f": "f", "g": "f"}[name.split(":")[1][0]]
            expected_labels[label_of] = expected_labels.get(label_of, 0) + 1
        assert dict(label.values) == expected_labels, expression
        # No embargoed DID's value shows: `secret` is only on DIDs the stranger cannot see.
        assert secret.values == [] and secret.missing == len(visible), expression


@_as(OWNER)
@pytest.mark.usefixtures("as_caller")
def test_facets_show_the_owner_everything(world: World) -> None:
    matched, (secret,) = Summaries(world.dispatcher).facets(
        ListQuery(f"{world.e}*", parse_filter(""), ALL), [FacetSpec("secret")]
    )
    assert matched == len(EVERYTHING)  # the pattern `E*` also matches scope X (`E` + "x")
    assert secret.values == [("s", 3)]  # E:d1, E:f1, X:g1


@pytest.mark.parametrize(
    ("identity", "expected"),
    [(STRANGER, ["E:f2", "E:f3"]), (OWNER, ["E:f1", "E:f2", "E:f3", "X:g1"])],
    ids=["stranger", "owner"],
)
def test_freeze_holds_only_what_the_caller_sees(
    world: World, conformance: Conformance, identity: Identity, expected: list[str]
) -> None:
    """FreezeDids lists as the caller sees: a stranger's frozen dataset leaves embargoed files out."""
    target = f"fz{world.e}"  # not under the pattern `E*`, so the other tests' listings are unchanged
    with conformance.client() as client:
        if target not in {s.name for s in client.list_scopes()}:
            client.add_scope(target, "carol")
    new = NewDid(NewDidSpec(DidKey(target, identity.account), DidType.DATASET, identity.account))
    query = ListQuery(f"{world.e}*", parse_filter("label=f"), frozenset({DidType.FILE}))
    token = current_identity.set(identity)
    try:
        assert freeze(world.dispatcher, new, query) == len(expected)
    finally:
        current_identity.reset(token)
    with conformance.client() as client:
        content = [DidKey(c.scope, c.name) for c in client.list_content(f"{target}:{identity.account}")]
        assert client.get_metadata(f"{target}:{identity.account}", "ALL")["frozen_count"] == len(expected)
    assert sorted(world.names(content)) == expected


@_as(STRANGER)
@pytest.mark.usefixtures("as_caller")
def test_recursive_embargo_hides_everything_below_across_scopes(world: World) -> None:
    # Recursion does not walk through an embargoed DID: f1 and X:g1 (below d1), f3 (only below d3).
    assert world.listing("name=c", recursive=True) == ["E:c", "E:d2", "E:f2"]
    assert world.count("name=c", recursive=True) == 3
    # Roots c or any label=f DID: f3 is visible on its own (its embargoed parent is not recursive).
    assert world.listing("name=c;label=f", recursive=True) == ["E:c", "E:d2", "E:f2", "E:f3"]
    assert world.listing(scope=f"{world.x}*") == []


@_as(STRANGER)
@pytest.mark.usefixtures("as_caller")
def test_long_listing_and_resume_keys_skip_embargoed(world: World) -> None:
    query = ListQuery(f"{world.e}*", parse_filter("label!=zzz"), ALL)
    stream = world.dispatcher.open_listing(query, long=True, after=None, limit=None)
    try:
        rows = list(stream.fetch(100))
    finally:
        stream.close()
    assert [(world.names([DidKey(r[0], r[1])])[0], r[2]) for r in rows] == [
        ("E:c", "C"),
        ("E:d2", "D"),
        ("E:f2", "F"),
        ("E:f3", "F"),
    ]
    # Page by page (limit 1, resume after the last key, as a resume token does): exact, nothing hidden.
    pages: list[str] = []
    after: DidKey | None = None
    for _ in range(10):
        stream = world.dispatcher.open_listing(query, long=False, after=after, limit=1)
        try:
            rows = list(stream.fetch(10))
        finally:
            stream.close()
        if not rows:
            break
        after = DidKey(rows[-1][0], rows[-1][1])
        pages.extend(world.names([after]))
    assert pages == VISIBLE_TO_STRANGER


@_as(STRANGER)
@pytest.mark.usefixtures("as_caller")
def test_gets_answer_not_found_exactly_like_a_missing_did(world: World) -> None:
    for getter in (world.dispatcher.get_did, world.dispatcher.get_metadata, world.dispatcher.list_content):
        for hidden, missing in [("E:d1", "E:nope"), ("E:f1", "E:nope"), ("X:g1", "X:nope")]:
            with pytest.raises(NotFound) as hidden_error:
                getter(world.key(hidden))
            with pytest.raises(NotFound) as missing_error:
                getter(world.key(missing))
            assert hidden_error.value.message == f"DID {world.key(hidden)} does not exist"
            assert missing_error.value.message == f"DID {world.key(missing)} does not exist"
            assert hidden_error.value.reason == missing_error.value.reason == "DID_NOT_FOUND"
    # Metadata reads of visible DIDs work.
    assert world.dispatcher.get_metadata(world.key("E:f3"), "ALL")["label"] == "f"


@_as(STRANGER)
@pytest.mark.usefixtures("as_caller")
def test_list_content_bulk_missing_list_and_inherit(world: World) -> None:
    assert world.names([r.key for r in world.dispatcher.list_content(world.key("E:c"))]) == ["E:d2"]
    keys = [world.key(k) for k in ["E:d1", "E:nope", "E:f3", "X:g1", "E:f2"]]
    batches = list(world.dispatcher.get_metadata_bulk(keys, inherit=True))
    found = [(k, md) for batch, _ in batches for k, md in batch]
    missing = [k for _, batch in batches for k in batch]
    assert world.names([k for k, _ in found]) == ["E:f3", "E:f2"]
    assert world.names(missing) == ["E:d1", "E:nope", "X:g1"]
    inherited = dict(found)
    # f3's only parent is embargoed: neither its keys nor what lies above it are inherited.
    assert "from_d3" not in inherited[world.key("E:f3")]
    assert "inh" not in inherited[world.key("E:f3")]
    assert inherited[world.key("E:f2")]["inh"] == "top"


@pytest.mark.parametrize(
    "as_caller",
    [ADMIN, OWNER, Identity("dave", False, (Capability("didmeta.embargo.read"),))],
    indirect=True,
    ids=["admin", "owner", "embargo-read-everywhere"],
)
@pytest.mark.usefixtures("as_caller")
def test_admin_owner_and_capability_holder_see_everything(world: World) -> None:
    assert world.listing() == EVERYTHING  # the pattern E* also matches the scope X (E + "x")
    assert world.listing("secret=s") == ["E:d1", "E:f1", "X:g1"]
    assert world.listing("name=c", recursive=True) == EVERYTHING
    assert world.dispatcher.get_did(world.key("E:d1")).key == world.key("E:d1")
    inherited = {
        k: md for batch, _ in world.dispatcher.get_metadata_bulk([world.key("E:f3")], inherit=True) for k, md in batch
    }
    assert inherited[world.key("E:f3")]["from_d3"] == "yes"


def test_scoped_capability_and_owner_of_a_descendant_scope(world: World) -> None:
    scoped = Identity("dave", False, (Capability("didmeta.embargo.read", f"{world.e}*"),))
    other = Identity("erin", False, (Capability("didmeta.embargo.read", "nomatch*"),))
    token = current_identity.set(scoped)
    try:
        assert world.listing("secret=s") == ["E:d1", "E:f1", "X:g1"]
    finally:
        current_identity.reset(token)
    token = current_identity.set(other)
    try:
        assert world.listing("secret=s") == []
    finally:
        current_identity.reset(token)
    # bob owns X: he sees his own file below alice's embargoed dataset, not the dataset itself.
    token = current_identity.set(BOB)
    try:
        assert world.listing(scope=f"{world.x}*") == ["X:g1"]
        assert world.listing("secret=s") == ["X:g1"]
        with pytest.raises(NotFound):
            world.dispatcher.get_did(world.key("E:d1"))
    finally:
        current_identity.reset(token)


def test_attach_after_embargo_hides_new_child_and_expiry_reveals(world: World, conformance: Conformance) -> None:
    with conformance.client() as client:
        client.add_did(f"{world.e}:late", "file", metadata={"label": "late"})
        client.attach(f"{world.e}:d1", [f"{world.e}:late"])
        client.add_did(f"{world.e}:soon", "file", metadata={"label": "soon"})
        client.set_embargo(f"{world.e}:soon", datetime.now(UTC) + timedelta(seconds=2))
    token = current_identity.set(STRANGER)
    try:
        assert world.listing("label=late") == []
        assert world.listing("label=soon") == []
        assert world.count("label=soon") == 0
        time.sleep(2.2)
        # Nobody acted: the embargo's time passed.
        assert world.listing("label=soon") == ["E:soon"]
        assert world.count("label=soon") == 1
        assert world.dispatcher.get_did(world.key("E:soon")).key == world.key("E:soon")
        assert world.listing("label=late") == []
    finally:
        current_identity.reset(token)
    with conformance.client() as client:
        client.detach(f"{world.e}:d1", [f"{world.e}:late"])
    token = current_identity.set(STRANGER)
    try:
        assert world.listing("label=late") == ["E:late"]
    finally:
        current_identity.reset(token)


def test_history_honours_embargo(world: World) -> None:
    token = current_identity.set(STRANGER)
    try:
        with pytest.raises(NotFound) as hidden:
            list(world.dispatcher.list_history(world.key("E:d1")))
        assert hidden.value.message == f"DID {world.key('E:d1')} does not exist"
        assert [e.action for batch in world.dispatcher.list_history(world.key("E:d2")) for e in batch][:1] == ["add"]
    finally:
        current_identity.reset(token)
    token = current_identity.set(OWNER)
    try:
        actions = [e.action for batch in world.dispatcher.list_history(world.key("E:d1")) for e in batch]
        assert actions[0] == "add" and "embargo_set" in actions
    finally:
        current_identity.reset(token)


def test_history_of_metadata_in_the_plugin_under_test(conformance: Conformance) -> None:
    """Old values come from the owning plugin (external backends too), in the same request."""
    scope = f"hist{next(_scopes)}"
    with conformance.client() as client:
        client.add_scope(scope)
        did = f"{scope}:f"
        client.add_did(did, "file", metadata={"label": "one"})
        client.set_metadata(did, {"label": "two", "extra": 3})
        client.delete_metadata(did, ["label"])
        events = [(e.action, e.key, e.old, e.new) for e in client.list_history(did)]
    assert events == [
        ("add", None, None, {"label": "one"}),
        ("set", "extra", None, 3),
        ("set", "label", "one", "two"),
        ("unset", "label", "two", None),
    ]


def test_writes_treat_an_embargoed_did_as_missing(world: World, conformance: Conformance) -> None:
    """A caller who may not see a DID cannot write to it either, nor reach it through recursion."""
    with conformance.client() as client:
        client.add_did(f"{world.e}:wd", "dataset")
        client.add_did(f"{world.e}:wf", "file")
        client.attach(f"{world.e}:wd", [f"{world.e}:wf"])
        client.set_embargo(f"{world.e}:wf", datetime.now(UTC) + timedelta(days=1))
    hidden, missing = world.key("E:wf"), world.key("E:nope")
    token = current_identity.set(STRANGER)
    try:
        for write in (
            lambda key: world.dispatcher.set_metadata([(key, {"label": "x"})]),
            lambda key: world.dispatcher.delete_metadata(key, ["label"]),
            lambda key: world.dispatcher.delete_dids([key]),
            lambda key: world.dispatcher.attach([(world.key("E:wd"), key)]),
            lambda key: world.dispatcher.set_embargo(key, datetime(2099, 1, 1), False, "carol"),
        ):
            with pytest.raises(NotFound) as hidden_error:
                write(hidden)
            with pytest.raises(NotFound) as missing_error:
                write(missing)
            assert hidden_error.value.message.replace(str(hidden), "X") == missing_error.value.message.replace(
                str(missing), "X"
            )
        # Recursive metadata on the visible parent leaves the hidden child alone.
        world.dispatcher.set_metadata([(world.key("E:wd"), {"label": "rec"})], recursive=True)
    finally:
        current_identity.reset(token)
    with conformance.client() as client:
        assert client.get_metadata(f"{world.e}:wd", "ALL")["label"] == "rec"
        assert "label" not in client.get_metadata(f"{world.e}:wf", "ALL")
