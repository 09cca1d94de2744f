"""Issue 11: hostile input gets INVALID_ARGUMENT (or another clear status), never INTERNAL or UNKNOWN.

Requests go through the raw stubs (or as raw bytes), so the server's own decoding and validation are
tested, on SQLite and PostgreSQL. Each refused write is checked to change nothing.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from didmeta import errors
from didmeta.client import Client, DidmetaError, NewDid, from_rpc_error
from didmeta.server.query import tokens
from didmeta.v1 import (
    did_pb2,
    did_service_pb2,
    did_service_pb2_grpc,
    filter_pb2,
    metadata_service_pb2,
    metadata_service_pb2_grpc,
    value_pb2,
)
from tests.support.checks import snapshot
from tests.support.server import ServerProcess

Code = grpc.StatusCode
pb = metadata_service_pb2


@pytest.fixture()
def channel(server: ServerProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as channel:
        yield channel


def refused(call: Callable[[], Any], code: Code = Code.INVALID_ARGUMENT) -> DidmetaError:
    """Run a raw-stub call (draining a stream) and return its error, checking the status code."""
    with pytest.raises(grpc.RpcError) as info:
        result = call()
        if isinstance(result, Iterator):
            list(result)
    error = from_rpc_error(info.value)
    assert error.code == code, f"expected {code.name}, got {error.code.name}: {error.message}"
    return error


def key(scope: str, name: str) -> did_pb2.DidKey:
    return did_pb2.DidKey(scope=scope, name=name)


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def nested_value_bytes(depth: int) -> bytes:
    """Encoded Value with `depth` levels of lists around an int (built by hand: the Python protobuf
    library itself refuses to copy messages deeper than its decoder limit)."""
    value = b"\x18\x01"  # int_value = 1
    for _ in range(depth):
        value = _field(7, _field(1, value))  # list_value { values: value }
    return value


def raw_call(channel: grpc.Channel, method: str, body: bytes) -> Any:
    return channel.unary_unary(method, request_serializer=None, response_deserializer=None)(body, timeout=10)


# --- INTERNAL before: values out of range ----------------------------------------------------------------
@pytest.mark.parametrize(("seconds", "nanos"), [(253402300800, 0), (0, -1), (-62135596801, 0), (0, 10**9)])
def test_out_of_range_timestamps_are_invalid_argument(
    client: Client, channel: grpc.Channel, scope: str, seconds: int, nanos: int
) -> None:
    client.add_did(f"{scope}:d", "dataset")
    before = snapshot(client, scope)
    stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
    stamp = value_pb2.Value()
    stamp.timestamp_value.seconds, stamp.timestamp_value.nanos = seconds, nanos
    error = refused(lambda: stub.SetMetadata(pb.SetMetadataRequest(did=key(scope, "d"), metadata={"t": stamp})))
    assert error.field_violations and error.field_violations[0].field == "metadata.t"
    filter_ = filter_pb2.Filter()
    filter_.groups.add().clauses.add(key="t", operator=filter_pb2.FILTER_OPERATOR_GT, value=stamp)
    error = refused(lambda: stub.CountDids(pb.CountDidsRequest(scope=scope, filter=filter_)))
    assert "value" in error.field_violations[0].field
    assert snapshot(client, scope) == before


@pytest.mark.parametrize("lifetime", [value_pb2.Value(int_value=2**62), value_pb2.Value(double_value=1e300)])
def test_huge_lifetime_is_invalid_argument(
    client: Client, channel: grpc.Channel, scope: str, lifetime: value_pb2.Value
) -> None:
    client.add_did(f"{scope}:d", "dataset")
    before = snapshot(client, scope)
    stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
    error = refused(
        lambda: stub.SetMetadata(pb.SetMetadataRequest(did=key(scope, "d"), metadata={"lifetime": lifetime}))
    )
    assert "lifetime" in error.field_violations[0].field
    assert "out of range" in error.message
    assert snapshot(client, scope) == before


def test_nul_characters_are_refused_alike_on_every_database(client: Client, channel: grpc.Channel, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset")
    before = snapshot(client, scope)
    meta = metadata_service_pb2_grpc.MetadataServiceStub(channel)
    dids = did_service_pb2_grpc.DidServiceStub(channel)
    nul = value_pb2.Value(string_value="a\x00b")
    error = refused(lambda: meta.SetMetadata(pb.SetMetadataRequest(did=key(scope, "d"), metadata={"k": nul})))
    assert error.field_violations[0].field == "metadata.k"
    listed = value_pb2.Value()
    listed.list_value.values.append(nul)
    refused(lambda: meta.SetMetadata(pb.SetMetadataRequest(did=key(scope, "d"), metadata={"k": listed})))
    new = did_pb2.NewDid(scope=scope, name="n", type=did_pb2.DID_TYPE_FILE, account="ro\x00ot")
    error = refused(lambda: dids.AddDids(did_service_pb2.AddDidsRequest(dids=[new])))
    assert error.field_violations[0].field == "dids[0].account"
    for field in ("md5", "adler32", "guid"):
        bad = did_pb2.NewDid(scope=scope, name="n", type=did_pb2.DID_TYPE_FILE)
        setattr(bad, field, "x\x00")
        error = refused(lambda bad=bad: dids.AddDids(did_service_pb2.AddDidsRequest(dids=[bad])))  # type: ignore[misc]
        assert error.field_violations[0].field == f"dids[0].{field}"
    refused(lambda: dids.AddScope(did_service_pb2.AddScopeRequest(scope=scope + "n", account="a\x00")))
    expression = filter_pb2.Filter(expression="k=a\x00b")
    error = refused(lambda: meta.CountDids(pb.CountDidsRequest(scope=scope, filter=expression)))
    assert error.field_violations[0].field == "filter.expression"
    assert snapshot(client, scope) == before


@pytest.mark.parametrize(
    ("delivered", "scope_text", "name"),
    [(2**64 - 1, "s", "n"), (2**63, "s", "n"), (1, "bad scope!", "n"), (1, "s", "x\x00"), (1, "s", "")],
)
def test_forged_resume_tokens_are_invalid_argument(
    client: Client, channel: grpc.Channel, scope: str, delivered: int, scope_text: str, name: str
) -> None:
    client.add_dids([NewDid(f"{scope}:d{i}", "dataset") for i in range(3)])
    stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
    request = pb.ListDidsRequest(scope=scope)
    canonical = pb.ListDidsRequest(scope=scope)
    fingerprint = tokens.fingerprint(canonical.SerializeToString(deterministic=True))
    scope_bytes = scope_text.encode()
    raw = struct.pack(">B16sQB", 1, fingerprint, delivered, len(scope_bytes)) + scope_bytes + name.encode()
    request.page_token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    error = refused(lambda: stub.ListDids(request, timeout=10))
    assert error.reason == "INVALID_PAGE_TOKEN"
    # a genuine token still works
    first = next(iter(stub.ListDids(pb.ListDidsRequest(scope=scope, batch_size=1, limit=3), timeout=10)))
    request = pb.ListDidsRequest(scope=scope, batch_size=1, limit=3, page_token=first.next_page_token)
    rest = [n for r in stub.ListDids(request, timeout=10) for n in r.batch.names]
    assert list(first.batch.names) + rest == ["d0", "d1", "d2"]


def test_counters_overflowing_int64_are_failed_precondition(client: Client, channel: grpc.Channel, scope: str) -> None:
    client.add_dids(
        [
            NewDid(f"{scope}:big", "file", bytes=2**63 - 1),
            NewDid(f"{scope}:one", "file", bytes=1),
            NewDid(f"{scope}:ds", "dataset"),
        ]
    )
    client.attach(f"{scope}:ds", [f"{scope}:big"])
    before = snapshot(client, scope)
    stub = did_service_pb2_grpc.DidServiceStub(channel)
    attachment = did_pb2.Attachment(parent=key(scope, "ds"), child=key(scope, "one"))
    error = refused(
        lambda: stub.AttachDids(did_service_pb2.AttachDidsRequest(attachments=[attachment])), Code.FAILED_PRECONDITION
    )
    assert error.reason == "COUNTER_OVERFLOW"
    assert snapshot(client, scope) == before
    assert client.get_did(f"{scope}:ds").bytes == 2**63 - 1


def test_totals_past_int64_are_out_of_range_and_totals_within_it_are_exact(client: Client, scope: str) -> None:
    """Found by the property test on a shared PostgreSQL server: the sum went to `numeric`, then failed
    to fit the int64 response field (INTERNAL). Both databases now answer OUT_OF_RANGE."""
    client.add_dids([NewDid(f"{scope}:big", "file", bytes=2**63 - 2), NewDid(f"{scope}:one", "file", bytes=1)])
    exact = client.count_totals(scope, type="file")
    assert (exact.count, exact.bytes) == (2, 2**63 - 1)
    client.add_dids([NewDid(f"{scope}:two", "file", bytes=1)])
    with pytest.raises(errors.OutOfRange) as caught:
        client.count_totals(scope, type="file")
    assert caught.value.reason == "TOTAL_OUT_OF_RANGE"
    assert client.count_dids(scope, type="file") == 3


# --- UNKNOWN before: undecodable requests -----------------------------------------------------------------
def test_corrupt_protobuf_is_invalid_argument(channel: grpc.Channel) -> None:
    for method in ("/didmeta.v1.DidService/GetDid", "/didmeta.v1.MetadataService/SetMetadata"):
        for body in (b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x08" + b"\xff" * 11):
            error = refused(lambda method=method, body=body: raw_call(channel, method, body))  # type: ignore[misc]
            assert error.reason == "MALFORMED_REQUEST"


def test_invalid_utf8_is_invalid_argument(channel: grpc.Channel, scope: str) -> None:
    body = (
        did_service_pb2.GetDidRequest(did=key(scope, "abcd")).SerializeToString().replace(b"abcd", b"\xff\xfe\xfd\xfc")
    )
    error = refused(lambda: raw_call(channel, "/didmeta.v1.DidService/GetDid", body))
    assert error.reason == "MALFORMED_REQUEST"


def test_undecodable_chunk_of_a_load_stream_is_invalid_argument(
    channel: grpc.Channel, client: Client, scope: str
) -> None:
    method = channel.stream_unary(
        "/didmeta.v1.MetadataService/LoadDids", request_serializer=None, response_deserializer=None
    )
    good = pb.LoadDidsRequest(dids=[did_pb2.NewDid(scope=scope, name="a", type=did_pb2.DID_TYPE_FILE)])
    error = refused(lambda: method(iter([good.SerializeToString(), b"\xff\xff"]), timeout=10))
    assert error.reason == "MALFORMED_REQUEST"
    assert list(client.list_dids(scope, type="all")) == [f"{scope}:a"]  # LoadDids is atomic per chunk


def test_value_nesting_limits(client: Client, channel: grpc.Channel, scope: str) -> None:
    client.add_did(f"{scope}:d", "dataset")

    did = key(scope, "d").SerializeToString()

    def set_depth(depth: int) -> Any:
        entry = _field(1, b"deep") + _field(2, nested_value_bytes(depth))  # map entry: key, value
        body = _field(1, did) + _field(2, entry)
        return raw_call(channel, "/didmeta.v1.MetadataService/SetMetadata", body)

    set_depth(32)  # MAX_VALUE_DEPTH levels are stored
    assert client.get_metadata(f"{scope}:d", "ALL")["deep"] is not None
    error = refused(lambda: set_depth(33))
    assert error.reason == "VALUE_TOO_DEEP"
    error = refused(lambda: set_depth(60))  # deeper than protobuf's decoder allows
    assert error.reason == "MALFORMED_REQUEST"


# --- error messages stay small ----------------------------------------------------------------------------
def test_a_huge_echoed_value_gives_a_small_readable_error(channel: grpc.Channel, scope: str) -> None:
    stub = did_service_pb2_grpc.DidServiceStub(channel)
    error = refused(lambda: stub.GetDid(did_service_pb2.GetDidRequest(did=key(scope, "n" * 10_000)), timeout=10))
    assert error.reason == "INVALID_NAME"
    assert len(error.message) <= 1000 and "more characters" in error.message
    assert error.field_violations[0].field == "did.name"
    meta = metadata_service_pb2_grpc.MetadataServiceStub(channel)
    request = pb.SetMetadataRequest(did=key(scope, "x"), metadata={"k" * 20_000: value_pb2.Value(int_value=1)})
    error = refused(lambda: meta.SetMetadata(request, timeout=10))
    assert error.reason == "INVALID_KEY" and len(error.message) <= 1000


def test_text_longer_than_its_column_is_refused_alike_on_every_database(
    client: Client, channel: grpc.Channel, scope: str
) -> None:
    """Found by the property suite: PostgreSQL refused a 251-character account with INTERNAL."""
    before = snapshot(client, scope)
    dids = did_service_pb2_grpc.DidServiceStub(channel)
    for field, length in (("account", 25), ("md5", 32), ("adler32", 8), ("guid", 36)):
        bad = did_pb2.NewDid(scope=scope, name="n", type=did_pb2.DID_TYPE_FILE)
        setattr(bad, field, "a" * (length + 1))
        error = refused(lambda bad=bad: dids.AddDids(did_service_pb2.AddDidsRequest(dids=[bad])))  # type: ignore[misc]
        assert error.field_violations[0].field == f"dids[0].{field}"
        assert f"at most {length} characters" in error.message
    error = refused(lambda: dids.AddScope(did_service_pb2.AddScopeRequest(scope=scope + "x", account="n" * 251)))
    assert error.field_violations[0].field == "account"
    assert snapshot(client, scope) == before
