"""Authorisation: which right each RPC needs on which scopes, and who holds it (docs/security.md).

`RULES` is the one table: RPC name -> a function from the request (and the caller) to the rights
it needs, each on a scope. `Access.check` runs before every RPC (`ServicerBase.authorize`); for the
client-streaming LoadDids, on every chunk. A caller holds right R on scope S when it is an admin,
holds `didmeta.admin` on S, owns S (`scopes.account`; not for `didmeta.admin` itself), or holds
the capability R on S. Reads are open to every authenticated caller except on the scopes matching
`auth.read_restricted_scopes`; listings (ListScopes, ListDids, CountDids, FacetDids, ListContent) leave out
the scopes the caller may not read instead of failing.

To add an RPC: one line in `RULES` (a test asserts every RPC of the services has one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from didmeta.errors import PermissionDenied
from didmeta.identifiers import DidKey
from didmeta.server.access.identity import Identity, scope_matches
from didmeta.server.config import AuthSettings
from didmeta.server.store import catalog
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import scopes

READ, WRITE, DELETE, ADMIN = "didmeta.read", "didmeta.write", "didmeta.delete", "didmeta.admin"


@dataclass(frozen=True)
class Need:
    """Right `right` on scope `scope`."""

    right: str
    scope: str


@dataclass(frozen=True)
class NeedBelow:
    """Right `right` on the scopes of the direct children of `dids` (recursive metadata writes)."""

    right: str
    dids: tuple[DidKey, ...]


Needs = Iterable[Need | NeedBelow]
Rule = Callable[[Any, Identity], Needs]


def _on(right: str, messages: Iterable[Any]) -> list[Need]:
    """`right` on the scope of every DID message (DidKey, NewDid)."""
    return [Need(right, scope) for scope in dict.fromkeys(m.scope for m in messages)]


def _new_dids(dids: Sequence[Any], caller: Identity) -> list[Need]:
    """Write on the scopes; naming another account as the DIDs' creator needs admin on the scope."""
    needs = _on(WRITE, dids)
    needs += _on(ADMIN, [d for d in dids if d.account and d.account != caller.account])
    return needs


def _attachments(attachments: Sequence[Any]) -> list[Need]:
    """Write on the parents' scopes (the collections change), read on the children's."""
    return _on(WRITE, [a.parent for a in attachments]) + _on(READ, [a.child for a in attachments])


def _metadata_items(dids: Sequence[Any], recursive: bool) -> list[Need | NeedBelow]:
    needs: list[Need | NeedBelow] = list(_on(WRITE, dids))
    if recursive:
        needs.append(NeedBelow(WRITE, tuple(DidKey(d.scope, d.name) for d in dids)))
    return needs


def _load_chunk(r: Any, caller: Identity) -> Needs:
    return [*_new_dids(r.dids, caller), *_on(WRITE, [m.did for m in r.metadata]), *_attachments(r.attachments)]


def _open(r: Any, caller: Identity) -> Needs:
    """Any authenticated caller; the answer is narrowed to readable scopes where it lists scopes."""
    return []


#: RPC -> the rights it needs. Every RPC of DidService and MetadataService has an entry.
RULES: dict[str, Rule] = {
    # DidService
    "AddScope": lambda r, c: [Need(ADMIN, r.scope)],
    "ListScopes": _open,
    "AddDids": lambda r, c: _new_dids(r.dids, c),
    "GetDid": lambda r, c: [Need(READ, r.did.scope)],
    "AttachDids": lambda r, c: _attachments(r.attachments),
    "DetachDids": lambda r, c: _attachments(r.attachments),
    "ListContent": lambda r, c: [Need(READ, r.did.scope)],
    "SetDidStatus": lambda r, c: [Need(WRITE, r.did.scope)],
    "DeleteDids": lambda r, c: _on(DELETE, r.dids),
    "SetEmbargo": lambda r, c: [Need(WRITE, r.did.scope)],
    "ClearEmbargo": lambda r, c: [Need(WRITE, r.did.scope)],
    "GetEmbargo": lambda r, c: [Need(READ, r.did.scope)],
    "ListHistory": lambda r, c: [Need(READ, r.did.scope)],
    # MetadataService
    "SetMetadata": lambda r, c: _metadata_items([r.did], r.recursive),
    "SetMetadataBulk": lambda r, c: _metadata_items([i.did for i in r.items], r.recursive),
    "LoadDids": _load_chunk,  # checked on every chunk of the stream
    "GetMetadata": lambda r, c: [Need(READ, r.did.scope)],
    "GetMetadataBulk": lambda r, c: _on(READ, r.dids),
    "DeleteMetadata": lambda r, c: [Need(WRITE, r.did.scope)],
    "ListDids": _open,
    "CountDids": _open,
    "FacetDids": _open,
    "ExplainDids": _open,
    # Key declarations: reading is open; declaring and deleting need didmeta.admin on every scope (`*`).
    "DeclareKey": lambda r, c: [Need(ADMIN, "*")],
    "ListKeys": _open,
    "GetKey": _open,
    "DeleteKey": lambda r, c: [Need(ADMIN, "*")],
    # Saved queries belong to the caller's account (any account's may be read); freezing writes the new DID.
    "SaveQuery": _open,
    "ListSavedQueries": _open,
    "GetSavedQuery": _open,
    "DeleteSavedQuery": _open,
    "FreezeDids": lambda r, c: _new_dids([r.did], c),
    "ListPlugins": _open,
}


