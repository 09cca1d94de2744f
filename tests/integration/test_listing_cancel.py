"""A ListDids call cancelled at any point gives its connection and its listing slot back, promptly.

In process, on SQLite and PostgreSQL (real catalogues), through the servicer's ListDids with the
cancellation a client's disconnect or deadline causes: while the stream is being opened in its worker
thread (the thread finishes; what it opened must be closed, not left to the garbage collector), while
the next batch is fetched ahead, and after the first message. Afterwards the pool has no connection
checked out and every slot is free.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from didmeta.identifiers import DidKey, DidType
from didmeta.server.access.identity import Identity, current_identity
from didmeta.server.auth import make_authenticator
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.query.limits import Deadline
from didmeta.server.servicers.metadata_servicer import MetadataServicer
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from didmeta.v1 import did_pb2, filter_pb2
from didmeta.v1 import metadata_service_pb2 as pb

SCOPE = "lc"


class ContextStub:
    """The one call of a gRPC servicer context that ListDids makes itself (no deadline)."""

    def time_remaining(self) -> float | None:
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def servicer(request: pytest.FixtureRequest, make_catalogue_url: Callable[[str], str]) -> Iterator[MetadataServicer]:
    settings = Settings.model_validate({"first_batch_size": 10, "batch_size": 20})
    dispatcher = Dispatcher.from_settings(settings, Store(make_catalogue_url(request.param)))
    dispatcher.start()
    dispatcher.add_scope(SCOPE, "root")
    dispatcher.add_dids(
        [NewDid(NewDidSpec(DidKey(SCOPE, f"f{i:03d}"), DidType.FILE, "root"), {"run_number": 1}) for i in range(200)]
    )
    yield MetadataServicer(dispatcher, settings, make_authenticator(settings.auth))
    dispatcher.close()


def list_dids(servicer: MetadataServicer) -> Any:
    """The servicer's ListDids generator, without the authentication wrapper (the caller is set here)."""
    current_identity.set(Identity(account="root", is_admin=True))
    request = pb.ListDidsRequest(
        scope=SCOPE, filter=filter_pb2.Filter(expression="run_number=1"), type=did_pb2.DID_TYPE_SELECTOR_ALL
    )
    return MetadataServicer.ListDids.__wrapped__(servicer, request, ContextStub())  # type: ignore[attr-defined]


async def settled(servicer: MetadataServicer) -> None:
    """Wait until no connection is checked out and every listing slot is free (at most 5 s)."""
    pool: Any = servicer.dispatcher.store.engine.pool
    slots = servicer.stream_slots
    for _ in range(100):
        semaphore = slots._semaphore
        free = semaphore is None or semaphore._value == slots.limit
        if pool.checkedout() == 0 and free:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{pool.checkedout()} connections checked out, slots {slots._semaphore}")


async def test_cancelled_while_opening(servicer: MetadataServicer, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = threading.Event()
    release = threading.Event()
    real_open = servicer._open

    def slow_open(request: pb.ListDidsRequest, deadline: Deadline) -> Any:
        found = real_open(request, deadline)
        opened.set()
        release.wait(5)  # the stream is open (a connection held) when the call is cancelled
        return found

    monkeypatch.setattr(servicer, "_open", slow_open)
    stream = list_dids(servicer)
    first = asyncio.ensure_future(stream.__anext__())
    await asyncio.to_thread(opened.wait, 5)
    assert servicer.dispatcher.store.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()
    await settled(servicer)


async def test_closed_after_the_first_message(servicer: MetadataServicer) -> None:
    stream = list_dids(servicer)
    message = await stream.__anext__()
    assert len(message.batch.names) == 10
    await stream.aclose()  # the client is gone: the stream is closed
    await settled(servicer)


async def test_a_whole_listing_leaves_nothing_open(servicer: MetadataServicer) -> None:
    names = [name async for message in list_dids(servicer) for name in message.batch.names]
    assert names == [f"f{i:03d}" for i in range(200)]
    await settled(servicer)
