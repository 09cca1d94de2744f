"""ListDids' quick path (server/query/quick_listing.py) answers exactly as the general path does.

On SQLite and PostgreSQL, with a real catalogue: every request goes once through the quick path
(`MetadataServicer._quick`) and once through the general path (`_open`, then `_next` to the end),
and whenever the quick path answers, its messages must be the general path's, byte for byte (DIDs,
long columns, resume token). Requests outside its shape must be left to the general path, and so
must listings longer than one message; an unindexed filter on SQLite is interrupted by the step
budget. Over gRPC, a bad filter still gets INVALID_ARGUMENT and a non-admin caller the general path.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy import text

from didmeta.errors import InvalidArgument
from didmeta.identifiers import DidKey, DidType
from didmeta.server.access.identity import Capability, Identity, current_identity
from didmeta.server.auth import make_authenticator
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query import quick_listing
from didmeta.server.query.limits import NO_DEADLINE
from didmeta.server.servicers.metadata_servicer import MetadataServicer
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.v1 import did_pb2, did_service_pb2, did_service_pb2_grpc, filter_pb2
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.v1 import metadata_service_pb2_grpc as pb_grpc
from didmeta.wire import metadata_to_wire
from tests.support.server import ServerProcess

SCOPE, OTHER = "ql", "ql.other"
#: Text values with the characters GLOB, LIKE and collations treat specially.
DATATYPES = ["RAW", "AOD", "a_b", "aXb", "x%y", "xQy", "[z]", "q?r", "élan", "Zeta", "raw"]
#: Name suffixes (DID names allow `_` and `-`, which LIKE and GLOB patterns must keep literal).
NAME_PARTS = ["RAW", "AOD", "a_b", "x-y", "Zeta"]
ALL = did_pb2.DID_TYPE_SELECTOR_ALL
SELECTORS = [
    ALL,
    did_pb2.DID_TYPE_SELECTOR_FILE,
    did_pb2.DID_TYPE_SELECTOR_DATASET,
    did_pb2.DID_TYPE_SELECTOR_COLLECTION,
    did_pb2.DID_TYPE_SELECTOR_UNSPECIFIED,
]


def catalogue(dispatcher: Dispatcher) -> None:
    """Two scopes of the same values: 240 files, 24 datasets, 6 containers each; some suppressed."""
    rng = random.Random(5)
    for scope in (SCOPE, OTHER):
        dispatcher.add_scope(scope, "root")
        new = []
        for i in range(270):
            kind = DidType.FILE if i < 240 else DidType.DATASET if i < 264 else DidType.CONTAINER
            metadata: dict[str, Any] = {
                "run_number": i % 12,
                "datatype": DATATYPES[i % len(DATATYPES)],
                "task_id": rng.randint(-5, 40),
                "campaign": f"mc{i % 4}",
            }
            size = i * 7 if kind is DidType.FILE else None
            spec = NewDidSpec(DidKey(scope, f"n{i:03d}.{NAME_PARTS[i % 5]}"), kind, "root", bytes=size)
            new.append(NewDid(spec, metadata))
        dispatcher.add_dids(new)
    with dispatcher.store.engine.begin() as conn:
        conn.execute(text("UPDATE dids SET suppressed = :t WHERE name LIKE 'n00%'"), {"t": True})


def serving(url: str) -> Iterator[MetadataServicer]:
    settings = Settings.model_validate({"first_batch_size": 40})
    store = Store(url)
    dispatcher = Dispatcher.from_settings(settings, store)
    dispatcher.start()
    catalogue(dispatcher)
    assert dispatcher.quick_listing is not None
    dispatcher.keys.all()  # the declared-keys cache fresh, as on a serving server
    yield MetadataServicer(dispatcher, settings, make_authenticator(settings.auth))
    dispatcher.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def servicer(request: pytest.FixtureRequest, make_catalogue_url: Callable[[str], str]) -> Iterator[MetadataServicer]:
    yield from serving(make_catalogue_url(request.param))


@pytest.fixture
def sqlite_servicer(make_catalogue_url: Callable[[str], str]) -> Iterator[MetadataServicer]:
    yield from serving(make_catalogue_url("sqlite"))


@pytest.fixture
def postgres_servicer(make_catalogue_url: Callable[[str], str]) -> Iterator[MetadataServicer]:
    yield from serving(make_catalogue_url("postgresql"))


def as_admin() -> None:
    current_identity.set(Identity(account="root", is_admin=True))


def tomorrow() -> datetime:
    """A day from now, naive UTC (as embargoes take it)."""
    return (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None)


def forget_misses(servicer: MetadataServicer) -> None:
    """No shape skipped after an earlier miss, and the declared-keys cache fresh (as after any listing)."""
    quick_path = servicer.dispatcher.quick_listing
    assert quick_path is not None
    quick_path._skips.clear()
    servicer.dispatcher.keys.all()


def listing(scope: str = SCOPE, expression: str = "", **fields: Any) -> pb.ListDidsRequest:
    return pb.ListDidsRequest(scope=scope, filter=filter_pb2.Filter(expression=expression), **fields)


def general(servicer: MetadataServicer, request: pb.ListDidsRequest) -> list[bytes]:
    """Every message of the general path's answer, serialised."""
    found, stream, response = servicer._open(request, NO_DEADLINE)
    messages = [] if response is None else [response.SerializeToString()]
    if stream is not None:
        try:
            while (response := servicer._next(stream, found, found.batch_size)) is not None:
                messages.append(response.SerializeToString())
        finally:
            stream.close()
    return messages


