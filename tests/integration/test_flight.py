"""The Arrow Flight endpoint, used from a plain pyarrow.flight client (no didmeta client code)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pyarrow as pa
import pytest
from pyarrow import flight

from didmeta.client import NewDid
from tests.support.checks import free_port
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def flight_server(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> tuple[ServerProcess, str]:
    address = f"127.0.0.1:{free_port()}"
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text", "flight_listen": address})
    with server.client(timeout=60) as client:
        client.add_scope("fl")
        client.add_dids(
            NewDid(f"fl:f.{i:03d}", "file", bytes=i, metadata={"run": i, "label": f"l{i % 2}"}) for i in range(250)
        )
    return server, f"grpc://{address}"


def _ticket(**fields: object) -> bytes:
    return json.dumps({"scope": "fl", "type": "DID_TYPE_SELECTOR_ALL", **fields}).encode()


def test_do_get_streams_the_listing(flight_server: tuple[ServerProcess, str]) -> None:
    server, location = flight_server
    ticket = _ticket(filter={"expression": "run>=10"}, metadataKeys=["run", "label"], limit=200)
    table = flight.connect(location).do_get(flight.Ticket(ticket)).read_all()
    with server.client(timeout=60) as client:
        expected = list(client.list_dids("fl", "run>=10", type="all", limit=200))
    assert [f"fl:{n}" for n in table.column("name").to_pylist()] == expected
    assert table.schema.field("run").type == pa.int64()
    assert table.column("run").to_pylist() == list(range(10, 210))
    assert table.column("label").to_pylist() == [f"l{i % 2}" for i in range(10, 210)]
    assert table.column("bytes").to_pylist() == list(range(10, 210))


def test_flight_info_has_the_schema(flight_server: tuple[ServerProcess, str]) -> None:
    _, location = flight_server
    client = flight.connect(location)
    info = client.get_flight_info(flight.FlightDescriptor.for_command(_ticket(metadataKeys=["run"])))
    assert info.schema.names == ["scope", "name", "type", "bytes", "length", "events", "created_at", "run"]
    assert info.schema.field("run").type == pa.int64()
    table = client.do_get(info.endpoints[0].ticket).read_all()
    assert table.num_rows == 250


def test_bad_ticket_is_invalid_argument(flight_server: tuple[ServerProcess, str]) -> None:
    _, location = flight_server
    client = flight.connect(location)
    with pytest.raises(pa.ArrowInvalid, match=r"INVALID_ARGUMENT.*filter"):
        client.do_get(flight.Ticket(_ticket(filter={"expression": "run>>"}))).read_all()
    with pytest.raises(pa.ArrowInvalid, match=r"INVALID_ARGUMENT.*ticket"):
        client.do_get(flight.Ticket(b"{not json")).read_all()
