"""The plugin dispatcher (spec §3, §6): routes keys to their owners, merges reads, splits writes.

Every public method is synchronous and runs in a worker thread. A write request is one unit of
work: the catalogue transaction shared by the relational plugins, and compensations for the
external ones, so a request takes effect in full or not at all. A unit of work that loses a
deadlock or serialization race runs again in full (`store.failures.retrying`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection

from didmeta.attributes import INTRINSIC, RESERVED
from didmeta.errors import InvalidArgument, NotFound
from didmeta.identifiers import DidKey, DidType, validate_key
from didmeta.plugins.base import MetadataPlugin, UnitOfWork
from didmeta.plugins.did_column import DidColumnPlugin
from didmeta.plugins.registry import load_plugin_class
from didmeta.server.access import embargo
from didmeta.server.access.embargo import Embargo, Viewer
from didmeta.server.config import Settings
from didmeta.server.history import Change, Event, History, metadata_changes
from didmeta.server.keys.registry import KeyRegistry
from didmeta.server.loading import NewDid, NewDidsPlanner, PlannedDids
from didmeta.server.point import PointAccess
from didmeta.server.query.merge import MergedStream
from didmeta.server.query.meta_sql import MetaColumn, listing_statement
from didmeta.server.query.plan import ListQuery, Planner
from didmeta.server.query.quick_listing import QuickListing
from didmeta.server.query.stream import QueryStream, RowStream
from didmeta.server.store import catalog
from didmeta.server.store.catalog import DidRecord, ScopeRecord
from didmeta.server.store.engine import Store
from didmeta.server.store.failures import RetryPolicy, retrying
from didmeta.values import Metadata, MetaValue, check_value

__all__ = ["ALL_PLUGINS", "Dispatcher", "LoadResult", "NewDid"]  # NewDid lives in loading.py
log = logging.getLogger(__name__)
T = TypeVar("T")
ALL_PLUGINS = "ALL"


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    attached: int = 0

    def add(self, other: LoadResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.attached += other.attached


@dataclass
class LoadPlan:
    """A LoadDids chunk validated and turned into rows, before any database work (`Dispatcher.plan_load`)."""

    planned: PlannedDids | None
    metadata: list[tuple[DidKey, Metadata]]
    attachments: Sequence[tuple[DidKey, DidKey]]


class Dispatcher:
    """The one entry point of the servicers into the catalogue and the plugins."""

    def __init__(
        self,
        store: Store,
        plugins: Sequence[MetadataPlugin],
        retry: RetryPolicy | None = None,
        history: History | None = None,
    ) -> None:
        if not plugins or not isinstance(plugins[0], DidColumnPlugin):
            raise InvalidArgument.for_field("plugins", "DID_COLUMN must be the first plugin")
        self.store = store
        self.plugins = list(plugins)
        self.did_column: DidColumnPlugin = plugins[0]
        self.planner = Planner(store.dialect, self.plugins)
        self.retry = retry or RetryPolicy()
        self.history = history or History()
        self.keys = KeyRegistry(store)  # declared keys: coercion and checks of writes and filters
        self.new_dids = NewDidsPlanner(self.plugins, self.did_column, store.dialect, self.keys)
        self.point = PointAccess.for_plugins(store, self.plugins)  # GetMetadata/SetMetadata fast path
        self.quick_listing = QuickListing.for_point(store, self.point)  # small listings' fast path

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> Dispatcher:
        plugins = [load_plugin_class(name)(settings.plugin_options.get(name, {}), store) for name in settings.plugins]
        return cls(
            store, plugins, RetryPolicy(attempts=settings.write_attempts), History(settings.history_retention_days)
        )

    def start(self) -> None:
        self.store.migrate()
        for plugin in self.plugins:
            plugin.start()
        with self.store.write() as conn:
            pruned = self.history.prune(conn)
        if pruned:
            log.info("history retention: %d records older than %d days removed", pruned, self.history.retention_days)

    def close(self) -> None:
        if self.point is not None:
            self.point.close()
        for plugin in self.plugins:
            try:
                plugin.close()
            except Exception:
                log.exception("closing plugin %s failed", plugin.name)
        self.store.dispose()

    # --- routing ------------------------------------------------------------------------------
    def plugin_named(self, name: str) -> MetadataPlugin:
        for plugin in self.plugins:
            if plugin.name.upper() == name.upper():
                return plugin
        raise InvalidArgument.for_field(
            "plugin",
            f"unknown or disabled plugin {name!r}; enabled: {', '.join(p.name for p in self.plugins)}, ALL",
            reason="UNKNOWN_PLUGIN",
        )

    def owner_of(self, key: str) -> MetadataPlugin:
        for plugin in self.plugins:
            if plugin.manages_key(key):
                return plugin
        raise InvalidArgument.for_field(
            f"metadata.{key}", f"no enabled plugin manages the key {key!r}", reason="UNMANAGED_KEY"
        )

    def check_metadata(self, metadata: Metadata, field: str) -> Metadata:
        checked: Metadata = {}
        for key, value in metadata.items():
            validate_key(key, f"{field}.{key}")
            if key in RESERVED:
                raise InvalidArgument.for_field(
                    f"{field}.{key}", f"{key} is reserved and cannot be set", reason="RESERVED_KEY"
                )
            checked[key] = check_value(value, f"{field}.{key}")
        checked = self.keys.coerce(checked, field)
        self.did_column.check_columns(checked, field)
        return checked

    def split_by_owner(self, items: Sequence[tuple[DidKey, Metadata]]) -> dict[str, list[tuple[DidKey, Metadata]]]:
        """Each owner's subset of the items, in plugin order; fails before any write."""
        shares: dict[str, dict[DidKey, Metadata]] = defaultdict(dict)
        owners: dict[str, str] = {}
        for did, metadata in items:
            for key, value in metadata.items():
                owner = owners.get(key) or self.owner_of(key).name
                owners[key] = owner
                shares[owner].setdefault(did, {})[key] = value
        ordered = {p.name: list(shares[p.name].items()) for p in self.plugins if p.name in shares}
        for name, share in ordered.items():
            self.plugin_named(name).check_values(share)
        return ordered

    # --- embargo and history hooks ------------------------------------------------------------------
    def viewer(self) -> Viewer:
        """What the running request's caller may see (embargoes)."""
        return Viewer(self.store.dialect)

    def require_visible(self, conn: Connection, keys: Sequence[DidKey]) -> None:
        """NOT_FOUND, as for a missing DID, for the first key that is missing or embargoed for the caller."""
        self.viewer().require_visible(conn, keys)

    def _current_values(self, conn: Connection, items: Sequence[tuple[DidKey, Metadata]]) -> dict[DidKey, Metadata]:
        """The present values of the keys about to change, read from their owners (for the history)."""
        keys_by_owner: dict[str, set[str]] = defaultdict(set)
        dids_by_owner: dict[str, list[DidKey]] = defaultdict(list)
        for did, metadata in items:
            for key in metadata:
                owner = self.did_column if key in INTRINSIC else self.owner_of(key)
                keys_by_owner[owner.name].add(key)
                dids_by_owner[owner.name].append(did)
        current: dict[DidKey, Metadata] = defaultdict(dict)
        for name, owner_dids in dids_by_owner.items():
            found = self.plugin_named(name).get_many(conn, list(dict.fromkeys(owner_dids)))
            for did, values in found.items():
                current[did].update({k: v for k, v in values.items() if k in keys_by_owner[name] and v is not None})
        return current

    def _metadata_changes(
        self, before: dict[DidKey, Metadata], items: Sequence[tuple[DidKey, Metadata]]
    ) -> list[Change]:
        changes: list[Change] = []
        for did, metadata in items:
            after: dict[str, MetaValue | None] = dict(metadata)
            changes.extend(metadata_changes(did, before.get(did, {}), after))
        return changes

    # --- derived counters -----------------------------------------------------------------------
    @staticmethod
    def _sets_counters(items: Sequence[tuple[DidKey, Metadata]]) -> bool:
        """Whether a metadata write sets `events`: it then takes the graph lock and recounts the parents."""
        return any(not catalog.DERIVED_COUNTERS.isdisjoint(metadata) for _, metadata in items)

    @staticmethod
    def _counter_files(conn: Connection, items: Sequence[tuple[DidKey, Metadata]]) -> list[DidKey]:
        keys = [did for did, metadata in items if not catalog.DERIVED_COUNTERS.isdisjoint(metadata)]
        return catalog.counter_files(conn, keys)

    # --- units of work --------------------------------------------------------------------------
    def _write(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work` as one unit of work; again in full (bounded) if it loses a race with another writer."""
        return retrying(lambda: self._write_once(work), self.retry)

    def _write_once(self, work: Callable[[UnitOfWork], T]) -> T:
        uow: UnitOfWork | None = None
        try:
            with self.store.write() as conn:
                uow = UnitOfWork(conn)
                return work(uow)
        except BaseException:
            if uow is not None:
                for undo in reversed(uow.compensations):
                    try:
                        undo()
                    except Exception:
                        log.exception("compensation failed; external metadata may need repair")
            raise

    def _apply_metadata(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        # Lock every target row in the canonical order first: each plugin then writes in any order
        # without deadlocking a concurrent bulk write over the same DIDs (PostgreSQL).
        catalog.lock_dids(uow.conn, [did for did, _ in items])
        for name, share in self.split_by_owner(items).items():
            self.plugin_named(name).set_many(uow, share)

    # --- scopes and DIDs --------------------------------------------------------------------------
    def add_scope(self, scope: str, account: str) -> ScopeRecord:
        return self._write(lambda uow: catalog.add_scope(uow.conn, scope, account))

    def list_scopes(self, pattern: str | None) -> list[ScopeRecord]:
        with self.store.read() as conn:
            return catalog.list_scopes(conn, pattern)

    def _plan_new_dids(self, new_dids: Sequence[NewDid]) -> PlannedDids:
        """Validate and route new DIDs into rows; no database work (INVALID_ARGUMENT naming the bad item)."""
        return self.new_dids.plan(new_dids, catalog.driver_now(self.store.dialect))

    def _insert_dids(self, uow: UnitOfWork, new_dids: Sequence[NewDid]) -> PlannedDids:
        """Create DIDs with their initial metadata: one plan, one bulk insert, then external plugins' shares."""
        return self._insert_planned(uow, self._plan_new_dids(new_dids))

    def _insert_planned(self, uow: UnitOfWork, planned: PlannedDids) -> PlannedDids:
        catalog.insert_new_dids(uow.conn, planned.keys, planned.columns, planned.rows)
        for plugin, items in planned.external.items():  # their own bulk writes, compensated on failure
            plugin.set_many(uow, items)
        self.history.record(uow.conn, planned.changes)
        return planned

    def add_dids(self, new_dids: Sequence[NewDid]) -> int:
        return self._write(lambda uow: len(self._insert_dids(uow, new_dids).keys))

    def add_closed_collection(self, new: NewDid, children: Sequence[DidKey]) -> int:
        """Create a collection with exactly `children` attached, then close it: one unit of work (FreezeDids)."""

        def work(uow: UnitOfWork) -> int:
            catalog.lock_graph(uow.conn)  # first, before any row lock
            self._insert_dids(uow, [new])
            attached = self._link(uow, [(new.spec.key, child) for child in children], "attach") if children else 0
            catalog.set_status(uow.conn, new.spec.key, False)
            self.history.record(uow.conn, [Change(new.spec.key, "close")])
            return attached

        return self._write(work)

    def get_did(self, key: DidKey) -> DidRecord:
        with self.store.read() as conn:
            self.require_visible(conn, [key])
            return catalog.get_did(conn, key)

    def _link(
        self,
        uow: UnitOfWork,
        attachments: Sequence[tuple[DidKey, DidKey]],
        action: str,
        created: Mapping[DidKey, DidType] | None = None,
    ) -> int:
        """Attach or detach; `created`: DIDs made earlier in this unit of work (visible, not looked up again)."""
        known = created or {}
        self.require_visible(
            uow.conn, [k for k in dict.fromkeys(k for pair in attachments for k in pair) if k not in known]
        )
        if action == "attach":
            done = catalog.attach(uow.conn, attachments, known)
        else:
            done = catalog.detach(uow.conn, attachments)
        attached = action == "attach"
        changes = [
            Change(parent, action, old=None if attached else str(child), new=str(child) if attached else None)
            for parent, child in attachments
        ]
        self.history.record(uow.conn, changes)
        return done

    def attach(self, attachments: Sequence[tuple[DidKey, DidKey]]) -> int:
        return self._write(lambda uow: self._link(uow, attachments, "attach"))

    def detach(self, attachments: Sequence[tuple[DidKey, DidKey]]) -> int:
        return self._write(lambda uow: self._link(uow, attachments, "detach"))

    def list_content(self, key: DidKey) -> list[DidRecord]:
        with self.store.read() as conn:
            self.require_visible(conn, [key])
            catalog.get_did(conn, key)
            records = catalog.children(conn, key)
            viewer = self.viewer()
            if viewer.sees_everything:
                return records
            shown = viewer.visible_keys(conn, [r.key for r in records])
            return [r for r in records if r.key in shown]

    def set_status(self, key: DidKey, is_open: bool) -> DidRecord:
        def work(uow: UnitOfWork) -> DidRecord:
            catalog.lock_graph(uow.conn)  # re-entrant; taken first so `before` is what set_status changes
            self.require_visible(uow.conn, [key])
            before = catalog.get_did(uow.conn, key)
            record = catalog.set_status(uow.conn, key, is_open)
            if before.is_open != record.is_open:
                self.history.record(uow.conn, [Change(key, "reopen" if is_open else "close")])
            return record

        return self._write(work)

    def delete_dids(self, keys: Sequence[DidKey]) -> int:
        def work(uow: UnitOfWork) -> int:
            catalog.lock_graph(uow.conn)  # first, before any plugin holds a row lock
            self.require_visible(uow.conn, keys)
            catalog.require_dids(uow.conn, keys)
            old = self._read_metadata(uow.conn, keys, ALL_PLUGINS)
            for plugin in self.plugins:
                plugin.delete_dids(uow, keys)
            deleted = catalog.delete_dids(uow.conn, keys)
            embargo.forget(uow.conn, keys)
            self.history.record(uow.conn, [Change(key, "delete", old=old.get(key) or None) for key in keys])
            return deleted

        return self._write(work)

    # --- embargoes --------------------------------------------------------------------------------
    def set_embargo(self, key: DidKey, until: datetime, recursive: bool, account: str) -> Embargo:
        def work(uow: UnitOfWork) -> Embargo:
            self.require_visible(uow.conn, [key])
            catalog.get_did(uow.conn, key)
            previous = embargo.get(uow.conn, key)
            record = embargo.put(uow.conn, key, until, recursive, account)
            old = None if previous is None else embargo.as_value(previous)
            self.history.record(uow.conn, [Change(key, "embargo_set", old=old, new=embargo.as_value(record))])
            return record

        return self._write(work)

    def clear_embargo(self, key: DidKey) -> Embargo | None:
        def work(uow: UnitOfWork) -> Embargo | None:
            self.require_visible(uow.conn, [key])
            catalog.get_did(uow.conn, key)
            previous = embargo.remove(uow.conn, key)
            if previous is not None:
                self.history.record(uow.conn, [Change(key, "embargo_clear", old=embargo.as_value(previous))])
            return previous

        return self._write(work)

    def get_embargo(self, key: DidKey) -> Embargo | None:
        with self.store.read() as conn:
            self.require_visible(conn, [key])
            catalog.get_did(conn, key)
            return embargo.get(conn, key)

    # --- history ----------------------------------------------------------------------------------
    def list_history(
        self, key: DidKey, name: str | None = None, since: datetime | None = None, batch: int = 1000
    ) -> Iterator[list[Event]]:
        """The DID's history, oldest first. The DID must exist and be visible (admins: also deleted DIDs)."""
        with self.store.read() as conn:
            if not self.viewer().sees_everything:
                self.require_visible(conn, [key])
        after = 0
        while True:
            with self.store.read() as conn:
                page = self.history.page(conn, key, name, since, after, batch)
            if page:
                yield page
            if len(page) < batch:
                return
            after = page[-1].id

    # --- metadata ---------------------------------------------------------------------------------
    def _with_children(
        self, conn: Connection, items: Sequence[tuple[DidKey, Metadata]]
    ) -> list[tuple[DidKey, Metadata]]:
        children = catalog.child_types(conn, [did for did, _ in items])
        viewer = self.viewer()
        if not viewer.sees_everything:  # children hidden from the caller (embargo) are left alone
            shown = viewer.visible_keys(conn, [child for kids in children.values() for child in kids])
            children = {parent: {k: t for k, t in kids.items() if k in shown} for parent, kids in children.items()}
        expanded: dict[DidKey, Metadata] = {}
        for did, metadata in items:
            for target in (did, *sorted(children.get(did, {}))):
                expanded.setdefault(target, {}).update(metadata)
        return list(expanded.items())

    def set_metadata(
        self, items: Sequence[tuple[DidKey, Metadata]], recursive: bool = False, fields: Sequence[str] | None = None
    ) -> int:
        """Set keys on DIDs atomically; `fields` are the request paths of the items' metadata (error details)."""
        paths = fields or [f"items[{i}].metadata" for i in range(len(items))]
        checked = [(did, self.check_metadata(md, path)) for (did, md), path in zip(items, paths, strict=True)]
        dids_ = [did for did, _ in checked]
        if len(set(dids_)) != len(dids_):
            raise InvalidArgument.for_field("items", "a DID is given twice", reason="DUPLICATE_DID")

        counting = self._sets_counters(checked)
        one = None if counting else self._one_row_write(checked, recursive)
        if one is not None:
            return self._write(one)

        def work(uow: UnitOfWork) -> int:
            if counting:
                catalog.lock_graph(uow.conn)  # first, before any row lock: the parents' counters change too
            self.require_visible(uow.conn, dids_)
            catalog.require_dids(uow.conn, dids_)
            targets = self._with_children(uow.conn, checked) if recursive else checked
            self.keys.check_did_types(uow.conn, targets, "metadata")
            files = self._counter_files(uow.conn, targets) if counting else []
            catalog.lock_dids(uow.conn, [did for did, _ in targets])  # old values read under the row locks
            before = self._current_values(uow.conn, targets)
            self._apply_metadata(uow, targets)
            if files:
                catalog.recompute_ancestors(uow.conn, files)
            self.history.record(uow.conn, self._metadata_changes(before, targets))
            return len(checked)

        return self._write(work)

    def _one_row_shares(
        self, checked: Sequence[tuple[DidKey, Metadata]], recursive: bool
    ) -> dict[str, Metadata] | None:
        """The keys of a SetMetadata by owner when they all live in one DID's catalogue row (server/point.py)."""
        point = self.point
        if point is None or recursive or len(checked) != 1 or self._sets_counters(checked):
            return None  # `events` on a file recounts its parents under the graph lock: the general path
        declared = self.keys.all()
        if any(key in declared and declared[key].did_types for key in checked[0][1]):
            return None  # a key declared for some DID types only: the general path checks the DID's type
        shares = self.split_by_owner(checked)
        if not point.writes(list(shares)):
            return None
        return {name: share[0][1] for name, share in shares.items()}

    def _one_row_write(
        self, checked: Sequence[tuple[DidKey, Metadata]], recursive: bool
    ) -> Callable[[UnitOfWork], int] | None:
        """The unit of work of a SetMetadata whose keys all live in one DID's catalogue row (server/point.py)."""
        point, by_owner = self.point, self._one_row_shares(checked, recursive)
        if point is None or by_owner is None:
            return None
        did = checked[0][0]

        def work(uow: UnitOfWork) -> int:
            point.set_one(uow, did, by_owner, self.history, self._metadata_changes)
            return 1

        return work

    def set_metadata_on_loop(self, did: DidKey, metadata: Metadata, field: str) -> int | None:
        """SetMetadata of one DID's row on the event loop if the SQLite write lock is free now; None: not taken.

        Never when the history is due for pruning (a DELETE over the whole history table)."""
        if self.point is None or not self.point.reads_on_loop or self.history.prune_due():
            return None
        work = self._one_row_write([(did, self.check_metadata(metadata, field))], False)
        if work is None:
            return None
        done, updated = self.point.write_on_loop(work)
        return updated if done else None

    async def set_metadata_async(self, did: DidKey, metadata: Metadata, field: str) -> int | None:
        """SetMetadata of one DID's row by the event loop itself (a SQLite file whose write lock is free, or held
        for a moment by the checkpoint thread, which the write awaits; a PostgreSQL write awaited over the loop's
        connections); None: use `set_metadata` in a thread.

        Not while the declared keys must be read again (a database read the loop would wait for), nor when
        the history is due for pruning."""
        point = self.point
        if point is None or not point.reads_async:
            written = self.set_metadata_on_loop(did, metadata, field)
            while written is None and point is not None and await point.checkpoint_passed():
                written = self.set_metadata_on_loop(did, metadata, field)  # refused during a checkpoint: again
            return written
        if self.history.prune_due() or not self.keys.fresh():
            return None
        by_owner = self._one_row_shares([(did, self.check_metadata(metadata, field))], False)
        if by_owner is None:
            return None
        return 1 if await point.set_async(did, by_owner, self.history, self._metadata_changes) else None

    def load_chunk(
        self,
        new_dids: Sequence[NewDid],
        metadata: Sequence[tuple[DidKey, Metadata]],
        attachments: Sequence[tuple[DidKey, DidKey]],
    ) -> LoadResult:
        return self.apply_load(self.plan_load(new_dids, metadata, attachments))

    def plan_load(
        self,
        new_dids: Sequence[NewDid],
        metadata: Sequence[tuple[DidKey, Metadata]],
        attachments: Sequence[tuple[DidKey, DidKey]],
    ) -> LoadPlan:
        """A chunk's validation and rows, with no database work: LoadDids plans the next chunk while the
        previous one is written. INVALID_ARGUMENT naming the first bad item."""
        checked = [(did, self.check_metadata(md, f"metadata[{i}].metadata")) for i, (did, md) in enumerate(metadata)]
        return LoadPlan(self._plan_new_dids(new_dids) if new_dids else None, checked, attachments)

    def apply_load(self, plan: LoadPlan) -> LoadResult:
        """Write a planned chunk as one unit of work (the checks that need the database happen here)."""
        checked, attachments = plan.metadata, plan.attachments
        counting = self._sets_counters(checked)

        def work(uow: UnitOfWork) -> LoadResult:
            result = LoadResult()
            if attachments or counting:
                catalog.lock_graph(uow.conn)  # first, before this chunk holds any row lock
            created: dict[DidKey, DidType] = {}
            if plan.planned is not None:
                planned = self._insert_planned(uow, plan.planned)
                result.created = len(planned.keys)
                created = planned.types
            if checked:
                self.require_visible(uow.conn, [did for did, _ in checked])
                catalog.require_dids(uow.conn, [did for did, _ in checked])
                self.keys.check_did_types(uow.conn, checked, "metadata")
                files = self._counter_files(uow.conn, checked) if counting else []
                catalog.lock_dids(uow.conn, [did for did, _ in checked])  # old values read under the row locks
                before = self._current_values(uow.conn, checked)
                self._apply_metadata(uow, checked)
                if files:
                    catalog.recompute_ancestors(uow.conn, files)
                self.history.record(uow.conn, self._metadata_changes(before, checked))
                result.updated = len(checked)
            if attachments:
                result.attached = self._link(uow, attachments, "attach", created)
            return result

        return self._write(work)

    def _selected(self, plugin: str) -> list[MetadataPlugin]:
        name = plugin or self.did_column.name
        return self.plugins if name.upper() == ALL_PLUGINS else [self.plugin_named(name)]

    def get_metadata_on_loop(self, key: DidKey, plugin: str = "") -> Metadata | None:
        """GetMetadata answered on the event loop (a SQLite file, fast path only); None: use `get_metadata`."""
        if self.point is None or not self.point.reads_on_loop:
            return None
        selected = self._selected(plugin)
        return self.point.read_on_loop(key, selected) if self.point.reads(selected, on_loop=True) else None

    async def get_metadata_async(self, key: DidKey, plugin: str = "") -> Metadata | None:
        """GetMetadata answered by the event loop itself (fast path only: a SQLite file read in place, a
        PostgreSQL read awaited over the loop's own connections); None: use `get_metadata` in a thread."""
        point = self.point
        if point is None or not point.reads_async:
            return self.get_metadata_on_loop(key, plugin)
        selected = self._selected(plugin)
        return await point.read_async(key, selected) if point.reads(selected, on_loop=True) else None

    def get_metadata(self, key: DidKey, plugin: str = "") -> Metadata:
        selected = self._selected(plugin)
        if self.point is not None and self.point.reads(selected):
            return self.point.read(key, selected)
        with self.store.read() as conn:
            self.require_visible(conn, [key])
            # DID_COLUMN reads the catalogue row itself: its answer doubles as the existence check.
            own = self.did_column.get_many(conn, [key]).get(key)
            if own is None:
                raise NotFound(f"DID {key} does not exist", reason="DID_NOT_FOUND", metadata={"did": str(key)})
            merged: Metadata = {}
            for source in selected:
                values = own if source is self.did_column else source.get_many(conn, [key]).get(key, {})
                merged.update(values)
            return merged

    def _read_metadata(self, conn: Connection, keys: Sequence[DidKey], plugin: str) -> dict[DidKey, Metadata]:
        selected = self.plugins if plugin.upper() == ALL_PLUGINS else [self.plugin_named(plugin)]
        merged: dict[DidKey, Metadata] = {}
        for source in selected:
            for did, metadata in source.get_many(conn, keys).items():
                merged.setdefault(did, {}).update(metadata)
        return merged

    def get_metadata_bulk(
        self, keys: Sequence[DidKey], plugin: str = "", inherit: bool = False, batch: int = 500
    ) -> Iterator[tuple[list[tuple[DidKey, Metadata]], list[DidKey]]]:
        """Batches of (found DIDs with their metadata, missing DIDs), in request order."""
        plugin = plugin or ALL_PLUGINS
        if plugin.upper() != ALL_PLUGINS:
            self.plugin_named(plugin)
        for start in range(0, len(keys), batch):
            chunk = list(keys[start : start + batch])
            with self.store.read() as conn:
                viewer = self.viewer()
                # An embargoed DID is reported exactly like a missing one.
                found = catalog.get_dids(conn, chunk) if viewer.sees_everything else viewer.visible_keys(conn, chunk)
                present = [k for k in chunk if k in found]
                own = self._read_metadata(conn, present, plugin)
                results: list[tuple[DidKey, Metadata]] = []
                for key in present:
                    metadata = dict(own.get(key, {}))
                    if inherit:
                        metadata = self._inherit(conn, key, metadata, plugin, viewer)
                    results.append((key, metadata))
            yield results, [k for k in chunk if k not in found]

    def _inherit(self, conn: Connection, key: DidKey, metadata: Metadata, plugin: str, viewer: Viewer) -> Metadata:
        """Add ancestors' keys: nearest first, ties by (scope, name); the DID's own keys win.

        Ancestors hidden from the caller (embargo) neither give keys nor lead further up.
        """
        merged = dict(metadata)
        seen = {key}
        level = [key]
        while level:
            parents = sorted({p for p in catalog.parents_of(conn, level) if p not in seen})
            if not viewer.sees_everything:
                shown = viewer.visible_keys(conn, parents)
                parents = [p for p in parents if p in shown]
            seen.update(parents)
            values = self._read_metadata(conn, parents, plugin)
            for parent in parents:
                for name, value in values.get(parent, {}).items():
                    if name not in merged and name not in ("scope", "name", "type"):
                        merged[name] = value
            level = parents
        return merged

    def delete_metadata(self, key: DidKey, keys: Sequence[str]) -> None:
        if not keys:
            raise InvalidArgument.for_field("keys", "name at least one key")
        if len(set(keys)) != len(keys):
            raise InvalidArgument.for_field("keys", "a key is given twice")
        by_owner: dict[str, list[str]] = defaultdict(list)
        for index, name in enumerate(keys):
            validate_key(name, f"keys[{index}]")
            owner = self.did_column if name in INTRINSIC else self.owner_of(name)
            by_owner[owner.name].append(name)

        def work(uow: UnitOfWork) -> None:
            self.require_visible(uow.conn, [key])
            catalog.get_did(uow.conn, key)
            before = self._current_values(uow.conn, [(key, dict.fromkeys(keys))])
            for plugin in self.plugins:
                if plugin.name in by_owner:
                    plugin.delete_keys(uow, key, by_owner[plugin.name])
            removed: dict[str, MetaValue | None] = dict.fromkeys(keys)
            self.history.record(uow.conn, metadata_changes(key, before.get(key, {}), removed, action="unset"))

        self._write(work)

    # --- listing ----------------------------------------------------------------------------------
    def open_listing(
        self,
        query: ListQuery,
        *,
        long: bool,
        after: DidKey | None,
        limit: int | None,
        wide: bool = False,
        metadata: Sequence[MetaColumn] = (),
    ) -> RowStream:
        """The rows of a listing: one SQL statement when every clause is relational, else merged streams.

        `wide`: long rows also carry events and created_at (Arrow listings, query/arrow.py).
        `metadata`: keys read as extra columns of the statement (query/meta_sql.py; pure-SQL listings only)."""
        if self.planner.is_pure_sql(query):
            statement = self.planner.select_page(query, long=long, after=after, limit=limit, wide=wide)
            return QueryStream(self.store, listing_statement(statement, self.store.dialect, metadata))
        if metadata:
            raise AssertionError("metadata columns need a pure-SQL listing")
        return MergedStream(self.store, self.planner, query, long=long, after=after, limit=limit, wide=wide)

    def count_dids(self, query: ListQuery) -> int:
        if self.planner.is_pure_sql(query):
            with self.store.read() as conn:
                return int(conn.execute(self.planner.count(query)).scalar_one())
        stream = MergedStream(self.store, self.planner, query, long=False, after=None, limit=None)
        try:
            total = 0
            while rows := stream.fetch(10_000):
                total += len(rows)
            return total
        finally:
            stream.close()

    def metadata_for(self, keys: Sequence[DidKey], wanted: Sequence[str]) -> dict[DidKey, Metadata]:
        """The requested keys of each DID (long listings), read from their owners only."""
        owners: dict[str, list[str]] = defaultdict(list)
        for name in wanted:
            owner = self.did_column if self.did_column.filter_kind(name) else self.owner_of(name)
            owners[owner.name].append(name)
        result: dict[DidKey, Metadata] = {}
        with self.store.read() as conn:
            for owner_name, names in owners.items():
                for did, metadata in self.plugin_named(owner_name).get_many(conn, keys).items():
                    picked = {n: metadata[n] for n in names if n in metadata and metadata[n] is not None}
                    if picked:
                        result.setdefault(did, {}).update(picked)
        return result