async def quick(servicer: MetadataServicer, request: pb.ListDidsRequest) -> list[bytes] | None:
    """The quick path's messages, or None where it leaves the request to the general path."""
    answered, response = await servicer._quick(request)
    if not answered:
        assert response is None
        return None
    return [] if response is None else [response.SerializeToString()]


def in_shape_filters() -> list[str]:
    """Filters the quick path takes: one group, DID-table columns, plain comparisons."""
    filters = ["", "type=FILE", "type=DATASET", "bytes>=1600"]
    for run in (0, 3, 11, 12):
        filters += [f"run_number={run}", f"run_number={run},type=FILE", f"run_number={run},datatype=RAW"]
    for value in DATATYPES:
        filters += [f'datatype="{value}"', f'datatype="{value}",run_number<6']
    filters += ["datatype=r*", "datatype=*a*", "datatype=[*", "datatype=x%*", "datatype=*a_b", "datatype=?*"]
    filters += ["name=n01*", "name=*.a_b", "name=n1?*", "name=n2*-y"]
    filters += ["task_id<0", "task_id>=38", "0<=task_id<3", "run_number>10,task_id<=5", "bytes<70", "bytes>1800"]
    filters += ["campaign=mc1,run_number=5", "datatype<B", "datatype>=Z", "task_id=7", "name=n261.AOD"]
    return filters


@pytest.mark.parametrize("long", [False, True])
async def test_quick_answers_agree_with_the_general_path(servicer: MetadataServicer, long: bool) -> None:
    as_admin()
    answered = declined = 0
    for expression in in_shape_filters():
        for selector in SELECTORS[:3]:
            extras: list[dict[str, Any]] = [{}, {"limit": 5}, {"limit": 40}, {"limit": 41}, {"batch_size": 7}]
            for extra in extras:
                request = listing(expression=expression, type=selector, long=long, **extra)
                forget_misses(servicer)  # each request on its own
                got = await quick(servicer, request)
                expected = general(servicer, request)
                if got is None:
                    declined += 1
                    # Left to the general path only because the listing does not fit in one message.
                    assert len(expected) > 1, (expression, selector, extra)
                    continue
                answered += 1
                assert got == expected, (expression, selector, extra)
    assert answered > 300 and declined > 20, (answered, declined)


async def test_a_listing_longer_than_one_message_is_left_to_the_general_path(servicer: MetadataServicer) -> None:
    as_admin()
    request = listing(expression="type=FILE")  # 230 visible files: more than the first message's 40
    assert await quick(servicer, request) is None
    assert len(general(servicer, request)) > 1
    # The shape is not tried again for a while: even an empty listing of it (another scope, the same
    # filter) goes the general way now.
    skipped = listing(scope="ql.none", expression="type=FILE")
    assert await quick(servicer, skipped) is None
    assert general(servicer, skipped) == []


