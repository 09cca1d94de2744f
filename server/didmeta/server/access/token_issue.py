"""Issue HS256 tokens with the server's shared secret (`didmeta token issue`): operators, tests, demos.

The token carries `iss` (the first trusted issuer), `aud`, `sub` (the account claim), `iat`, `nbf`,
`exp`, a `jti`, and the capabilities in a WLCG-style space-separated `scope` claim.
"""

from __future__ import annotations

import re
import time
import uuid

import jwt

from didmeta.errors import InvalidArgument
from didmeta.server.access.identity import Capability
from didmeta.server.config import AuthSettings

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """`90`, `90s`, `15m`, `1h`, `2d` -> seconds (positive)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise InvalidArgument.for_field("ttl", f"{text!r} is not a duration like 90s, 15m, 1h or 2d")
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


def issue_token(settings: AuthSettings, account: str, scopes: list[str], ttl_seconds: int) -> str:
    """A signed HS256 token for `account` with the capabilities `scopes` (each `didmeta.<right>[:pattern]`)."""
    if settings.hs256_secret is None:
        raise InvalidArgument.for_field("auth.hs256_secret", "set the secret (config or DIDMETA_AUTH__HS256_SECRET)")
    if not account:
        raise InvalidArgument.for_field("account", "name the account")
    for index, item in enumerate(scopes):
        if Capability.parse(item) is None:
            raise InvalidArgument.for_field(f"scope[{index}]", f"{item!r} is not a didmeta capability")
    now = int(time.time())
    claims = {
        "iss": settings.issuers[0] if settings.issuers else "didmeta",
        "aud": settings.audience,
        settings.account_claim: account,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if scopes:
        claims[settings.scope_claim] = " ".join(scopes)
    return jwt.encode(claims, settings.hs256_secret.get_secret_value(), algorithm="HS256")
