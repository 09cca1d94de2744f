"""Who is calling. The hook every servicer method passes through before it runs (`guarded`).

`Settings.auth.mode` chooses the Authenticator: `local` (every call runs as the configured admin
account, no token; loopback only unless `insecure_open`, and the server warns at start-up),
`token` (a bearer JWT, `access.token_auth`) or `mtls` (the client certificate, `access.mtls_auth`).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Protocol

import grpc

from didmeta.server.access.identity import Identity
from didmeta.server.config import AuthSettings, Settings

__all__ = ["Authenticator", "Identity", "LocalAuthenticator", "is_loopback", "make_authenticator", "open_local_refusal"]


class Authenticator(Protocol):
    async def identify(self, context: grpc.aio.ServicerContext[Any, Any]) -> Identity: ...


class LocalAuthenticator:
    """Every caller is the local admin account."""

    def __init__(self, account: str) -> None:
        self.identity = Identity(account, is_admin=True)

    async def identify(self, context: grpc.aio.ServicerContext[Any, Any]) -> Identity:
        return self.identity


def make_authenticator(settings: AuthSettings) -> Authenticator:
    if settings.mode == "token":
        from didmeta.server.access.token_auth import TokenAuthenticator

        return TokenAuthenticator(settings)
    if settings.mode == "mtls":
        from didmeta.server.access.mtls_auth import MtlsAuthenticator

        return MtlsAuthenticator(settings)
    return LocalAuthenticator(settings.local_account)


def is_loopback(listen: str) -> bool:
    """True if HOST of a HOST:PORT listen address only accepts local connections."""
    host = listen.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_local_refusal(settings: Settings) -> str | None:
    """Why the server must not start: `local` auth on a non-loopback address without `insecure_open`."""
    if settings.auth.mode != "local" or settings.auth.insecure_open:
        return None
    exposed = [a for a in (settings.listen, settings.rest_listen) if a is not None and not is_loopback(a)]
    if not exposed:
        return None
    return (
        f"refusing to serve {exposed[0]} with auth.mode = local (anyone reaching it could do anything); "
        "use auth.mode = token or mtls, listen on 127.0.0.1, or pass --insecure-open if this is meant"
    )
