"""The caller of a request: an account, whether it is an admin, and the capabilities its token grants.

Capabilities follow the WLCG common JWT profile's style (`storage.read:/path`): a right, optionally
narrowed to a scope or a scope pattern after a colon: `didmeta.write:user.alice`, `didmeta.read:data*`,
`didmeta.embargo.read:data23`. A capability without a scope part covers every scope.

`current_identity` holds the caller of the running request. It is set once per call by the servicers'
`authenticate` step; code below them (dispatcher, query planning, worker threads started with
`asyncio.to_thread`, which copies context variables) reads it from there.
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass

#: The rights a capability can grant (docs/security.md).
RIGHTS = frozenset({"didmeta.read", "didmeta.write", "didmeta.delete", "didmeta.admin", "didmeta.embargo.read"})


def scope_matches(scope: str, pattern: str) -> bool:
    """`*` matches any run of characters and nothing else is special: the rule the listing SQL applies too."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), scope, re.DOTALL) is not None


@dataclass(frozen=True)
class Capability:
    """One granted right, for every scope (`scope_pattern` None) or the scopes matching a pattern (`*` globs)."""

    right: str
    scope_pattern: str | None = None

    @classmethod
    def parse(cls, text: str) -> Capability | None:
        """`didmeta.write:user.alice` -> Capability; None for a token scope that is not a didmeta right."""
        right, _, pattern = text.strip().partition(":")
        if right not in RIGHTS:
            return None
        return cls(right, pattern or None)

    def covers(self, right: str, scope: str) -> bool:
        """True if this capability grants exactly `right` on `scope`."""
        if self.right != right:
            return False
        return self.scope_pattern is None or scope_matches(scope, self.scope_pattern)

    def __str__(self) -> str:
        return self.right if self.scope_pattern is None else f"{self.right}:{self.scope_pattern}"


@dataclass(frozen=True)
class Identity:
    """The caller: an account, whether it is an admin, and the capabilities of its token (none for `local`)."""

    account: str
    is_admin: bool
    capabilities: tuple[Capability, ...] = ()

    def has_capability(self, right: str, scope: str) -> bool:
        return any(capability.covers(right, scope) for capability in self.capabilities)


current_identity: contextvars.ContextVar[Identity] = contextvars.ContextVar("didmeta_current_identity")