class Access:
    """Decides rights for one server: the settings plus the scope owners in the catalogue."""

    def __init__(self, settings: AuthSettings, store: Store) -> None:
        self.settings = settings
        self.store = store

    # --- the rules --------------------------------------------------------------------------------
    def is_restricted(self, scope: str) -> bool:
        return any(scope_matches(scope, pattern) for pattern in self.settings.read_restricted_scopes)

    def holds(self, caller: Identity, right: str, scope: str, owner: str | None) -> bool:
        """Whether `caller` holds `right` on `scope` (owned by `owner`, None if it does not exist)."""
        if caller.is_admin or caller.has_capability(ADMIN, scope):
            return True
        if right == ADMIN:
            return False
        if owner is not None and owner == caller.account:
            return True
        if right == READ and not self.is_restricted(scope):
            return True
        return caller.has_capability(right, scope)

    def owners(self, names: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(names))
        if not wanted:
            return {}
        with self.store.read() as conn:
            rows = conn.execute(select(scopes.c.scope, scopes.c.account).where(scopes.c.scope.in_(wanted)))
            return {str(scope): str(account) for scope, account in rows.all()}

    def _resolve(self, needs: Needs) -> list[Need]:
        resolved: list[Need] = []
        for need in needs:
            if isinstance(need, Need):
                resolved.append(need)
                continue
            with self.store.read() as conn:
                children = catalog.child_types(conn, list(need.dids))
            resolved += [Need(need.right, s) for s in dict.fromkeys(k.scope for c in children.values() for k in c)]
        return resolved

    def check(self, rpc: str, request: Any, caller: Identity) -> None:
        """PERMISSION_DENIED naming the right and the scope unless `caller` may run `rpc` with `request`.

        Synchronous: it may read scope owners from the catalogue (run it in a worker thread).
        """
        if caller.is_admin:
            return
        needs = self._resolve(RULES[rpc](request, caller))
        if not needs:
            return
        # A scope's owner only ever adds a right (`holds`): it is looked up for the needs not held without it.
        unsettled = [n for n in needs if n.right != ADMIN and not self.holds(caller, n.right, n.scope, None)]
        owners = self.owners(n.scope for n in unsettled)
        for need in needs:
            if not self.holds(caller, need.right, need.scope, owners.get(need.scope)):
                raise PermissionDenied(
                    f"{rpc} needs {need.right} on scope {need.scope!r}; account {caller.account!r} does not hold it",
                    reason="PERMISSION_DENIED",
                    metadata={"right": need.right, "scope": need.scope, "account": caller.account},
                )

    def allowed_by_rules(self, rpc: str, request: Any, caller: Identity) -> bool:
        """True when `caller` may run `rpc` with `request` by the rules alone: no scope owner and no DID to
        look up (an admin, a rule with no needs, reads of unrestricted scopes, rights the caller's token
        carries). False means `check` must decide, reading the catalogue, in a worker thread. Cheap for
        small requests; `authorize` asks it only for those, on the event loop."""
        if caller.is_admin:
            return True
        return all(
            isinstance(need, Need) and self.holds(caller, need.right, need.scope, None)
            for need in RULES[rpc](request, caller)
        )

    async def checked_stream(
        self, rpc: str, requests: AsyncIterator[Any], caller: Identity, run: Callable[..., Any]
    ) -> AsyncIterator[Any]:
        """The messages of a client stream, each checked before the servicer sees it."""
        async for request in requests:
            await run(self.check, rpc, request, caller)
            yield request

    # --- narrowing listings -----------------------------------------------------------------------
    def may_read(self, caller: Identity, scope: str, owner: str | None) -> bool:
        return self.holds(caller, READ, scope, owner)

    def hidden_scopes(self, caller: Identity) -> frozenset[str]:
        """The existing scopes `caller` may not read (none unless `read_restricted_scopes` is set)."""
        if caller.is_admin or not self.settings.read_restricted_scopes:
            return frozenset()
        with self.store.read() as conn:
            rows = conn.execute(select(scopes.c.scope, scopes.c.account)).all()
        return frozenset(
            scope for scope, owner in rows if self.is_restricted(scope) and not self.may_read(caller, scope, owner)
        )
