"""Who is calling. The hook every servicer method passes through before it runs (`guarded`).

Today one mode exists, `local`: every call runs as the configured admin account and no token is
needed (the embedded default; the server says so at start-up). Token modes (JWT bearer in the
`authorization` metadata, capability tokens for embargoed data) plug in here as further
`Authenticator` implementations, chosen by `Settings.auth.mode`.
"""

from __future__ import annotations

from typing import Any, Protocol

import grpc

from didmeta.server.access.identity import Identity
from didmeta.server.config import AuthSettings

__all__ = ["Authenticator", "Identity", "LocalAuthenticator", "make_authenticator"]


class Authenticator(Protocol):
    async def identify(self, context: grpc.aio.ServicerContext[Any, Any]) -> Identity: ...


class LocalAuthenticator:
    """Every caller is the local admin account."""

    def __init__(self, account: str) -> None:
        self.identity = Identity(account, is_admin=True)

    async def identify(self, context: grpc.aio.ServicerContext[Any, Any]) -> Identity:
        return self.identity


def make_authenticator(settings: AuthSettings) -> Authenticator:
    return LocalAuthenticator(settings.local_account)
