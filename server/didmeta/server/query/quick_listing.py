"""Small listings in fixed SQL on the event loop: ListDids' quick path.

A listing such as `run_number=4242` in one scope returns a few DIDs, and its statement takes
microseconds, but the general path (`Dispatcher.open_listing`) builds the SQLAlchemy statement per
call, opens a stream, and runs in a worker thread: about 1.3 ms of server CPU for 30 rows
(docs/performance.md). This module answers the common simple shape the way `server/point.py`
answers GetMetadata: SQL text built once per shape of query, the values bound as parameters, run
on the event loop (SQLite: the loop's own connection; PostgreSQL: awaited over the loop's psycopg
connections).

It takes a listing only when all of this holds; anything else goes to the general path, untouched:

- one exact scope (no scope pattern), not recursive, no ignore_case;
- at most one group of clauses, each on a column of the catalogue's DID table (DID_COLUMN) of kind
  int or string: `=` (strings may use the `*` wildcard), `<`, `<=`, `>`, `>=`, with an int value for
  an int column and a string (or int, compared as its text) for a string column;
- no hidden scopes for the caller, no read replicas, the declared-keys cache fresh (servicer side).

A caller who does not see every DID (not an admin: embargoes apply) gets the same statement with the
embargo check of each row (access/embargo.py `hidden_sql`: an embargo in force on the DID, or recursive on
an ancestor, in a scope the caller does not own), the caller's account and the time bound once in a
one-row subquery, which also counts the embargoes in force (with none, no row is checked). A caller whose
capabilities show embargoed DIDs goes to the general path (its `Viewer` matches their scope patterns).

The statement is the general path's condition written out: not suppressed, the scope, the type
selector (`did_type IN (...)` unless every type), the clauses as `column_condition` renders them,
ordered by (scope, name), with a LIMIT of one more row than the first message holds. If that extra row
comes back, the listing is not small: the general path answers it from the start. On SQLite the
statement runs under a step budget (`MAX_LOOP_STEPS`, about 1 ms): a shape that no index answers is
interrupted and goes to the general path. On PostgreSQL at most `MAX_AWAITED` quick listings are awaited
at once (the loop's connections also serve GetMetadata), and one slower than `SLOW_SECONDS` counts as a
miss for its shape once answered. A shape that overflowed or was interrupted is not tried
again for the next `SKIP_AFTER_MISS` listings of that shape, so a large listing pays the extra query
rarely. tests/integration/test_quick_listing.py compares this path with the general one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from didmeta.attributes import COLLECTION_ONLY
from didmeta.filters.model import Clause, Op
from didmeta.plugins.did_column import DidColumnPlugin
from didmeta.plugins.sql_conditions import glob_pattern, like_pattern
from didmeta.server.access.embargo import active_embargoes_sql, hidden_sql
from didmeta.server.access.identity import current_identity
from didmeta.server.point import PointAccess, embargo_check
from didmeta.server.query.plan import ALL_TYPES, LONG_COLUMNS, ListQuery
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import dids
from didmeta.values import INT64_MAX

#: SQLite virtual-machine steps a listing may take on the event loop (~30 per µs on this machine: ~1 ms).
MAX_LOOP_STEPS = 30_000
#: Listings of a shape that go straight to the general path after one that was not small.
SKIP_AFTER_MISS = 63
#: Shapes whose SQL text is kept (the cache is emptied when it is full).
MAX_SHAPES = 512
#: PostgreSQL: quick listings awaited at once (of the loop's 8 connections, which GetMetadata shares); more
#: go to the general path instead of waiting.
MAX_AWAITED = 4
#: PostgreSQL: a quick listing slower than this (no index answered it) answers, and its shape is then left
#: to the general path for the next `SKIP_AFTER_MISS` listings (a worker thread and a pool connection).
SLOW_SECONDS = 0.02

_SQL_OPS = {Op.EQ: "=", Op.LT: "<", Op.LTE: "<=", Op.GT: ">", Op.GTE: ">="}
_INT64_MIN = -INT64_MAX - 1
#: A clause's part of a shape: key, operator, wildcard.
ClauseShape = tuple[str, Op, bool]
#: long output, type codes, clauses, embargo check.
Shape = tuple[bool, tuple[str, ...], tuple[ClauseShape, ...], bool]


@dataclass(frozen=True)
class QuickStatement:
    """One small listing's statement: its shape (the SQL text's cache key) and its parameters."""

    shape: Shape
    sql: str
    params: tuple[Any, ...]


class QuickListing:
    """Fixed-SQL small listings over the catalogue's `dids` table; `None` from `for_point` when it cannot apply."""

    def __init__(self, store: Store, point: PointAccess, did_column: DidColumnPlugin) -> None:
        self.store = store
        self.point = point
        self.did_column = did_column
        self._sqlite = store.is_sqlite
        self._mark = "?" if self._sqlite else "%s"
        self._sql: dict[Shape, str] = {}
        self._skips: dict[Shape, int] = {}
        self._awaited = 0  # PostgreSQL quick listings being awaited now

    @classmethod
    def for_point(cls, store: Store, point: PointAccess | None) -> QuickListing | None:
        """The quick path where the loop has a connection of its own (SQLite file, PostgreSQL)."""
        if point is None or not (point.reads_on_loop or point.reads_async):
            return None
        return cls(store, point, point.did_column)

    # --- which listings ---------------------------------------------------------------------------
    def statement(self, query: ListQuery, *, long: bool, fetch: int, viewer: bool) -> QuickStatement | None:
        """The statement of `query`'s first `fetch` rows, or None if this path does not take the listing.
        `viewer`: the caller does not see every DID (the statement checks each row for embargoes)."""
        if query.recursive or query.ignore_case or query.hidden_scopes or "*" in query.scope_pattern:
            return None
        params: list[Any] = []
        if viewer:
            if embargo_check() is None:
                return None
            identity = current_identity.get()
            now = self.point.embargo_time()
            params += [now, identity.account, now]
        if self.store.replicas is not None:
            return None  # listings may read from a replica: the general path chooses
        groups = query.filter.groups
        if len(groups) > 1:
            return None
        clauses: tuple[Clause, ...] = groups[0].clauses if groups else ()
        types = groups[0].types if groups and groups[0].types is not None else query.types
        shapes: list[ClauseShape] = []
        params.append(query.scope_pattern)
        for clause in clauses:
            value = self._parameter(clause)
            if value is None:
                return None
            shapes.append((clause.key, clause.op, clause.wildcard))
            params.append(value)
        type_codes = () if types == ALL_TYPES else tuple(sorted(t.value for t in types))
        shape: Shape = (long, type_codes, tuple(shapes), viewer)
        skips = self._skips.get(shape)
        if skips:
            self._skips[shape] = skips - 1
            return None
        sql = self._sql.get(shape)
        if sql is None:
            if len(self._sql) >= MAX_SHAPES:
                self._sql.clear()
            sql = self._sql[shape] = self._render(shape)
        params.append(fetch)
        return QuickStatement(shape, sql, tuple(params))

    def _parameter(self, clause: Clause) -> Any:
        """The bound value of a clause this path renders, or None if it does not take the clause."""
        if clause.negated or clause.quantifier is not None or clause.op not in _SQL_OPS:
            return None
        kind = self.did_column.filter_kind(clause.key)
        if kind is None or clause.key in COLLECTION_ONLY:
            return None
        value = clause.value
        if kind == "int":
            if type(value) is not int or not _INT64_MIN <= value <= INT64_MAX or clause.wildcard:
                return None
            return value
        if kind != "string":
            return None
        if type(value) is int:
            value = str(value)  # the one lossless coercion (sql_conditions.column_condition)
        if type(value) is not str or "\x00" in value:
            return None
        if clause.wildcard:
            if clause.op is not Op.EQ:
                return None
            return glob_pattern(value, star_is_wildcard=True) if self._sqlite else like_pattern(value, wildcard=True)
        return value

    def _render(self, shape: Shape) -> str:
        long, type_codes, clauses, viewer = shape
        mark = self._mark
        columns = list(LONG_COLUMNS if long else LONG_COLUMNS[:2])
        tables = "dids"
        where = [f"suppressed = {'0' if self._sqlite else 'false'}", f"scope = {mark}"]
        if type_codes:
            where.append(f"did_type IN ({', '.join(repr(code) for code in type_codes)})")
        for key, op, wildcard in clauses:
            column = dids.c[key].name  # a DID-table column: the key is the column's name
            if wildcard:
                where.append(f"{column} GLOB {mark}" if self._sqlite else f"{column} LIKE {mark} ESCAPE '\\'")
            elif self.did_column.filter_kind(key) == "string" and not self._sqlite:
                where.append(f'({column} COLLATE "C") {_SQL_OPS[op]} {mark}')
            else:
                where.append(f"{column} {_SQL_OPS[op]} {mark}")
        if viewer:  # the time, the account and the embargoes in force, once, first; each row's check last
            now, account = (mark, mark) if self._sqlite else ("CAST(%s AS timestamp)", "CAST(%s AS text)")
            in_force = f"({active_embargoes_sql(now)})"
            tables = f"dids, (SELECT {now} AS viewer_now, {account} AS viewer_account, {in_force} AS in_force) viewer"
            hidden = hidden_sql("dids.scope", "dids.name", "viewer.viewer_now", "viewer.viewer_account")
            where.append(f"(viewer.in_force = 0 OR NOT {hidden})")
        select = f"SELECT {', '.join(f'dids.{column}' for column in columns)} FROM {tables}"
        return f"{select} WHERE {' AND '.join(where)} ORDER BY dids.scope, dids.name LIMIT {mark}"

    # --- running it -------------------------------------------------------------------------------
    async def rows(self, statement: QuickStatement, most: int) -> list[tuple[Any, ...]] | None:
        """The listing's rows as the driver gives them (the listed columns, text and integers, need no result
        processing on either database, as in the general path's `QueryStream`), or None when this path does not
        answer: more than `most` rows, the SQLite step budget spent, a connection failure."""
        if self._sqlite:
            found = self.point.rows_on_loop(statement.sql, statement.params, MAX_LOOP_STEPS)
        else:
            if self._awaited >= MAX_AWAITED:
                return None
            self._awaited += 1
            started = time.monotonic()
            try:
                found = await self.point.rows_async(statement.sql, statement.params)
            finally:
                self._awaited -= 1
            if found is not None and time.monotonic() - started > SLOW_SECONDS:
                self._miss(statement.shape)  # answered, but the next ones of this shape take a thread
        if found is None or len(found) > most:
            self._miss(statement.shape)
            return None
        return found

    def _miss(self, shape: Shape) -> None:
        if len(self._skips) >= MAX_SHAPES:
            self._skips.clear()
        self._skips[shape] = SKIP_AFTER_MISS
