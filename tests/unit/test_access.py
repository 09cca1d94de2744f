"""Access control without a server: settings checks, loopback detection, capabilities, token verification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from didmeta.errors import InvalidArgument, Unauthenticated
from didmeta.plugins.sql_conditions import pattern_match
from didmeta.server.access.identity import Capability, Identity, scope_matches
from didmeta.server.access.token_auth import TokenVerifier
from didmeta.server.access.token_issue import issue_token, parse_ttl
from didmeta.server.auth import is_loopback, open_local_refusal
from didmeta.server.config import AuthSettings, Settings, load_settings


@pytest.mark.parametrize(
    ("listen", "loopback"),
    [("127.0.0.1:1", True), ("localhost:1", True), ("[::1]:1", True), ("127.1.2.3:1", True),
     ("0.0.0.0:1", False), ("[::]:1", False), ("10.0.0.5:1", False), ("example.org:1", False)],
)  # fmt: skip
def test_loopback_addresses(listen: str, loopback: bool) -> None:
    assert is_loopback(listen) is loopback
    settings = Settings.model_validate({"listen": listen})
    assert (open_local_refusal(settings) is None) is loopback


def test_open_local_is_allowed_when_meant_and_token_mode_anywhere() -> None:
    open_ = Settings.model_validate({"listen": "0.0.0.0:1", "auth": {"insecure_open": True}})
    assert open_local_refusal(open_) is None
    token = {"mode": "token", "hs256_secret": "s" * 32, "issuers": ["i"]}
    assert open_local_refusal(Settings.model_validate({"listen": "0.0.0.0:1", "auth": token})) is None


def test_token_mode_needs_keys_and_issuers_and_mtls_needs_a_client_ca() -> None:
    with pytest.raises(ValidationError, match="hs256_secret"):
        AuthSettings(mode="token", issuers=["i"])
    with pytest.raises(ValidationError, match="issuers"):
        AuthSettings(mode="token", jwks_file=Path("/nonexistent"))
    with pytest.raises(ValidationError, match="client_ca_file"):
        Settings.model_validate({"auth": {"mode": "mtls"}})


def test_capabilities_cover_their_right_and_scopes_only() -> None:
    write = Capability.parse("didmeta.write:user.*")
    assert write is not None and write.covers("didmeta.write", "user.alice")
    assert not write.covers("didmeta.write", "data23") and not write.covers("didmeta.delete", "user.alice")
    assert Capability.parse("storage.read:/") is None and Capability.parse("openid") is None
    assert Identity("a", False, (Capability("didmeta.read"),)).has_capability("didmeta.read", "any")


def test_issued_tokens_verify_and_carry_their_capabilities() -> None:
    settings = AuthSettings.model_validate(
        {"mode": "token", "hs256_secret": "x" * 32, "issuers": ["https://site"], "admin_accounts": ["ops"]}
    )
    identity = TokenVerifier(settings).verify(issue_token(settings, "alice", ["didmeta.write:user.alice"], 60))
    assert identity == Identity("alice", False, (Capability("didmeta.write", "user.alice"),))
    assert TokenVerifier(settings).verify(issue_token(settings, "ops", [], 60)).is_admin
    with pytest.raises(Unauthenticated) as info:
        TokenVerifier(settings.model_copy(update={"issuers": ["https://other"]})).verify(
            issue_token(settings, "alice", [], 60)
        )
    assert info.value.reason == "TOKEN_UNKNOWN_ISSUER"
    with pytest.raises(InvalidArgument, match="scope"):
        issue_token(settings, "alice", ["storage.read:/"], 60)


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800)])
def test_ttl(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-1h", "1w", "h"])
def test_bad_ttl(text: str) -> None:
    with pytest.raises(InvalidArgument, match="ttl"):
        parse_ttl(text)


def test_the_token_auth_example_loads() -> None:
    settings = load_settings(Path(__file__).resolve().parents[2] / "examples" / "token-auth.toml")
    assert settings.auth.mode == "token" and settings.tls is not None
    assert settings.auth.identity_map["a1b2c3d4-0000-4000-8000-000000000001"] == "alice"
    assert open_local_refusal(settings) is None


@pytest.mark.parametrize("pattern", ["user.*", "da?a", "d[ab]ta", "*", "data*23", "[*]", "a%b", "a_b", "x\\y"])
def test_scope_patterns_mean_in_python_what_the_listing_sql_means(pattern: str) -> None:
    """Rights (Python) and the embargo exemption (SQL) must agree: only `*` is a wildcard."""
    scopes = ["user.alice", "data", "dbta", "daxa", "da?a", "d[ab]ta", "data123", "data23", "[*]", "[x]", "a%b",
              "axb", "a_b", "x\\y", ""]  # fmt: skip
    table = sa.Table("scopes", sa.MetaData(), sa.Column("scope", sa.String))
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"scope": scope} for scope in scopes])
        condition = pattern_match(table.c.scope, pattern, dialect="sqlite", ignore_case=False)
        in_sql = set(conn.execute(sa.select(table.c.scope).where(condition)).scalars())
    assert {scope for scope in scopes if scope_matches(scope, pattern)} == in_sql
    assert not scope_matches("data", "da?a") and scope_matches("da?a", "da?a")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_embargo_condition_is_one_cached_statement_per_caller_shape(dialect: str) -> None:
    """Two viewers (other times, other accounts) give statements of the same cache key: SQLAlchemy compiles
    the embargo condition once, not on every call (unique CTE names used to make every statement new)."""
    from datetime import datetime

    from didmeta.server.access.embargo import Viewer
    from didmeta.server.store.schema import dids

    def statement(account: str, now: datetime) -> sa.Select[Any]:
        viewer = Viewer(dialect, Identity(account, False), now=now)
        return sa.select(dids.c.scope).where(viewer.visible(dids.c.scope, dids.c.name))

    first = statement("alice", datetime(2026, 1, 1))._generate_cache_key()
    second = statement("bob", datetime(2026, 6, 1))._generate_cache_key()
    assert first is not None and second is not None
    assert first.key == second.key
    assert [p.value for p in first.bindparams] != [p.value for p in second.bindparams]  # values still bound
