"""EXAMPLE_MEMORY: the smallest complete third-party plugin (the example of docs/plugins.md).

An `ExternalPlugin` that keeps, in a dict in the server process, the metadata keys that start
with a prefix (option `prefix`, default `mem_`). It shows everything a real external backend
must do:

* `manages_key`: claim only some keys, so the other keys still go to the plugins after it;
* `set_many` / `delete_keys`: write at once and register a compensation on the unit of work that
  restores the previous values if the request fails later (atomicity across plugins);
* `get_many`, `delete_dids`;
* `select`: answer a conjunction of *positive* clauses with batches of DIDs sorted by
  (scope, name), strictly after `after` — the dispatcher does NE, EXISTS=false and OR itself.

Register it for a server through an entry point of the `didmeta.plugins` group:

    [project.entry-points."didmeta.plugins"]
    EXAMPLE_MEMORY = "tests.support.example_plugin:ExampleMemoryPlugin"

then enable it with `plugins = ["DID_COLUMN", "JSON", "EXAMPLE_MEMORY"]`; or, in-process,
`didmeta.plugins.registry.register_plugin(ExampleMemoryPlugin)`.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from didmeta.errors import NotFound
from didmeta.filters.model import Clause, Op
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ExternalPlugin, ExternalQuery, UnitOfWork
from didmeta.values import Metadata, MetaValue

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from didmeta.server.store.engine import Store


def _comparable(stored: MetaValue, wanted: MetaValue) -> bool:
    """Spec §4.3: numbers compare with numbers, strings with strings, timestamps with timestamps."""
    number = (int, float)
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return isinstance(stored, bool) and isinstance(wanted, bool)
    if isinstance(stored, number) and isinstance(wanted, number):
        return True
    if isinstance(stored, str) and isinstance(wanted, str):
        return True
    return isinstance(stored, datetime) and isinstance(wanted, datetime)


def _fold(value: Any, ignore_case: bool) -> Any:
    return value.lower() if ignore_case and isinstance(value, str) else value


def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(stored: MetaValue, clause: Clause, ignore_case: bool) -> bool:
    """Whether a stored value (None: lacking) satisfies one positive clause."""
    op, wanted = clause.op, clause.value
    if op is Op.EXISTS:
        return (stored is not None) is bool(wanted)
    if stored is None:
        return False
    if op is Op.IN:
        assert isinstance(wanted, list)
        return any(matches(stored, Clause(clause.key, Op.EQ, item), ignore_case) for item in wanted)
    if op is Op.CONTAINS:
        return isinstance(stored, list) and any(
            matches(item, Clause(clause.key, Op.EQ, wanted), ignore_case) for item in stored
        )
    if op is Op.PREFIX:
        return isinstance(stored, str) and _fold(stored, ignore_case).startswith(_fold(wanted, ignore_case))
    if clause.wildcard:
        assert isinstance(wanted, str)
        return isinstance(stored, str) and _wildcard(wanted, ignore_case).fullmatch(stored) is not None
    if not _comparable(stored, wanted):
        return False
    left, right = _fold(stored, ignore_case), _fold(wanted, ignore_case)
    if op is Op.EQ:
        return bool(left == right)
    if op is Op.LT:
        return bool(left < right)
    if op is Op.LTE:
        return bool(left <= right)
    if op is Op.GT:
        return bool(left > right)
    if op is Op.GTE:
        return bool(left >= right)
    raise AssertionError(f"not a positive operator: {op}")


class ExampleMemoryPlugin(ExternalPlugin):
    """Keys with a prefix, kept in memory (lost when the server stops)."""

    name = "EXAMPLE_MEMORY"
    description = "Example third-party plugin: keys with a prefix, in memory"
    options_spec: ClassVar[Mapping[str, str]] = {"prefix": "the keys this plugin manages start with it (mem_)"}

    def __init__(self, options: Mapping[str, Any], store: Store) -> None:
        super().__init__(options, store)
        self.prefix: str = str(self.options.get("prefix", "mem_"))
        self._data: dict[DidKey, dict[str, MetaValue]] = {}
        self._lock = threading.RLock()

    # --- ownership ------------------------------------------------------------------------------
    def manages_key(self, key: str) -> bool:
        return key.startswith(self.prefix)

    def managed_keys(self) -> list[str]:
        return [f"{self.prefix}*"]

    # --- writes ---------------------------------------------------------------------------------
    def _snapshot(self, dids: Sequence[DidKey]) -> dict[DidKey, dict[str, MetaValue] | None]:
        return {did: copy.deepcopy(self._data.get(did)) for did in dids}

    def _restore(self, snapshot: dict[DidKey, dict[str, MetaValue] | None]) -> None:
        with self._lock:
            for did, document in snapshot.items():
                if document is None:
                    self._data.pop(did, None)
                else:
                    self._data[did] = document

    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        with self._lock:
            snapshot = self._snapshot([did for did, _ in items])
            uow.on_rollback(lambda: self._restore(snapshot))
            for did, metadata in items:
                document = self._data.setdefault(did, {})
                for key, value in metadata.items():
                    if value is None:
                        document.pop(key, None)
                    else:
                        document[key] = copy.deepcopy(value)
                if not document:
                    del self._data[did]

    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        with self._lock:
            document = self._data.get(did, {})
            for key in keys:
                if key not in document:
                    raise NotFound(f"key {key!r} is not set on {did}", reason="KEY_NOT_FOUND", metadata={"key": key})
            snapshot = self._snapshot([did])
            uow.on_rollback(lambda: self._restore(snapshot))
            for key in keys:
                del document[key]
            if not document:
                del self._data[did]

    def delete_dids(self, uow: UnitOfWork, dids: Sequence[DidKey]) -> None:
        with self._lock:
            snapshot = self._snapshot(list(dids))
            uow.on_rollback(lambda: self._restore(snapshot))
            for did in dids:
                self._data.pop(did, None)

    # --- reads ----------------------------------------------------------------------------------
    def get_many(self, conn: Connection, dids: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        with self._lock:
            return {did: copy.deepcopy(self._data[did]) for did in dids if did in self._data}

    def select(self, query: ExternalQuery) -> Iterator[list[DidKey]]:
        scope_re = _wildcard(query.scope_pattern, ignore_case=False)
        with self._lock:
            candidates = sorted(
                did
                for did, document in self._data.items()
                if scope_re.fullmatch(did.scope)
                and (query.after is None or did > query.after)
                and all(matches(document.get(c.key), c, query.ignore_case) for c in query.clauses)
            )
        for start in range(0, len(candidates), query.batch_size):
            yield candidates[start : start + query.batch_size]
