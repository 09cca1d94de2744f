"""GetMetadataBulk answers cut by size: each message at most `max_batch_bytes`, unless one DID alone is larger.

The dispatcher reads DIDs in batches by count; one DID's metadata may be large, so a count alone could
make a message past the gRPC limit (`max_message_bytes`), which the caller would get as an error
instead of its data. The DIDs keep their request order across the messages, and the batch's missing
DIDs come in its last message, as they did when a batch was one message.

A batch is built as one message and measured once (`ByteSize()` encodes it, as gRPC does again to send
it); only a batch over the cap is measured item by item and cut.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from didmeta.identifiers import DidKey
from didmeta.v1 import did_pb2
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.values import Metadata
from didmeta.wire import did_key_to_wire, metadata_to_wire

#: Bytes a repeated message field adds around each element (tag and length prefix), at most.
_FIELD_OVERHEAD = 6


def bulk_messages(
    found: Sequence[tuple[DidKey, Metadata]], missing: Sequence[DidKey], max_bytes: int
) -> Iterator[pb.GetMetadataBulkResponse]:
    """One batch of GetMetadataBulk results as messages of at most `max_bytes` each (at least one message)."""
    whole = batch_message(found, missing)
    if whole.ByteSize() <= max_bytes:
        yield whole
        return
    yield from cut_messages(whole.results, whole.missing, max_bytes)


def batch_message(found: Sequence[tuple[DidKey, Metadata]], missing: Sequence[DidKey]) -> pb.GetMetadataBulkResponse:
    """The whole batch as one message, built in place, whatever its size."""
    whole = pb.GetMetadataBulkResponse()
    for key, metadata in found:
        item = whole.results.add()
        item.did.scope, item.did.name = key.scope, key.name
        metadata_to_wire(metadata, item.metadata)
    whole.missing.extend(did_key_to_wire(k) for k in missing)
    return whole


def cut_messages(
    items: Sequence[did_pb2.DidMetadata], absent: Sequence[did_pb2.DidKey], max_bytes: int
) -> Iterator[pb.GetMetadataBulkResponse]:
    """`items` in order as messages of at most `max_bytes` (or one item), `absent` in the last one."""
    response = pb.GetMetadataBulkResponse()
    size = 0
    for item in items:
        item_size = item.ByteSize() + _FIELD_OVERHEAD
        if response.results and size + item_size > max_bytes:
            yield response
            response = pb.GetMetadataBulkResponse()
            size = 0
        response.results.append(item)
        size += item_size
    if response.results and size + sum(k.ByteSize() + _FIELD_OVERHEAD for k in absent) > max_bytes:
        yield response
        response = pb.GetMetadataBulkResponse()
    response.missing.extend(absent)
    yield response
