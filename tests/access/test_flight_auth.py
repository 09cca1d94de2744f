"""The Arrow Flight endpoint in `auth.mode = token`: a plain pyarrow.flight client with a real JWT.

Without a token, or with a bad one, DoGet and GetFlightInfo are refused UNAUTHENTICATED; with one, the
listing is the caller's: read-restricted scopes left out, embargoed DIDs hidden (as for ListDids).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pyarrow import flight

from didmeta.client import NewDid
from tests.support.auth import ISSUER, SECRET, hs256_token
from tests.support.checks import free_port
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess

FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def token_flight(
    tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]
) -> tuple[ServerProcess, str]:
    address = f"127.0.0.1:{free_port()}"
    server = start_server(
        {
            "database": new_sqlite_database(tmp_path_factory.mktemp("flight-auth")),
            "log_format": "text",
            "flight_listen": address,
            "auth": {
                "mode": "token",
                "hs256_secret": SECRET,
                "issuers": [ISSUER],
                "admin_accounts": ["root"],
                "read_restricted_scopes": ["rs*"],
            },
        }
    )
    with server.client(token=hs256_token("root"), timeout=60) as root:
        for scope in ("open", "rsecret"):
            root.add_scope(scope, "alice")
            root.add_dids(NewDid(f"{scope}:f{i}", "file", bytes=i, metadata={"run": i}) for i in range(5))
        root.set_embargo("open:f4", FAR_FUTURE)
    return server, f"grpc://{address}"


def _ticket(scope: str = "*") -> bytes:
    return json.dumps({"scope": scope, "type": "DID_TYPE_SELECTOR_ALL", "metadataKeys": ["run"]}).encode()


def _options(token: str) -> flight.FlightCallOptions:
    return flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())])


def _dids(table: object) -> list[str]:
    columns = table.to_pydict()  # type: ignore[attr-defined]
    return [f"{s}:{n}" for s, n in zip(columns["scope"], columns["name"], strict=True)]


def test_no_or_bad_token_is_refused(token_flight: tuple[ServerProcess, str]) -> None:
    _, location = token_flight
    client = flight.connect(location)
    with pytest.raises(flight.FlightUnauthenticatedError, match="no bearer token"):
        client.do_get(flight.Ticket(_ticket())).read_all()
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.get_flight_info(flight.FlightDescriptor.for_command(_ticket()))
    forged = hs256_token("root", secret="another-secret-of-32-bytes-or-more!!!!!")
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.do_get(flight.Ticket(_ticket()), options=_options(forged)).read_all()
    with pytest.raises(flight.FlightUnauthenticatedError, match="Bearer"):
        client.do_get(
            flight.Ticket(_ticket()), options=flight.FlightCallOptions(headers=[(b"authorization", b"Basic x")])
        ).read_all()


def test_token_caller_sees_its_listing(token_flight: tuple[ServerProcess, str]) -> None:
    _, location = token_flight
    client = flight.connect(location)
    everything = [f"{s}:f{i}" for s in ("open", "rsecret") for i in range(5)]
    root = client.do_get(flight.Ticket(_ticket()), options=_options(hs256_token("root"))).read_all()
    assert _dids(root) == everything
    assert root.column("run").to_pylist() == [0, 1, 2, 3, 4] * 2
    bob = client.do_get(flight.Ticket(_ticket()), options=_options(hs256_token("bob"))).read_all()
    assert _dids(bob) == [f"open:f{i}" for i in range(4)], "no read-restricted scope, no embargoed DID"
    info = client.get_flight_info(flight.FlightDescriptor.for_command(_ticket("open")), _options(hs256_token("bob")))
    assert info.schema.field("run").type.bit_width == 64
    alice = client.do_get(info.endpoints[0].ticket, options=_options(hs256_token("alice"))).read_all()
    assert _dids(alice) == [f"open:f{i}" for i in range(5)], "the owner sees her embargoed DID"
