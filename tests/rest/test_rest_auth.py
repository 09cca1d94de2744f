"""Token mode through the gateway: the Authorization header reaches the same checks as gRPC metadata."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.auth import ISSUER, SECRET, hs256_token
from tests.support.databases import new_sqlite_database
from tests.support.rest import Rest, RestServer, start_rest_server
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]) -> RestServer:
    directory = tmp_path_factory.mktemp("rest-token")
    auth = {
        "mode": "token",
        "hs256_secret": SECRET,
        "issuers": [ISSUER],
        "admin_accounts": ["root"],
        "read_restricted_scopes": ["secret*"],
    }
    return start_rest_server(start_server, {"database": new_sqlite_database(directory), "auth": auth})


def _as(server: RestServer, account: str | None) -> Rest:
    headers = {"Authorization": f"Bearer {hs256_token(account)}"} if account else {}
    return Rest(server.base, headers)


def test_no_or_bad_token_is_401_with_the_reason(token_server: RestServer) -> None:
    missing = _as(token_server, None).get("/v1/scopes")
    assert missing.status == 401 and missing.json()["code"] == 16 and missing.error_reason() == "TOKEN_MISSING"
    forged = Rest(token_server.base, {"Authorization": f"Bearer {hs256_token('root', secret='x' * 40)}"})
    assert forged.get("/v1/scopes").error_reason() == "TOKEN_BAD_SIGNATURE"
    not_bearer = Rest(token_server.base, {"Authorization": "Basic cm9vdDpyb290"}).get("/v1/scopes")
    assert not_bearer.status == 401 and not_bearer.error_reason() == "TOKEN_MALFORMED"


def test_rights_are_checked_per_caller(token_server: RestServer) -> None:
    root, alice, bob = (_as(token_server, a) for a in ("root", "alice", "bob"))
    assert root.ok("POST", "/v1/scopes", {"scope": "alices", "account": "alice"})["scope"]["account"] == "alice"
    assert root.ok("POST", "/v1/scopes", {"scope": "secret1", "account": "root"})["scope"]["name"] == "secret1"
    made = alice.ok("POST", "/v1/dids", {"dids": [{"scope": "alices", "name": "d", "type": "DID_TYPE_DATASET"}]})
    assert made == {"created": "1"}
    denied = bob.post("/v1/dids", {"dids": [{"scope": "alices", "name": "b", "type": "DID_TYPE_DATASET"}]})
    assert denied.status == 403 and denied.json()["code"] == 7 and "alices" in denied.json()["message"]
    root.ok("POST", "/v1/dids", {"dids": [{"scope": "secret1", "name": "s", "type": "DID_TYPE_DATASET"}]})

    # bob's listing of every scope leaves out the read-restricted one; root sees both
    def names(rest: Rest) -> list[str]:
        results = rest.ok("GET", "/v1/dids", query={"scope": "*"})
        return [f"{s}:{n}" for r in results for s, n in zip(r["batch"]["scopes"], r["batch"]["names"], strict=True)]

    assert names(bob) == ["alices:d"]
    assert names(root) == ["alices:d", "secret1:s"]
    hidden = bob.get("/v1/dids/secret1/s")
    assert hidden.status == 403 and hidden.json()["details"][0]["metadata"]["right"] == "didmeta.read"
