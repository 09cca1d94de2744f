"""Issue 11: ListDids and GetMetadataBulk messages are capped by bytes as well as by count (transport.md).

A long listing with big metadata must arrive whole, in messages no larger than `max_batch_bytes`
(one DID larger than the cap travels alone), and every message's resume token must resume exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest

from didmeta.client import NewDid
from didmeta.identifiers import DidKey
from didmeta.v1 import did_pb2, metadata_service_pb2, metadata_service_pb2_grpc
from tests.support.server import ServerProcess

pb = metadata_service_pb2
CAP = 64 * 1024


@pytest.fixture(scope="module")
def capped(
    catalogue_kind: str, make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    server = start_server(
        {"database": make_catalogue_url(catalogue_kind), "log_format": "text", "max_batch_bytes": CAP}
    )
    with server.client(timeout=120) as client:
        client.add_scope("big")
        client.add_dids(
            [NewDid(f"big:d{i:03d}", "dataset", metadata={"blob": f"{i:03d}" + "x" * 5000}) for i in range(120)]
            + [NewDid("big:huge", "dataset", metadata={"blob": "y" * (CAP + 1000)})]
        )
    return server


def test_batches_are_capped_by_bytes_and_resume_exactly(capped: ServerProcess) -> None:
    expected = [f"d{i:03d}" for i in range(120)] + ["huge"]
    with grpc.insecure_channel(capped.address, options=[("grpc.max_receive_message_length", 32 << 20)]) as channel:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        request = pb.ListDidsRequest(scope="big", long=True, metadata_keys=["blob"], batch_size=1000)
        responses = list(stub.ListDids(request, timeout=60))
        names = [n for r in responses for n in r.batch.names]
        assert names == expected
        assert len(responses) > 5
        for response in responses:
            assert response.ByteSize() <= CAP or list(response.batch.names) == ["huge"]
            assert len(response.batch.metadata) == len(response.batch.names)
        blobs = [m.values["blob"].string_value[:3] for r in responses for m in r.batch.metadata]
        assert blobs[:120] == [f"{i:03d}" for i in range(120)]
        # every token resumes right after its own message, whatever the cut (batch_size is not part of the query)
        seen = 0
        for response in responses[:-1]:
            seen += len(response.batch.names)
            resumed = pb.ListDidsRequest(
                scope="big", long=True, metadata_keys=["blob"], batch_size=2, page_token=response.next_page_token
            )
            rest = [n for r in stub.ListDids(resumed, timeout=60) for n in r.batch.names]
            assert rest == expected[seen:]


def test_get_metadata_bulk_messages_are_capped_by_bytes(capped: ServerProcess) -> None:
    """GetMetadataBulk cuts its answer by size too: every DID once, in request order, missing ones after."""
    wanted = [f"d{i:03d}" for i in range(119, -1, -1)] + ["huge", "nope"]  # request order, not name order
    with grpc.insecure_channel(capped.address, options=[("grpc.max_receive_message_length", 32 << 20)]) as channel:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        request = pb.GetMetadataBulkRequest(dids=[did_pb2.DidKey(scope="big", name=n) for n in wanted])
        responses = list(stub.GetMetadataBulk(request, timeout=60))
    assert len(responses) > 5, "120 DIDs of ~5 kB in 64 kB messages"
    for response in responses:
        assert response.ByteSize() <= CAP or [r.did.name for r in response.results] == ["huge"]
    found = [r.did.name for response in responses for r in response.results]
    assert found == wanted[:-1]
    assert [r.metadata["blob"].string_value[:3] for response in responses for r in response.results][:3] == [
        "119",
        "118",
        "117",
    ]
    assert [m.name for response in responses for m in response.missing] == ["nope"]
    assert list(responses[-1].missing), "the missing DIDs come last"
    with capped.client(timeout=60) as client:  # the Python client reads the cut answer whole
        got = dict(client.get_metadata_bulk([f"big:{n}" for n in wanted]))
    assert len(got) == len(wanted) and got[DidKey("big", "nope")] is None
    huge = got[DidKey("big", "huge")]
    assert huge is not None and huge["blob"] == "y" * (CAP + 1000)
