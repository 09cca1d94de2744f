"""ListDids messages: a batch of listed rows as one `ListDidsResponse`, cut to the byte cap (transport.md).

A message holds at most `max_batch_bytes` unless one DID alone is larger. Measuring a message
(`ByteSize()`) encodes it, which costs as much CPU as the encoding gRPC does when it sends it: for a
short listing's names, about as much as building the message. A batch without metadata values has an
upper bound of its size that costs a few percent of that (`bytes_bound`); the message is measured only
when that bound is over the cap, or when it carries metadata values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from didmeta.server.query.batch_cap import fewer_rows
from didmeta.v1 import did_pb2
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.values import Metadata
from didmeta.wire import metadata_to_wire

_WIRE_TYPES = {"F": 1, "D": 2, "C": 3}
#: Per string of a repeated field: its tag (1 byte) and its length (a varint, at most 5 bytes).
_STRING_OVERHEAD = 6
#: Per row of a long listing: its type (an enum varint), bytes and length (int64 varints): 10 bytes at most each.
_LONG_ROW = 3 * 10
#: The batch field's tag and length, and the tags and lengths of the three packed fields of a long listing.
_FRAMING = 4 * 6


def text_bytes_bound(texts: Sequence[str]) -> int:
    """At least the UTF-8 bytes of `texts`: their characters, four bytes each unless all are ASCII."""
    joined = "".join(texts)
    return len(joined) if joined.isascii() else 4 * len(joined)


def bytes_bound(scopes: Sequence[str], names: Sequence[str], long: bool) -> int:
    """At least the encoded size of a batch of these DIDs without metadata values (short or long)."""
    bound = text_bytes_bound(scopes) + text_bytes_bound(names) + 2 * _STRING_OVERHEAD * len(names) + _FRAMING
    return bound + _LONG_ROW * len(names) if long else bound


def _message(columns: Sequence[Sequence[Any]], long: bool, values: Sequence[Metadata]) -> pb.ListDidsResponse:
    response = pb.ListDidsResponse()
    batch = response.batch
    batch.scopes.extend(columns[0])
    batch.names.extend(columns[1])
    if long:
        batch.types.extend([cast(did_pb2.DidType.ValueType, _WIRE_TYPES[t]) for t in columns[2]])
        batch.bytes.extend(columns[3])
        batch.lengths.extend(columns[4])
        for metadata in values:
            metadata_to_wire(metadata, batch.metadata.add().values)
    return response


def capped_message(
    rows: Sequence[Sequence[Any]], long: bool, values: Sequence[Metadata], max_bytes: int
) -> tuple[pb.ListDidsResponse, int]:
    """The message of the first rows (at least one) whose batch fits in `max_bytes`, and how many it holds.

    `rows` are the listing's columns (scope, name, then type, bytes, length for a long listing); `values`
    the requested metadata of each row of a long listing (empty when none was requested).
    """
    columns = list(zip(*rows, strict=True))
    response = _message(columns, long, values)
    count = len(rows)
    if count == 1 or (not values and bytes_bound(columns[0], columns[1], long) <= max_bytes):
        return response, count
    while count > 1 and (total := response.ByteSize()) > max_bytes:
        count = fewer_rows(count, max_bytes, total)
        response = _message(list(zip(*rows[:count], strict=True)), long, values[:count])
    return response, count
