"""The Python client retries reads that failed with UNAVAILABLE or CANCELLED, and never retries writes.

The server here is a fake in this process (FakeFlakyDidService), not didmeta: what is under test is the
client's channel configuration, which gRPC itself carries out. The proxy drain test
(tests/mesh/test_proxy.py) relies on the same configuration against real servers behind nginx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from didmeta.client import Client, Unavailable
from didmeta.client.retries import READ_METHODS, SERVICE_CONFIG_OPTION, with_read_retries
from didmeta.errors import Cancelled
from didmeta.v1 import did_service_pb2


class FakeFlakyDidService:
    """Answers `code` (UNAVAILABLE unless set) to the first `failures` calls of each method, then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.code = grpc.StatusCode.UNAVAILABLE
        self.calls: dict[str, int] = {}

    def _fail_first(self, method: str, context: grpc.ServicerContext) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        if self.calls[method] <= self.failures:
            context.abort(self.code, "draining")

    def list_scopes(
        self, request: did_service_pb2.ListScopesRequest, context: grpc.ServicerContext
    ) -> did_service_pb2.ListScopesResponse:
        self._fail_first("ListScopes", context)
        return did_service_pb2.ListScopesResponse(scopes=[did_service_pb2.Scope(name="data18")])

    def add_scope(
        self, request: did_service_pb2.AddScopeRequest, context: grpc.ServicerContext
    ) -> did_service_pb2.AddScopeResponse:
        self._fail_first("AddScope", context)
        return did_service_pb2.AddScopeResponse()

    def handler(self) -> Any:
        def unary(method: Any, request_type: Any, response_type: Any) -> Any:
            serialize = response_type.SerializeToString
            return grpc.unary_unary_rpc_method_handler(
                method, request_deserializer=request_type.FromString, response_serializer=serialize
            )

        return grpc.method_handlers_generic_handler(
            "didmeta.v1.DidService",
            {
                "ListScopes": unary(
                    self.list_scopes, did_service_pb2.ListScopesRequest, did_service_pb2.ListScopesResponse
                ),
                "AddScope": unary(self.add_scope, did_service_pb2.AddScopeRequest, did_service_pb2.AddScopeResponse),
            },
        )


def serve(service: FakeFlakyDidService) -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((service.handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None)


@pytest.fixture()
def flaky() -> FakeFlakyDidService:
    return FakeFlakyDidService(failures=2)


@pytest.fixture()
def address(flaky: FakeFlakyDidService) -> Iterator[str]:
    yield from serve(flaky)


def test_a_read_that_failed_with_unavailable_is_retried(flaky: FakeFlakyDidService, address: str) -> None:
    with Client(address, timeout=10) as client:
        assert [s.name for s in client.list_scopes()] == ["data18"]
    assert flaky.calls["ListScopes"] == 3, "two UNAVAILABLE answers, then the third attempt succeeded"


def test_a_write_that_failed_with_unavailable_is_not_retried(flaky: FakeFlakyDidService, address: str) -> None:
    with Client(address, timeout=10) as client, pytest.raises(Unavailable):
        client.add_scope("data18")
    assert flaky.calls["AddScope"] == 1


def test_a_read_the_server_cancelled_is_retried_and_a_write_is_not(flaky: FakeFlakyDidService, address: str) -> None:
    """What a draining server answers to a call that arrived after it stopped taking new ones (grpc/grpc#41785)."""
    flaky.code = grpc.StatusCode.CANCELLED
    with Client(address, timeout=10) as client:
        assert [s.name for s in client.list_scopes()] == ["data18"]
        with pytest.raises(Cancelled):
            client.add_scope("data18")
    assert (flaky.calls["ListScopes"], flaky.calls["AddScope"]) == (3, 1)


def test_reads_are_not_retried_when_asked_not_to(flaky: FakeFlakyDidService, address: str) -> None:
    with Client(address, timeout=10, retry_reads=False) as client, pytest.raises(Unavailable):
        client.list_scopes()
    assert flaky.calls["ListScopes"] == 1


def test_retries_give_up_after_four_attempts(address: str, flaky: FakeFlakyDidService) -> None:
    flaky.failures = 10
    with Client(address, timeout=10) as client, pytest.raises(Unavailable):
        client.list_scopes()
    assert flaky.calls["ListScopes"] == 4


def test_a_service_config_given_by_the_caller_is_kept() -> None:
    balancing = {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
    options = with_read_retries([("grpc.primary_user_agent", "x"), (SERVICE_CONFIG_OPTION, json.dumps(balancing))])
    assert options[0] == ("grpc.primary_user_agent", "x")
    config = json.loads(dict(options)[SERVICE_CONFIG_OPTION])
    assert config["loadBalancingConfig"] == balancing["loadBalancingConfig"]
    assert config["healthCheckConfig"] == balancing["healthCheckConfig"]
    retried = {(n["service"], n["method"]) for n in config["methodConfig"][0]["name"]}
    assert ("didmeta.v1.MetadataService", "GetMetadata") in retried
    writes = ("Add", "Set", "Delete", "Attach", "Detach", "Load", "Save", "Freeze", "Declare", "Clear")
    assert not any(method.startswith(writes) for _, method in retried)


def test_every_retried_method_is_a_method_of_the_contract() -> None:
    from didmeta.v1 import did_service_pb2 as dids
    from didmeta.v1 import metadata_service_pb2 as metadata

    services = {
        "didmeta.v1.DidService": dids.DESCRIPTOR.services_by_name["DidService"],
        "didmeta.v1.MetadataService": metadata.DESCRIPTOR.services_by_name["MetadataService"],
    }
    for service, methods in READ_METHODS.items():
        known = set(services[service].methods_by_name)
        assert set(methods) <= known, set(methods) - known
