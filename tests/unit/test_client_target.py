"""The client's server address: a host without a port means didmeta's default port, not gRPC's 443."""

from __future__ import annotations

import pytest

from didmeta.client import Client
from didmeta.client._client import with_default_port


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("localhost", "localhost:50051"),
        ("didmeta.example.org", "didmeta.example.org:50051"),
        ("10.0.0.1", "10.0.0.1:50051"),
        ("::1", "[::1]:50051"),
        ("[::1]", "[::1]:50051"),
        ("[::1]:7000", "[::1]:7000"),
        ("localhost:7000", "localhost:7000"),
        ("dns:///didmeta.example.org:443", "dns:///didmeta.example.org:443"),
        ("unix:/run/didmeta.sock", "unix:/run/didmeta.sock"),
    ],
)
def test_a_host_without_a_port_gets_the_default_port(given: str, used: str) -> None:
    assert with_default_port(given) == used


def test_the_client_connects_to_the_default_port() -> None:
    with Client("localhost") as client:
        assert client.target == "localhost:50051"
