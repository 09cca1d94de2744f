"""Many concurrent ListDids on one server process: more streams than the connection pool lends.

A listing holds its connection from its first batch to its last, across worker-thread hand-offs. With
more concurrent listings than connections (16 per process), worker threads used to wait in the pool's
check-out for connections held by streams whose next batch or close was queued behind those threads:
every call stalled until the pool's 30 s timeout, and some failed (servicers/stream_slots.py). Here 96
concurrent listings, most of several batches, must all answer, in full and within seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import grpc
import pytest

from didmeta.client import NewDid
from didmeta.v1 import did_pb2, filter_pb2, metadata_service_pb2, metadata_service_pb2_grpc
from tests.support.server import ServerProcess

LISTINGS = 96  # six times the pool's connections
RUNS = 8  # DIDs of run r: 25 each (200 files)


async def _listings(address: str) -> tuple[list[int], float]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)

        async def listing(i: int) -> int:
            request = metadata_service_pb2.ListDidsRequest(
                scope="ls",
                filter=filter_pb2.Filter(expression=f"run_number={i % RUNS}"),
                type=did_pb2.DID_TYPE_SELECTOR_ALL,
                batch_size=5 if i % 3 else 100,  # five batches (the connection held across hand-offs), or one
            )
            rows = 0
            async for response in stub.ListDids(request, timeout=25):
                rows += len(response.batch.names)
            return rows

        started = time.monotonic()
        rows = await asyncio.gather(*(listing(i) for i in range(LISTINGS)))
        return list(rows), time.monotonic() - started


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_more_concurrent_listings_than_connections_all_answer(
    kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"database": make_catalogue_url(kind)})
    try:
        with server.client(timeout=30) as client:
            client.add_scope("ls")
            client.add_dids([NewDid(f"ls:f{i:03d}", "file", metadata={"run_number": i % RUNS}) for i in range(200)])
        for _ in range(2):
            rows, seconds = asyncio.run(_listings(server.address))
            assert rows == [200 // RUNS] * LISTINGS
            assert seconds < 15, f"{LISTINGS} listings took {seconds:.1f} s: they waited for connections"
        log = server.log_path.read_text(errors="replace")
        assert "QueuePool limit" not in log and "Traceback" not in log
    finally:
        server.stop()  # its pooled connections go back now, not at the session's end (PostgreSQL's limit)
