"""Bearer-token authentication against real server processes: HS256, RS256/ES256 from a JWKS file and a
JWKS URL, and every way a token can be wrong (UNAUTHENTICATED with the reason, nothing changed)."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest

from didmeta.client import Client, DidmetaError
from tests.support.auth import (
    AUDIENCE,
    IAM_ISSUER,
    ISSUER,
    SECRET,
    SigningKey,
    hs256_token,
    jwks,
    jwks_server,
)
from tests.support.checks import expect_error
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess

RSA_KEY = SigningKey.rsa("rsa-1")
EC_KEY = SigningKey.ec("ec-1")
OTHER_RSA = SigningKey.rsa("rsa-1")  # same kid, different key: a forged signature


def token_settings(database: str, **auth: Any) -> dict[str, Any]:
    return {
        "database": database,
        "log_format": "text",
        "log_level": "DEBUG",
        "auth": {
            "mode": "token",
            "hs256_secret": SECRET,
            "issuers": [ISSUER, IAM_ISSUER],
            "audience": AUDIENCE,
            "admin_accounts": ["root"],
            "identity_map": {"iam-uuid-1234": "carol"},
            **auth,
        },
    }


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]) -> ServerProcess:
    directory = tmp_path_factory.mktemp("token-server")
    jwks_file = directory / "jwks.json"
    jwks_file.write_text(json.dumps(jwks(RSA_KEY, EC_KEY)))
    server = start_server(token_settings(new_sqlite_database(directory), jwks_file=str(jwks_file)))
    with server.client(token=hs256_token("root"), timeout=30) as root:
        root.add_scope("alice", "alice")
        root.add_scope("carol", "carol")
    return server


@pytest.fixture()
def connect(token_server: ServerProcess) -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(token: str | None = None) -> Client:
        client = token_server.client(token=token, timeout=30)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_valid_tokens_list_nothing_they_may_not_see_yet(connect: Callable[..., Client]) -> None:
    assert {s.name for s in connect(hs256_token("alice")).list_scopes()} == {"alice", "carol"}


def test_hs256_token_names_the_caller(connect: Callable[..., Client]) -> None:
    alice = connect(hs256_token("alice"))
    alice.add_did("alice:hs256-file", "file", bytes=1)
    assert alice.get_did("alice:hs256-file").account == "alice"


@pytest.mark.parametrize("key", [RSA_KEY, EC_KEY], ids=["RS256", "ES256"])
def test_jwks_file_keys_and_the_identity_map(connect: Callable[..., Client], key: SigningKey) -> None:
    carol = connect(key.token("iam-uuid-1234"))  # an IAM subject, mapped to the account carol
    carol.add_did(f"carol:{key.algorithm}", "file", bytes=1)
    assert carol.get_did(f"carol:{key.algorithm}").account == "carol"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "root"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


BAD_TOKENS: dict[str, tuple[Callable[[], str | None], str]] = {
    "missing": (lambda: None, "TOKEN_MISSING"),
    "garbage": (lambda: "not-a-jwt", "TOKEN_MALFORMED"),
    "expired": (lambda: hs256_token("alice", ttl=-3600), "TOKEN_EXPIRED"),
    "not-yet-valid": (lambda: hs256_token("alice", nbf=int(time.time()) + 3600), "TOKEN_NOT_YET_VALID"),
    "wrong-audience": (lambda: hs256_token("alice", aud="someone-else"), "TOKEN_WRONG_AUDIENCE"),
    "wrong-issuer": (lambda: hs256_token("alice", iss="https://evil.test/"), "TOKEN_UNKNOWN_ISSUER"),
    "no-expiry": (lambda: hs256_token("alice", exp=None), "TOKEN_MISSING_CLAIM"),
    "tampered-hs256": (lambda: _tamper(hs256_token("alice")), "TOKEN_BAD_SIGNATURE"),
    "wrong-secret": (lambda: hs256_token("root", secret="another-secret-of-32-bytes-or-more!!"), "TOKEN_BAD_SIGNATURE"),
    "tampered-rs256": (lambda: _tamper(RSA_KEY.token("alice")), "TOKEN_BAD_SIGNATURE"),
    "forged-rs256": (lambda: OTHER_RSA.token("root"), "TOKEN_BAD_SIGNATURE"),
    "unknown-kid": (lambda: SigningKey.rsa("rsa-unknown").token("root"), "TOKEN_UNKNOWN_KEY"),
    "alg-none": (
        lambda: jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "root", "exp": time.time() + 60}, "", "none"),
        "TOKEN_ALGORITHM",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_are_unauthenticated_and_change_nothing(
    connect: Callable[..., Client], token_server: ServerProcess, case: str
) -> None:
    make, reason = BAD_TOKENS[case]
    caller = connect(make())
    expect_error(
        lambda: caller.add_scope(f"bad_{case.replace('-', '_')}", "root"),
        grpc.StatusCode.UNAUTHENTICATED,
        reason=reason,
    )
    expect_error(caller.list_scopes, grpc.StatusCode.UNAUTHENTICATED, reason=reason)
    expect_error(lambda: list(caller.list_dids("*")), grpc.StatusCode.UNAUTHENTICATED, reason=reason)
    root = connect(hs256_token("root"))
    assert [s.name for s in root.list_scopes()] == ["alice", "carol"]


def test_token_text_never_reaches_the_log(connect: Callable[..., Client], token_server: ServerProcess) -> None:
    tokens = [hs256_token("alice"), hs256_token("alice", ttl=-3600), _tamper(hs256_token("bob")), RSA_KEY.token("x")]
    for token in tokens:
        caller = connect(token)
        with contextlib.suppress(DidmetaError):  # denied or unauthenticated: what matters here is the log
            caller.add_scope("never_created", "bob")
    log = token_server.log_path.read_text(errors="replace")
    assert "authentication refused: TOKEN_EXPIRED" in log  # refusals are logged, with the reason
    assert "authentication refused: TOKEN_BAD_SIGNATURE" in log
    for token in tokens:
        for part in token.split(".")[1:]:
            assert part not in log
    assert SECRET not in log


def test_jwks_url_is_fetched_refreshed_on_an_unknown_kid_and_when_old(
    tmp_path: Path, start_server: Callable[..., ServerProcess]
) -> None:
    first, second = SigningKey.rsa("url-1"), SigningKey.ec("url-2")
    with jwks_server(jwks(first)) as published:
        server = start_server(
            token_settings(
                new_sqlite_database(tmp_path),
                hs256_secret=None,
                jwks_url=published.url,
                jwks_min_refresh_seconds=0,
                jwks_max_age_seconds=1,
            )
        )
        with server.client(token=first.token("root"), timeout=30) as root:
            root.add_scope("rotated", "root")
        hits_before = len(published.hits)
        with server.client(token=second.token("root"), timeout=30) as rotated:
            expect_error(rotated.list_scopes, grpc.StatusCode.UNAUTHENTICATED, reason="TOKEN_UNKNOWN_KEY")
            published.publish(jwks(first, second))  # the provider rotates its keys
            assert [s.name for s in rotated.list_scopes()] == ["rotated"]
        assert len(published.hits) > hits_before
        published.publish(jwks(second))  # the provider withdraws the first key
        time.sleep(1.2)  # older than jwks_max_age_seconds: reloaded on the next call
        with server.client(token=first.token("root"), timeout=30) as withdrawn:
            expect_error(withdrawn.list_scopes, grpc.StatusCode.UNAUTHENTICATED, reason="TOKEN_UNKNOWN_KEY")
