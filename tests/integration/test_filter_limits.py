"""Issue 11: large filters work up to documented limits and are INVALID_ARGUMENT past them.

SQLite's "Expression tree is too large" must never surface: filters at every limit are answered on
SQLite and PostgreSQL; past a limit the status names the limit (reason FILTER_TOO_LARGE).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from didmeta.client import Client, NewDid, from_rpc_error
from didmeta.server.config import Settings
from didmeta.v1 import filter_pb2, metadata_service_pb2, metadata_service_pb2_grpc, value_pb2
from tests.support.server import ServerProcess

Code = grpc.StatusCode
pb = metadata_service_pb2
DEFAULTS = Settings.model_validate({})


@pytest.fixture()
def meta(server: ServerProcess) -> Iterator[metadata_service_pb2_grpc.MetadataServiceStub]:
    with grpc.insecure_channel(server.address) as channel:
        yield metadata_service_pb2_grpc.MetadataServiceStub(channel)


@pytest.fixture()
def data(client: Client, scope: str) -> str:
    client.add_dids(
        [NewDid(f"{scope}:d{i}", "dataset", metadata={"k0": i, "colour": "red" if i % 2 else "blue"}) for i in range(6)]
    )
    return scope


def too_large(call: Callable[[], object], setting: str) -> None:
    with pytest.raises(grpc.RpcError) as info:
        call()
    error = from_rpc_error(info.value)
    assert error.code == Code.INVALID_ARGUMENT, error.message
    assert error.reason == "FILTER_TOO_LARGE"
    assert error.metadata["limit"] == setting and setting in error.message
    assert error.field_violations and error.field_violations[0].field.startswith("filter")


def structured(groups: list[list[tuple[str, Any, value_pb2.Value]]]) -> filter_pb2.Filter:
    message = filter_pb2.Filter()
    for group in groups:
        wire = message.groups.add()
        for key, op, value in group:
            wire.clauses.add(key=key, operator=op, value=value)
    return message


EQ, NE, IN = filter_pb2.FILTER_OPERATOR_EQ, filter_pb2.FILTER_OPERATOR_NE, filter_pb2.FILTER_OPERATOR_IN


def integer(n: int) -> value_pb2.Value:
    return value_pb2.Value(int_value=n)


def int_list(values: range) -> value_pb2.Value:
    message = value_pb2.Value()
    message.list_value.values.extend(integer(v) for v in values)
    return message


def test_past_the_limits_is_invalid_argument_naming_the_limit(
    meta: metadata_service_pb2_grpc.MetadataServiceStub, data: str
) -> None:
    def count(filter_: filter_pb2.Filter) -> Callable[[], object]:
        return lambda: meta.CountDids(pb.CountDidsRequest(scope=data, filter=filter_), timeout=60)

    def listing(filter_: filter_pb2.Filter) -> Callable[[], object]:
        return lambda: list(meta.ListDids(pb.ListDidsRequest(scope=data, filter=filter_), timeout=60))

    # 1,000 OR groups, 10,000 AND clauses, 10,001 `in` values: structured and as text
    groups = structured([[("k0", EQ, integer(i))] for i in range(1000)])
    too_large(count(groups), "max_filter_groups")
    too_large(listing(groups), "max_filter_groups")
    text_groups = filter_pb2.Filter(expression=";".join(f"k0={i}" for i in range(1000)))
    too_large(count(text_groups), "max_filter_groups")
    clauses = structured([[(f"k{i}", NE, integer(i)) for i in range(10_000)]])
    too_large(count(clauses), "max_filter_clauses")
    text_clauses = filter_pb2.Filter(expression=",".join(f"k{i}!={i}" for i in range(2_000)))  # < max chars
    too_large(listing(text_clauses), "max_filter_clauses")
    values = structured([[("k0", IN, int_list(range(10_001)))]])
    too_large(count(values), "max_in_values")
    text_values = filter_pb2.Filter(expression="k0.in=[" + ",".join(str(i) for i in range(10_001)) + "]")
    too_large(count(text_values), "max_in_values")
    long_text = filter_pb2.Filter(expression="k0=" + "9" * 200_000)
    too_large(count(long_text), "max_filter_chars")


@pytest.mark.parametrize("recursive", [False, True], ids=["flat", "recursive"])
def test_filters_at_the_limits_are_answered(
    meta: metadata_service_pb2_grpc.MetadataServiceStub, data: str, recursive: bool
) -> None:
    def count(filter_: filter_pb2.Filter) -> int:
        request = pb.CountDidsRequest(scope=data, filter=filter_, recursive=recursive)
        return int(meta.CountDids(request, timeout=120).count)

    clauses_per_group = DEFAULTS.max_filter_clauses // DEFAULTS.max_filter_groups
    # max groups, max clauses in all: group g matches d{g} only
    groups = [
        [("k0", EQ, integer(g)), *((f"x{c}", NE, integer(c)) for c in range(clauses_per_group - 1))]
        for g in range(DEFAULTS.max_filter_groups)
    ]
    assert count(structured(groups)) == 6
    # max clauses in one group (one `ne` per key: all hold)
    one_group = [[(f"k{i}", NE, integer(-1)) for i in range(DEFAULTS.max_filter_clauses)]]
    assert count(structured(one_group)) == 6
    text = ",".join(f"k{i}!=-1" for i in range(DEFAULTS.max_filter_clauses))
    assert count(filter_pb2.Filter(expression=text)) == 6
    # max `in` values, on a JSON key and a DID column
    started = time.monotonic()
    assert count(structured([[("k0", IN, int_list(range(-DEFAULTS.max_in_values + 3, 3)))]])) == 3
    assert count(structured([[("run_number", IN, int_list(range(DEFAULTS.max_in_values)))]])) == 0
    assert time.monotonic() - started < 30


def test_limits_are_settings(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        {"database": make_catalogue_url("sqlite"), "log_format": "text", "max_filter_groups": 2, "max_in_values": 3}
    )
    with server.client(timeout=30) as client:
        client.add_scope("lim")
        client.add_dids([NewDid(f"lim:d{i}", "dataset", metadata={"n": i}) for i in range(4)])
        assert client.count_dids("lim", "n=1;n=2") == 2
        assert client.count_dids("lim", "n.in=[0,1,2]") == 3
    with grpc.insecure_channel(server.address) as channel:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        too_large(
            lambda: stub.CountDids(
                pb.CountDidsRequest(scope="lim", filter=filter_pb2.Filter(expression="n=1;n=2;n=3"))
            ),
            "max_filter_groups",
        )
        too_large(
            lambda: stub.CountDids(
                pb.CountDidsRequest(scope="lim", filter=filter_pb2.Filter(expression="n.in=[0,1,2,3]"))
            ),
            "max_in_values",
        )