@pytest.mark.parametrize(
    "request_",
    [
        listing(expression="run_number=3", recursive=True),
        listing(expression="run_number=3", ignore_case=True),
        listing(expression="run_number=3;run_number=4"),
        listing(expression="run_number=3", long=True, metadata_keys=["run_number"]),
        listing(expression="run_number=3", format=pb.LIST_FORMAT_ARROW),
        listing(scope="ql*", expression="run_number=3"),
        listing(scope="*", expression="run_number=3"),
        listing(expression="run_number!=3"),
        listing(expression="not run_number=3"),
        listing(expression="run_number.in=[3,4]"),
        listing(expression="run_number=3.5"),
        listing(expression="created_at>2020-01-01T00:00:00Z"),
        listing(expression="is_open=true"),
        listing(expression="length>0"),
        listing(expression="unknown_json_key=3"),
        listing(expression="datatype.prefix=R"),
        listing(expression="datatype.regex=R.*"),
        listing(expression="datatype.exists=true"),
        listing(expression="run_number=99999999999999999999"),
    ],
    ids=lambda r: f"{r.scope}|{r.filter.expression}|{r.recursive}{r.ignore_case}{list(r.metadata_keys)}{r.format}",
)
async def test_outside_its_shape_the_general_path_answers(servicer: MetadataServicer, request_: Any) -> None:
    as_admin()
    assert await quick(servicer, request_) is None


async def test_a_resumed_listing_takes_the_general_path_and_the_quick_token_resumes_it(
    servicer: MetadataServicer,
) -> None:
    as_admin()
    first = await quick(servicer, listing(expression="run_number=4", type=ALL, limit=3))
    assert first is not None and len(first) == 1
    message = pb.ListDidsResponse.FromString(first[0])
    assert len(message.batch.names) == 3
    resumed = listing(expression="run_number=4", type=ALL, limit=3, page_token=message.next_page_token)
    assert await quick(servicer, resumed) is None
    assert general(servicer, resumed) == []  # the limit was reached: the token resumes to nothing more
    whole = general(servicer, listing(expression="run_number=4", type=ALL))
    names = list(pb.ListDidsResponse.FromString(whole[0]).batch.names)
    assert names[:3] == list(message.batch.names) and len(names) > 3


async def test_bad_input_fails_as_on_the_general_path(servicer: MetadataServicer) -> None:
    as_admin()
    for request in (listing(expression="run_number=="), listing(scope="", expression="run_number=3")):
        with pytest.raises(InvalidArgument) as on_quick:
            await servicer._quick(request)
        with pytest.raises(InvalidArgument) as on_general:
            servicer._open(request, NO_DEADLINE)
        assert on_quick.value.metadata == on_general.value.metadata
        assert str(on_quick.value) == str(on_general.value)


async def test_other_callers_get_each_row_checked_for_embargoes_on_the_quick_path(servicer: MetadataServicer) -> None:
    """A caller who does not see every DID is answered on the quick path with the embargo check of each row:
    DIDs hidden by an embargo on them, or a recursive one on an ancestor, are left out exactly as the general
    path leaves them out, unless the caller owns their scope. A caller whose capabilities show embargoed DIDs
    goes to the general path."""
    as_admin()
    dispatcher = servicer.dispatcher
    files = [DidKey(SCOPE, f"n{i:03d}.{NAME_PARTS[i % 5]}") for i in range(240)]
    dataset, container = DidKey(SCOPE, "n250.RAW"), DidKey(SCOPE, "n265.RAW")
    dispatcher.attach([(dataset, key) for key in files[100:160]] + [(container, dataset)])
    dispatcher.set_embargo(container, tomorrow(), True, "root")  # hides it, the dataset and files 100-159
    dispatcher.set_embargo(files[13], tomorrow(), False, "root")  # hides this file only
    dispatcher.set_embargo(files[170], datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1), False, "root")
    time.sleep(1.1)  # that one is over: nothing hidden by it
    hidden = {key.name for key in [container, dataset, files[13], *files[100:160]]}
    shown: dict[str, set[str]] = {}
    for identity in (Identity("alice", False), Identity("root", False)):  # root owns the scope
        current_identity.set(identity)
        answered, names = 0, set[str]()
        for expression in in_shape_filters():
            for long in (False, True):
                request = listing(expression=expression, type=ALL, long=long)
                forget_misses(servicer)
                got = await quick(servicer, request)
                if got is None:
                    continue
                answered += 1
                assert got == general(servicer, request), (identity.account, expression, long)
                names.update(n for m in got for n in pb.ListDidsResponse.FromString(m).batch.names)
        assert answered > 40
        shown[identity.account] = names
    assert not shown["alice"] & hidden and shown["root"] & hidden and files[170].name in shown["alice"]
    current_identity.set(Identity("carol", False, (Capability("didmeta.embargo.read", SCOPE),)))
    assert await quick(servicer, listing(expression="run_number=4", type=ALL)) is None
    as_admin()


