"""The declared keys of the catalogue database, cached briefly, and the checks the dispatcher applies.

Writes (`coerce`, `check_did_types`) and filters (`check_filter`) consult the declarations; an
undeclared key keeps the free-form typed behaviour. The cache lives `CACHE_SECONDS`: a declaration
made through another server process on the same database applies here within that time (at once
in the process that made it).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select

from didmeta.errors import NotFound
from didmeta.filters.model import Filter, Group
from didmeta.identifiers import DidKey, validate_key
from didmeta.server.keys.declarations import Declaration
from didmeta.server.store import catalog
from didmeta.server.store.catalog import utcnow
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import declared_keys
from didmeta.values import Metadata

CACHE_SECONDS = 2.0


class KeyRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cached: dict[str, Declaration] | None = None
        self._loaded_at = 0.0

    # --- storage ------------------------------------------------------------------------------------
    def all(self) -> dict[str, Declaration]:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._loaded_at < CACHE_SECONDS:
                return self._cached
        with self.store.read() as conn:
            rows = conn.execute(select(declared_keys).order_by(declared_keys.c.key)).all()
        loaded = {row.key: Declaration.from_text(row.key, row.declaration, row.account) for row in rows}
        with self._lock:
            self._cached, self._loaded_at = loaded, time.monotonic()
        return loaded

    def fresh(self) -> bool:
        """Whether `all` answers from its cache now, with no database read (the event loop's writes ask)."""
        with self._lock:
            return self._cached is not None and time.monotonic() - self._loaded_at < CACHE_SECONDS

    def get(self, key: str) -> Declaration:
        validate_key(key, "key")
        found = self.all().get(key)
        if found is None:
            raise NotFound(f"key {key!r} is not declared", reason="KEY_NOT_DECLARED", metadata={"key": key})
        return found

    def put(self, declaration: Declaration, account: str) -> Declaration:
        stored = dataclasses.replace(declaration.checked(), account=account)
        with self.store.write() as conn:
            conn.execute(delete(declared_keys).where(declared_keys.c.key == stored.key))
            conn.execute(
                insert(declared_keys).values(
                    key=stored.key, declaration=stored.to_text(), account=account, created_at=utcnow()
                )
            )
        self.invalidate()
        return stored

    def remove(self, key: str) -> None:
        validate_key(key, "key")
        with self.store.write() as conn:
            gone = conn.execute(delete(declared_keys).where(declared_keys.c.key == key)).rowcount
        self.invalidate()
        if not gone:
            raise NotFound(f"key {key!r} is not declared", reason="KEY_NOT_DECLARED", metadata={"key": key})

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    # --- checks ---------------------------------------------------------------------------------------
    def coerce(self, metadata: Metadata, field: str) -> Metadata:
        """Declared keys' values coerced (or INVALID_ARGUMENT naming `field.key`); others unchanged."""
        declared = self.all()
        if not declared or not any(key in declared for key in metadata):
            return metadata
        return {
            key: declared[key].coerce(value, f"{field}.{key}") if key in declared else value
            for key, value in metadata.items()
        }

    def check_did_types(self, conn: Connection, items: Sequence[tuple[DidKey, Metadata]], field: str) -> None:
        """INVALID_ARGUMENT if a declared key goes to a DID of a type it is not declared for."""
        declared = self.all()
        restricted = {k for k, d in declared.items() if d.did_types}
        wanted = [did for did, metadata in items if restricted & metadata.keys()]
        if not wanted:
            return
        types = {key: record.did_type for key, record in catalog.get_dids(conn, wanted).items()}
        for did, metadata in items:
            for key in sorted(restricted & metadata.keys()):
                if metadata[key] is not None and did in types:
                    declared[key].check_type(types[did], f"{field}[{did}].{key}")

    def check_filter(self, filter_: Filter) -> Filter:
        """The filter with values on declared keys coerced; INVALID_ARGUMENT, before any backend, if one cannot be."""
        declared = self.all()
        if not declared or not (filter_.keys & declared.keys()):
            return filter_
        groups = []
        for g, group in enumerate(filter_.groups):
            clauses = tuple(
                declared[c.key].filter_clause(c, f"filter.groups[{g}].clauses[{i}]") if c.key in declared else c
                for i, c in enumerate(group.clauses)
            )
            groups.append(Group(clauses, group.types))
        return dataclasses.replace(filter_, groups=tuple(groups))
