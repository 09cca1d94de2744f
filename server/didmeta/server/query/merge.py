"""Listings that involve external plugins: sorted key streams combined in (scope, name) order.

Each OR group is the catalogue's SQL stream for the group's relational part, intersected with
each external plugin's stream for its required (positive) clauses, minus its streams for the
excluded ones (`ne` is "not eq", `exists=false` is "not exists"). Groups are united with a
k-way merge. Every stream is sorted by (scope, name), so this runs in constant memory.

Recursive listings with external clauses materialise the root and descendant key sets in memory
(documented in docs/filters.md); pure-SQL recursion stays in the database.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, false, select, tuple_

from didmeta.errors import Cancelled
from didmeta.filters.model import Clause, Filter
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ExternalPlugin, ExternalQuery
from didmeta.server.access.embargo import Viewer
from didmeta.server.query.plan import GroupPlan, ListQuery, Planner
from didmeta.server.query.stream import QueryStream
from didmeta.server.store import catalog
from didmeta.server.store.catalog import keys_in
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import dids

Row = tuple[Any, ...]
_FETCH = 1000
_CHUNK = 500


def _key(row: Row) -> DidKey:
    return DidKey(row[0], row[1])


def intersect(rows: Iterator[Row], keys: Iterator[DidKey]) -> Iterator[Row]:
    """Rows whose key is also in `keys` (both sorted)."""
    current = next(keys, None)
    for row in rows:
        key = _key(row)
        while current is not None and current < key:
            current = next(keys, None)
        if current is None:
            return
        if current == key:
            yield row


def subtract(rows: Iterator[Row], keys: Iterator[DidKey]) -> Iterator[Row]:
    """Rows whose key is not in `keys` (both sorted)."""
    current = next(keys, None)
    for row in rows:
        key = _key(row)
        while current is not None and current < key:
            current = next(keys, None)
        if current != key:
            yield row


def union(streams: Sequence[Iterator[Row]]) -> Iterator[Row]:
    """The sorted union of sorted row streams, each key once."""
    last: DidKey | None = None
    for row in heapq.merge(*streams, key=_key):
        key = _key(row)
        if key != last:
            last = key
            yield row


class MergedStream:
    """The rows of a listing with external parts; same interface as QueryStream."""

    def __init__(
        self,
        store: Store,
        planner: Planner,
        query: ListQuery,
        *,
        long: bool,
        after: DidKey | None,
        limit: int | None,
        batch_size: int = _FETCH,
        wide: bool = False,
    ) -> None:
        self.store = store
        self.planner = planner
        self.query = query
        self.long = long
        self.wide = wide  # long rows also carry events and created_at (Arrow listings)
        self.after = after
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._cancelled = False
        self._open: list[QueryStream] = []
        self._generators: list[Iterator[Any]] = []
        # Embargoed DIDs are excluded from the catalogue's SQL side, which every stream is intersected with.
        self.viewer = Viewer(store.dialect)
        rows = self._recursive_rows() if query.recursive else self._rows(query.filter, query.scope_pattern, after)
        self._rows_iter: Iterator[Row] = rows
        self._remaining = limit

    # --- building blocks ------------------------------------------------------------------------
    def _columns(self) -> list[Any]:
        columns = [dids.c.scope, dids.c.name]
        if self.long:
            columns += [dids.c.did_type, dids.c.bytes, dids.c.length]
            if self.wide:
                columns += [dids.c.events, dids.c.created_at]
        return columns

    def _sql_rows(self, statement: Select[Any]) -> Iterator[Row]:
        stream = QueryStream(self.store, statement)
        self._open.append(stream)
        try:
            while True:
                if self._cancelled:
                    raise Cancelled("the listing was cancelled")
                rows = stream.fetch(_FETCH)
                if not rows:
                    return
                yield from (tuple(r) for r in rows)
        finally:
            stream.close()

    def _external_keys(
        self, plugin: ExternalPlugin, clauses: Sequence[Clause], scope_pattern: str, after: DidKey | None
    ) -> Iterator[DidKey]:
        batches = plugin.select(
            ExternalQuery(scope_pattern, tuple(clauses), self.query.ignore_case, after, self.batch_size)
        )
        self._generators.append(batches)
        for batch in batches:
            if self._cancelled:
                raise Cancelled("the listing was cancelled")
            yield from batch

    def _group_rows(
        self,
        plan: GroupPlan,
        scope_pattern: str,
        after: DidKey | None,
        restrict: Callable[[Select[Any]], Select[Any]] | None = None,
    ) -> Iterator[Row]:
        statement = select(*self._columns()).where(
            dids.c.suppressed == false(),
            self.planner.visible(self.query),
            self.viewer.visible(dids.c.scope, dids.c.name),
            self.planner.scope_condition(scope_pattern),
            plan.condition,
        )
        if after is not None:
            statement = statement.where(tuple_(dids.c.scope, dids.c.name) > tuple_(after.scope, after.name))
        if restrict is not None:
            statement = restrict(statement)
        rows: Iterator[Row] = self._sql_rows(statement.order_by(dids.c.scope, dids.c.name))
        for part in plan.external:
            if part.required:
                rows = intersect(rows, self._external_keys(part.plugin, part.required, scope_pattern, after))
            for clause in part.excluded:
                rows = subtract(rows, self._external_keys(part.plugin, [clause], scope_pattern, after))
        return rows

    def _rows(self, filter_: Filter, scope_pattern: str, after: DidKey | None) -> Iterator[Row]:
        plans = self.planner.plan(filter_, self.query.types, self.query.ignore_case)
        return union([self._group_rows(plan, scope_pattern, after) for plan in plans])

    def _recursive_rows(self) -> Iterator[Row]:
        roots = [_key(row) for row in self._rows(self.query.filter, self.query.scope_pattern, None)]
        descendants = sorted(self._descendants(roots) - set(roots))
        unnamed = Filter(tuple(g.without_name() for g in self.query.filter.groups))
        below = self._rows_among(unnamed, descendants)
        root_rows = self._rows_among(Filter(), roots, any_type=True)
        merged = union([root_rows, below])
        if self.after is None:
            return merged
        after = self.after
        return (row for row in merged if _key(row) > after)

    def _descendants(self, roots: Iterable[DidKey]) -> set[DidKey]:
        seen: set[DidKey] = set()
        frontier = list(roots)
        with self.store.read() as conn:
            while frontier:
                children = catalog.child_types(conn, frontier)
                found = [child for kids in children.values() for child in kids]
                if not self.viewer.sees_everything:  # the walk does not pass through embargoed DIDs
                    shown = self.viewer.visible_keys(conn, found)
                    found = [child for child in found if child in shown]
                frontier = [k for k in dict.fromkeys(found) if k not in seen]
                seen.update(frontier)
        return seen

    def _rows_among(self, filter_: Filter, keys: Sequence[DidKey], any_type: bool = False) -> Iterator[Row]:
        """Rows of `keys` (sorted) that match `filter_` (or any row, with any_type), chunk by chunk."""
        plans = None if any_type else self.planner.plan(filter_, self.query.types, self.query.ignore_case)
        previous: DidKey | None = None
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])

            def restrict(statement: Select[Any], chunk: list[DidKey] = chunk) -> Select[Any]:
                return statement.where(keys_in(dids.c.scope, dids.c.name, chunk))

            if plans is None:
                statement = restrict(
                    select(*self._columns()).where(
                        dids.c.suppressed == false(),
                        self.planner.visible(self.query),
                        self.viewer.visible(dids.c.scope, dids.c.name),
                    )
                )
                yield from self._sql_rows(statement.order_by(dids.c.scope, dids.c.name))
            else:
                yield from union([self._group_rows(plan, "*", previous, restrict=restrict) for plan in plans])
            previous = chunk[-1]

    # --- the QueryStream interface ----------------------------------------------------------------
    def fetch(self, count: int) -> Sequence[Row]:
        with self._lock:
            if self._cancelled:
                raise Cancelled("the listing was cancelled")
            if self._remaining is not None:
                count = min(count, self._remaining)
            if count <= 0:
                return []
            rows: list[Row] = []
            for row in self._rows_iter:
                rows.append(row)
                if len(rows) >= count:
                    break
            if self._remaining is not None:
                self._remaining -= len(rows)
            return rows

    def cancel(self) -> None:
        self._cancelled = True
        for stream in list(self._open):
            stream.cancel()

    def close(self) -> None:
        with self._lock:
            for stream in self._open:
                stream.close()
            for generator in self._generators:
                close = getattr(generator, "close", None)
                if close is not None:
                    close()
