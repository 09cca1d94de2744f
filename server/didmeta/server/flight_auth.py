"""Who calls the Arrow Flight endpoint: the gRPC endpoint's authentication, as a Flight server middleware.

- `auth.mode = local`: every call is the local admin account (the endpoint must listen on loopback).
- `auth.mode = token`: each call carries `authorization: Bearer <JWT>` (a Flight client sends it with
  `FlightCallOptions(headers=[(b"authorization", b"Bearer ...")])`); the token is verified by the same
  `TokenVerifier` as the gRPC calls (access/token_auth.py), and a call without a valid one is refused
  with UNAUTHENTICATED before it reaches DoGet or GetFlightInfo.

The identity is then applied as for ListDids: the listing is narrowed to the scopes the caller may read
and embargoed DIDs are left out (`current_identity` is set while the listing is planned).
"""

from __future__ import annotations

import logging
from typing import Any

from didmeta.errors import Unauthenticated
from didmeta.server.access.identity import Identity
from didmeta.server.config import Settings

log = logging.getLogger("didmeta.server.flight")

MIDDLEWARE_KEY = "didmeta-auth"


def _header(headers: dict[str, list[Any]], name: str) -> str | None:
    for key, values in headers.items():
        if key.lower() == name and values:
            value = values[0]
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def middleware_factory(flight: Any, settings: Settings) -> Any:
    """The `pyarrow.flight.ServerMiddlewareFactory` that identifies each call (module doc)."""
    base_factory: Any = flight.ServerMiddlewareFactory
    base_middleware: Any = flight.ServerMiddleware
    local = Identity(settings.auth.local_account, is_admin=True)
    verifier = None
    if settings.auth.mode == "token":
        from didmeta.server.access.token_auth import TokenVerifier

        verifier = TokenVerifier(settings.auth)

    class _Identified(base_middleware):  # type: ignore[misc]
        def __init__(self, identity: Identity) -> None:
            super().__init__()
            self.identity = identity

    class _Factory(base_factory):  # type: ignore[misc]
        def start_call(self, info: Any, headers: dict[str, list[Any]]) -> Any:
            if verifier is None:
                return _Identified(local)
            from didmeta.server.access.token_auth import parse_bearer

            try:
                text = _header(headers, "authorization")
                if text is None:
                    raise Unauthenticated("no bearer token in the `authorization` header", reason="TOKEN_MISSING")
                identity = verifier.verify(parse_bearer(text))
            except Unauthenticated as error:  # the reason is logged, never the token
                log.info("Flight authentication refused: %s (%s)", error.reason, error.message)
                raise flight.FlightUnauthenticatedError(f"UNAUTHENTICATED: {error.message}") from None
            return _Identified(identity)

    return _Factory()


def call_identity(context: Any, fallback: Identity) -> Identity:
    """The identity the middleware found for this call."""
    middleware = context.get_middleware(MIDDLEWARE_KEY)
    return middleware.identity if middleware is not None else fallback