async def test_sqlite_interrupts_an_unindexed_listing_on_the_loop(
    sqlite_servicer: MetadataServicer, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_admin()
    servicer = sqlite_servicer
    # No index on guid: all the scope's 270 rows are read (some 1,900 steps in all).
    request = listing(expression="guid=nothing-has-this", type=ALL)
    monkeypatch.setattr(quick_listing, "MAX_LOOP_STEPS", 500)
    assert await quick(servicer, request) is None
    assert general(servicer, request) == []
    monkeypatch.setattr(quick_listing, "MAX_LOOP_STEPS", 10_000_000)
    assert await quick(servicer, request) is None  # the shape is skipped after its miss
    forget_misses(servicer)
    assert await quick(servicer, request) == []  # with room enough it answers: nothing matches
    found = await quick(servicer, listing(expression="run_number=5", type=ALL))  # the connection still works
    assert found is not None and len(found) == 1


async def test_postgresql_leaves_loop_connections_to_point_reads(
    postgres_servicer: MetadataServicer, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_admin()
    servicer = postgres_servicer
    request = listing(expression="run_number=5", type=ALL)
    monkeypatch.setattr(quick_listing, "MAX_AWAITED", 0)  # every listing slot of the loop's connections taken
    assert await quick(servicer, request) is None
    monkeypatch.setattr(quick_listing, "MAX_AWAITED", 4)
    monkeypatch.setattr(quick_listing, "SLOW_SECONDS", 0.0)  # every statement counts as slow
    expected = general(servicer, request)
    assert len(expected) == 1 and await quick(servicer, request) == expected  # a slow one still answers
    assert await quick(servicer, request) is None  # but its shape takes the general path next
    quick_path = servicer.dispatcher.quick_listing
    assert quick_path is not None and quick_path._awaited == 0


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_over_grpc_small_listings_match_and_errors_keep_their_field(
    start_server: Callable[..., ServerProcess], make_catalogue_url: Callable[[str], str], kind: str
) -> None:
    server = start_server({"database": make_catalogue_url(kind), "first_batch_size": 40})
    try:
        with grpc.insecure_channel(server.address) as channel:
            dids = did_service_pb2_grpc.DidServiceStub(channel)
            metadata = pb_grpc.MetadataServiceStub(channel)
            dids.AddScope(did_service_pb2.AddScopeRequest(scope=SCOPE))
            new = [did_pb2.NewDid(scope=SCOPE, name=f"g{i}", type=did_pb2.DID_TYPE_FILE, bytes=i) for i in range(60)]
            for i, did in enumerate(new):
                metadata_to_wire({"run_number": i % 3}, did.metadata)
            dids.AddDids(did_service_pb2.AddDidsRequest(dids=new))
            small = list(metadata.ListDids(listing(expression="run_number=1", type=ALL, long=True)))
            assert len(small) == 1 and sorted(small[0].batch.names) == sorted(f"g{i}" for i in range(1, 60, 3))
            assert list(small[0].batch.bytes) == [int(n[1:]) for n in small[0].batch.names]
            large = list(metadata.ListDids(listing(expression="bytes>=0", type=ALL)))
            assert sum(len(m.batch.names) for m in large) == 60 and len(large) > 1
            with pytest.raises(grpc.RpcError) as caught:
                list(metadata.ListDids(listing(expression="run_number==")))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "filter" in (caught.value.details() or "")
    finally:
        server.stop()  # its pooled connections go back now, not at the session's end (PostgreSQL's limit)
