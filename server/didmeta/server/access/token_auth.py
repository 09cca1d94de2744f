"""`auth.mode = "token"`: the caller is the account of a verified bearer JWT (docs/security.md).

HS256 tokens are checked with the shared secret (one site); RS256/ES256 tokens with the issuer's
keys from a JWKS file or URL. The issuer must be trusted, the audience ours, `exp`/`nbf` valid
within the leeway. The account is a claim (default `sub`), optionally mapped through
`identity_map`; capabilities come from the WLCG-style `scope` claim. A missing or bad token is
UNAUTHENTICATED with the reason; the token text itself never reaches a log or an error message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc
import jwt

from didmeta.errors import Unauthenticated
from didmeta.server.access.identity import Capability, Identity
from didmeta.server.access.jwks import JwksKeys
from didmeta.server.config import AuthSettings

log = logging.getLogger(__name__)
ADMIN_RIGHT = "didmeta.admin"
_ASYMMETRIC = ("RS256", "ES256")

#: PyJWT's verdicts -> (reason, message). Checked in order: subclasses first.
_VERDICTS: tuple[tuple[type[Exception], str, str], ...] = (
    (jwt.ExpiredSignatureError, "TOKEN_EXPIRED", "the token has expired"),
    (jwt.ImmatureSignatureError, "TOKEN_NOT_YET_VALID", "the token is not valid yet (nbf/iat)"),
    (jwt.InvalidAudienceError, "TOKEN_WRONG_AUDIENCE", "the token is not meant for this service (audience)"),
    (jwt.InvalidSignatureError, "TOKEN_BAD_SIGNATURE", "the token signature does not verify"),
    (jwt.MissingRequiredClaimError, "TOKEN_MISSING_CLAIM", "the token lacks a required claim"),
    (jwt.DecodeError, "TOKEN_MALFORMED", "the token is not a well-formed JWT"),
    (jwt.InvalidTokenError, "TOKEN_INVALID", "the token is invalid"),
)


def bearer_token(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """The token of the `authorization: Bearer ...` metadata; UNAUTHENTICATED if there is none."""
    for key, value in context.invocation_metadata() or ():
        if key.lower() == "authorization":
            return parse_bearer(value.decode() if isinstance(value, bytes) else value)
    raise Unauthenticated("no bearer token in the `authorization` metadata", reason="TOKEN_MISSING")


def parse_bearer(text: str) -> str:
    """The token of an `authorization` value `Bearer <token>`; UNAUTHENTICATED if it has another form."""
    scheme, _, token = text.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the authorization metadata must be `Bearer <token>`", reason="TOKEN_MALFORMED")
    return token.strip()


class TokenVerifier:
    """Verifies JWTs and turns their claims into an Identity. Synchronous (a JWKS URL may be fetched)."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.secret = settings.hs256_secret.get_secret_value() if settings.hs256_secret else None
        self.jwks: JwksKeys | None = None
        if settings.jwks_file is not None or settings.jwks_url is not None:
            self.jwks = JwksKeys(
                file=settings.jwks_file,
                url=settings.jwks_url,
                min_refresh_seconds=settings.jwks_min_refresh_seconds,
                max_age_seconds=settings.jwks_max_age_seconds,
            )

    def _key(self, header: dict[str, Any]) -> Any:
        algorithm = header.get("alg")
        if algorithm == "HS256" and self.secret is not None:
            return self.secret
        if algorithm in _ASYMMETRIC and self.jwks is not None:
            key = self.jwks.key_for(header.get("kid"))
            if key.algorithm_name != algorithm:
                raise Unauthenticated(
                    f"the token's algorithm {algorithm} does not match its key", reason="TOKEN_BAD_SIGNATURE"
                )
            return key.key
        raise Unauthenticated(f"tokens signed with {algorithm!r} are not accepted here", reason="TOKEN_ALGORITHM")

    def claims(self, token: str) -> dict[str, Any]:
        settings = self.settings
        try:
            header = jwt.get_unverified_header(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key(header),
                algorithms=[str(header.get("alg"))],
                audience=settings.audience,
                leeway=settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as error:
            for kind, reason, message in _VERDICTS:
                if isinstance(error, kind):
                    detail = f" ({error.claim})" if isinstance(error, jwt.MissingRequiredClaimError) else ""
                    raise Unauthenticated(message + detail, reason=reason) from None
            raise  # pragma: no cover (InvalidTokenError is the last verdict)
        if claims.get("iss") not in settings.issuers:
            raise Unauthenticated(
                f"the token's issuer {claims.get('iss')!r} is not trusted", reason="TOKEN_UNKNOWN_ISSUER"
            )
        return claims

    def identity(self, claims: dict[str, Any]) -> Identity:
        settings = self.settings
        subject = claims.get(settings.account_claim)
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated(f"the token has no {settings.account_claim!r} claim", reason="TOKEN_MISSING_CLAIM")
        account = map_identity(settings, subject)
        capabilities = tuple(c for c in map(Capability.parse, _scope_items(claims.get(settings.scope_claim))) if c)
        is_admin = (
            account in settings.admin_accounts
            or _claim_grants(claims.get(settings.admin_claim) if settings.admin_claim else None, settings)
            or any(c.right == ADMIN_RIGHT and c.scope_pattern is None for c in capabilities)
        )
        return Identity(account, is_admin=is_admin, capabilities=capabilities)

    def verify(self, token: str) -> Identity:
        return self.identity(self.claims(token))


def map_identity(settings: AuthSettings, identity: str) -> str:
    """The account of an external identity (token claim, certificate subject) through `identity_map`."""
    account = settings.identity_map.get(identity)
    if account is not None:
        return account
    if settings.require_mapped_identity:
        raise Unauthenticated("this identity is not mapped to an account", reason="UNKNOWN_IDENTITY")
    return identity


def _scope_items(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def _claim_grants(value: Any, settings: AuthSettings) -> bool:
    wanted = settings.admin_claim_value
    if isinstance(value, bool):
        return value and wanted.lower() == "true"
    if isinstance(value, list):
        return wanted in [str(item) for item in value]
    return value is not None and str(value) == wanted


class TokenAuthenticator:
    """The Authenticator of `auth.mode = "token"`."""

    def __init__(self, settings: AuthSettings) -> None:
        self.verifier = TokenVerifier(settings)

    async def identify(self, context: grpc.aio.ServicerContext[Any, Any]) -> Identity:
        try:
            token = bearer_token(context)
            if self.verifier.jwks is not None and self.verifier.jwks.url is not None:
                identity = await asyncio.to_thread(self.verifier.verify, token)  # may fetch the JWKS URL
            else:
                identity = self.verifier.verify(token)
        except Unauthenticated as error:  # the reason and the peer are logged, never the token
            log.info("authentication refused: %s (%s) from %s", error.reason, error.message, context.peer())
            raise
        log.debug("authenticated account %s from %s", identity.account, context.peer())
        return identity
