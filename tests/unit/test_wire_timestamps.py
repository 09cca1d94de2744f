"""Timestamps on the wire (core/didmeta/wire.py) the same as protobuf's `FromDatetime`/`ToDatetime`, and as
stored (values.from_json) the same as `strptime` reads them.

The service converts timestamps itself, 4x faster than protobuf's pure-Python helpers (a listing or a
bulk read with a timestamp key converts one per DID); the conversions must agree with protobuf's for
every datetime and every valid Timestamp, and refuse the same invalid ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from didmeta.errors import InvalidArgument
from didmeta.v1 import did_pb2
from didmeta.values import TIMESTAMP_TAG, from_json, normalize_timestamp, to_json
from didmeta.wire import timestamp_from_wire, timestamp_to_wire, value_to_wire

offsets = st.integers(-23 * 60, 23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
aware = st.datetimes(timezones=st.one_of(st.just(UTC), offsets)).filter(
    lambda d: datetime.min.replace(tzinfo=UTC) <= d <= datetime.max.replace(tzinfo=UTC)  # UTC in years 1-9999
)
seconds = st.integers(-62_135_596_800, 253_402_300_799)
nanos = st.integers(0, 999_999_999)


@given(st.one_of(aware, st.datetimes()))
def test_a_datetime_goes_on_the_wire_as_protobuf_puts_it(value: datetime) -> None:
    ours, theirs = timestamp_pb2.Timestamp(), timestamp_pb2.Timestamp()
    timestamp_to_wire(value, ours)
    theirs.FromDatetime(value if value.tzinfo is not None else value.replace(tzinfo=UTC))
    assert (ours.seconds, ours.nanos) == (theirs.seconds, theirs.nanos)


def test_the_epoch_is_a_set_timestamp_not_an_unset_one() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert value_to_wire(epoch).WhichOneof("kind") == "timestamp_value"
    did = did_pb2.Did()
    timestamp_to_wire(epoch, did.created_at)
    assert did.HasField("created_at")


@given(seconds, nanos)
def test_a_wire_timestamp_reads_as_protobuf_reads_it(s: int, n: int) -> None:
    message = timestamp_pb2.Timestamp(seconds=s, nanos=n)
    ours = timestamp_from_wire(message, "t")
    assert ours == message.ToDatetime(tzinfo=UTC)
    assert ours.tzinfo is UTC


@pytest.mark.parametrize(("s", "n"), [(253_402_300_800, 0), (-62_135_596_801, 0), (0, -1), (0, 10**9)])
def test_a_timestamp_outside_what_protobuf_takes_is_invalid_argument(s: int, n: int) -> None:
    message = timestamp_pb2.Timestamp(seconds=s, nanos=n)
    with pytest.raises(ValueError):
        message.ToDatetime(tzinfo=UTC)
    with pytest.raises(InvalidArgument, match="out of range"):
        timestamp_from_wire(message, "t")


@given(st.one_of(aware, st.datetimes()))
def test_a_stored_timestamp_reads_back_as_strptime_read_it(value: datetime) -> None:
    """`from_json` reads a stored timestamp's text with `fromisoformat`; it was `strptime`, 20x slower."""
    stored = to_json(value)
    assert isinstance(stored, dict)
    text = stored[TIMESTAMP_TAG]
    read = from_json(stored)
    assert read == datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) == normalize_timestamp(value)
    assert isinstance(read, datetime) and read.tzinfo is UTC
