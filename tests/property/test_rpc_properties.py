"""Properties of every RPC against a live server (SQLite and PostgreSQL), issue 11.

For any generated request message (and any raw bytes) of every RPC of the contract:
* the status is never UNKNOWN, INTERNAL or UNAVAILABLE while the database is up;
* a refused write changes nothing: the catalogue's rows (scopes, DIDs with their columns and JSON
  metadata, attachments) are fingerprinted before and after.
DIDMETA_HYPOTHESIS_EXAMPLES sets the examples per RPC (default 25, a CI-sized run).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from didmeta.client import LoadChunk, NewDid
from didmeta.v1 import did_service_pb2, metadata_service_pb2
from tests.property.strategies import EXAMPLES, SCOPES, messages
from tests.support.checks import engine_for
from tests.support.server import ServerProcess

FORBIDDEN = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE}
WRITES = {
    "AddScope",
    "AddDids",
    "AttachDids",
    "DetachDids",
    "SetDidStatus",
    "DeleteDids",
    "SetMetadata",
    "SetMetadataBulk",
    "LoadDids",
    "DeleteMetadata",
}
METHODS: dict[str, MethodDescriptor] = {
    method.name: method
    for module, service in ((did_service_pb2, "DidService"), (metadata_service_pb2, "MetadataService"))
    for method in module.DESCRIPTOR.services_by_name[service].methods
}
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


def request_class(method: MethodDescriptor) -> type[Message]:
    return message_factory.GetMessageClass(method.input_type)


@dataclass
class Live:
    channel: grpc.Channel
    engine: Engine

    def call(self, method: MethodDescriptor, body: Any, *, serialize: bool = True) -> grpc.StatusCode:
        """Send one request (a message, or raw bytes) and return the final status code."""
        path = f"/{method.containing_service.full_name}/{method.name}"
        serializer: Callable[[Any], bytes] | None = (lambda m: m.SerializeToString()) if serialize else None
        try:
            if method.client_streaming:
                self.channel.stream_unary(path, serializer, None)(iter([body]), timeout=60)
            elif method.server_streaming:
                for _ in self.channel.unary_stream(path, serializer, None)(body, timeout=60):
                    pass
            else:
                self.channel.unary_unary(path, serializer, None)(body, timeout=60)
        except grpc.RpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    def fingerprint(self) -> str:
        digest = hashlib.blake2b(digest_size=16)
        with self.engine.connect() as conn:
            for table, order in (
                ("scopes", "scope"),
                ("dids", "scope, name"),
                ("contents", "scope, name, child_scope, child_name"),
            ):
                for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")):
                    digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()


@pytest.fixture(scope="module")
def live(server: ServerProcess) -> Iterator[Live]:
    with server.client(timeout=60) as client:
        for scope in SCOPES:
            if scope not in {s.name for s in client.list_scopes()}:
                client.add_scope(scope)
                client.load(
                    [
                        LoadChunk(
                            dids=[
                                NewDid(f"{scope}:ds", "dataset", metadata={"colour": "red", "k": 5}),
                                NewDid(f"{scope}:c", "container"),
                                *(NewDid(f"{scope}:{n}", "file", bytes=1, metadata={"k": n}) for n in ("a", "b", "f1")),
                            ],
                            attachments=[(f"{scope}:ds", f"{scope}:a"), (f"{scope}:c", f"{scope}:ds")],
                        )
                    ]
                )
    engine = engine_for(server)
    with grpc.insecure_channel(server.address, options=[("grpc.max_receive_message_length", 64 << 20)]) as channel:
        yield Live(channel, engine)
    engine.dispose()


@pytest.mark.parametrize("name", sorted(METHODS))
@HYPOTHESIS
@given(data=st.data())
def test_any_request_gets_a_clear_status_and_a_refused_write_changes_nothing(
    live: Live, name: str, data: st.DataObject
) -> None:
    method = METHODS[name]
    request = data.draw(messages(request_class(method)), label="request")
    before = live.fingerprint() if name in WRITES else ""
    code = live.call(method, request)
    assert code not in FORBIDDEN, f"{name} answered {code.name} to {request!r:.2000}"
    if name in WRITES and code != grpc.StatusCode.OK:
        assert live.fingerprint() == before, f"refused {name} ({code.name}) changed the catalogue: {request!r:.2000}"


@pytest.mark.parametrize("name", sorted(METHODS))
@HYPOTHESIS
@given(body=st.binary(max_size=64) | st.sampled_from([b"\xff" * 8, b"\x0a\x02\xc3\x28", b"\x12\x80\x80\x80\x80\x10"]))
def test_any_bytes_get_a_clear_status(live: Live, name: str, body: bytes) -> None:
    method = METHODS[name]
    before = live.fingerprint() if name in WRITES else ""
    code = live.call(method, body, serialize=False)
    assert code not in FORBIDDEN, f"{name} answered {code.name} to {body!r}"
    if name in WRITES and code != grpc.StatusCode.OK:
        assert live.fingerprint() == before
