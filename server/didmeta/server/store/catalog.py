"""Catalogue operations on scopes, DIDs and attachments (spec §1). Synchronous; callers own the transaction.

Dataset and container counters (`bytes`, `length`, `events`) are kept exact on every attach and
detach: the changed collections and all their ancestors are recomputed from their children,
nearest first, in set-based statements.

Concurrency (docs/architecture.md, "Concurrent writers"): every change of the attachment graph
(attach, detach, delete) first takes the graph lock (`lock_graph`), a transaction-scoped lock that
serialises graph changes across every server process on the database, so the cycle check and the
counter recomputation see every earlier graph change. Rows are locked and written in (scope, name)
order (`lock_dids`, sorted inserts) so that concurrent bulk writes do not deadlock one another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, false, func, insert, or_, select, text, update

from didmeta.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from didmeta.identifiers import DidKey, DidType
from didmeta.server.store import bulk
from didmeta.server.store.schema import contents, dids, scopes

_CHUNK = 500
#: pg_advisory_xact_lock key of the attachment graph ("didmeta" in ASCII); one lock for the whole graph.
GRAPH_LOCK_KEY = 0x6469646D657461
_ADLER32_RE = re.compile(r"[0-9a-fA-F]{8}")
_MD5_RE = re.compile(r"[0-9a-fA-F]{32}")


def utcnow() -> datetime:
    """Now, naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def keys_in(scope_column: Any, name_column: Any, keys: Iterable[DidKey]) -> Any:
    """`(scope, name) IN keys` as one `name IN (...)` per scope.

    PostgreSQL plans a row-value IN list of bound parameters badly (hundreds of ms per 500 keys on
    a table of some 10^4 rows); a per-scope `name IN (...)` uses the primary key at once. SQLite
    takes either form.
    """
    by_scope: dict[str, list[str]] = {}
    for key in keys:
        by_scope.setdefault(key.scope, []).append(key.name)
    if not by_scope:
        return false()
    return or_(*(and_(scope_column == scope, name_column.in_(names)) for scope, names in by_scope.items()))


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- concurrency ---------------------------------------------------------------------------
def lock_graph(conn: Connection) -> None:
    """Serialise changes of the attachment graph and of the counters, across every server process.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback (re-entrant within
    one transaction). Take it before any row lock of the transaction, so that a transaction never
    waits for it while holding rows others wait for. SQLite: nothing to do, a write transaction
    holds the database's single write lock from its BEGIN IMMEDIATE on.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GRAPH_LOCK_KEY})


def lock_dids(conn: Connection, keys: Iterable[DidKey]) -> None:
    """PostgreSQL: lock the rows of these DIDs for update in (scope, name) order (the canonical order).

    Two transactions that lock overlapping sets in the same order cannot deadlock on them; later
    updates of the same rows in any order then wait for nothing. SQLite: nothing to do (one writer).
    """
    if conn.dialect.name != "postgresql":
        return
    ordered = sorted(set(keys))
    for chunk in _chunks(ordered):
        conn.execute(
            select(dids.c.scope, dids.c.name)
            .where(keys_in(dids.c.scope, dids.c.name, chunk))
            .order_by(dids.c.scope, dids.c.name)
            .with_for_update(key_share=True)
        ).all()


@dataclass(frozen=True)
class ScopeRecord:
    scope: str
    account: str
    created_at: datetime


@dataclass(frozen=True)
class NewDidSpec:
    """A DID to create, already validated for shape (identifiers, type)."""

    key: DidKey
    did_type: DidType
    account: str
    bytes: int | None = None
    adler32: str | None = None
    md5: str | None = None
    guid: str | None = None
    events: int | None = None
    extra_columns: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DidRecord:
    """A DID with its intrinsic attributes (timestamps naive UTC)."""

    key: DidKey
    did_type: DidType
    account: str
    bytes: int
    length: int
    events: int | None
    md5: str | None
    adler32: str | None
    guid: str | None
    is_open: bool
    suppressed: bool
    hidden: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    accessed_at: datetime | None
    expired_at: datetime | None
    eol_at: datetime | None


_RECORD_COLUMNS = [
    dids.c.scope,
    dids.c.name,
    dids.c.did_type,
    dids.c.account,
    dids.c.bytes,
    dids.c.length,
    dids.c.events,
    dids.c.md5,
    dids.c.adler32,
    dids.c.guid,
    dids.c.is_open,
    dids.c.suppressed,
    dids.c.hidden,
    dids.c.created_at,
    dids.c.updated_at,
    dids.c.closed_at,
    dids.c.accessed_at,
    dids.c.expired_at,
    dids.c.eol_at,
]


def _record(row: Sequence[Any]) -> DidRecord:
    scope, name, did_type, *rest = row
    return DidRecord(DidKey(scope, name), DidType(did_type), *rest)


# --- scopes -------------------------------------------------------------------------------
def add_scope(conn: Connection, scope: str, account: str) -> ScopeRecord:
    if conn.execute(select(scopes.c.scope).where(scopes.c.scope == scope)).first():
        raise AlreadyExists(f"scope {scope!r} exists", reason="SCOPE_EXISTS", metadata={"scope": scope})
    record = ScopeRecord(scope, account, utcnow())
    conn.execute(insert(scopes).values(scope=scope, account=account, created_at=record.created_at))
    return record


def list_scopes(conn: Connection, pattern: str | None = None) -> list[ScopeRecord]:
    query = select(scopes.c.scope, scopes.c.account, scopes.c.created_at).order_by(scopes.c.scope)
    rows = [ScopeRecord(*row) for row in conn.execute(query)]
    if pattern:
        regex = re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern))
        rows = [r for r in rows if regex.fullmatch(r.scope)]
    return rows


def require_scopes(conn: Connection, names: Iterable[str]) -> None:
    wanted = set(names)
    found = {row[0] for row in conn.execute(select(scopes.c.scope).where(scopes.c.scope.in_(wanted)))}
    missing = sorted(wanted - found)
    if missing:
        raise NotFound(f"scope {missing[0]!r} does not exist", reason="SCOPE_NOT_FOUND", metadata={"scope": missing[0]})


# --- DIDs ---------------------------------------------------------------------------------
def existing_keys(conn: Connection, keys: Sequence[DidKey]) -> set[DidKey]:
    found: set[DidKey] = set()
    for chunk in _chunks(keys):
        query = select(dids.c.scope, dids.c.name).where(keys_in(dids.c.scope, dids.c.name, chunk))
        found.update(DidKey(*row) for row in conn.execute(query))
    return found


def validate_file_attributes(spec: NewDidSpec, field: str) -> None:
    if spec.did_type is not DidType.FILE:
        for attribute in ("bytes", "adler32", "md5", "guid", "events"):
            if getattr(spec, attribute) is not None:
                raise InvalidArgument.for_field(f"{field}.{attribute}", "only files carry " + attribute)
        return
    if spec.bytes is not None and spec.bytes < 0:
        raise InvalidArgument.for_field(f"{field}.bytes", "must not be negative")
    if spec.events is not None and spec.events < 0:
        raise InvalidArgument.for_field(f"{field}.events", "must not be negative")
    if spec.adler32 is not None and not _ADLER32_RE.fullmatch(spec.adler32):
        raise InvalidArgument.for_field(f"{field}.adler32", "must be 8 hex digits")
    if spec.md5 is not None and not _MD5_RE.fullmatch(spec.md5):
        raise InvalidArgument.for_field(f"{field}.md5", "must be 32 hex digits")


#: Columns of a new DID's row, in the order `new_did_row` gives them; plugin columns follow.
NEW_DID_COLUMNS = (
    "scope",
    "name",
    "did_type",
    "account",
    "bytes",
    "length",
    "events",
    "md5",
    "adler32",
    "guid",
    "is_open",
    "suppressed",
    "hidden",
    "created_at",
    "updated_at",
)


def new_did_row(spec: NewDidSpec, now: Any, sqlite: bool) -> tuple[Any, ...]:
    """The NEW_DID_COLUMNS values of a new DID, as the driver takes them (`now` already converted)."""
    is_file = spec.did_type is DidType.FILE
    is_open = (0 if is_file else 1) if sqlite else not is_file
    no = 0 if sqlite else False
    return (
        spec.key.scope,
        spec.key.name,
        spec.did_type.value,
        spec.account,
        spec.bytes or 0,
        0,
        spec.events if is_file else 0,
        spec.md5,
        spec.adler32,
        spec.guid,
        is_open,
        no,
        no,
        now,
        now,
    )


def driver_now(dialect: str) -> Any:
    """utcnow() as the driver of `dialect` takes it for a DateTime column."""
    return bulk.driver_value(dialect, "created_at", utcnow())


def refuse_repeated(keys: Sequence[DidKey]) -> None:
    """ALREADY_EXISTS naming the first DID given twice."""
    if len(set(keys)) != len(keys):
        seen: set[DidKey] = set()
        duplicate = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise AlreadyExists(f"DID {duplicate} is given twice", reason="DID_EXISTS", metadata={"did": str(duplicate)})


def insert_new_dids(
    conn: Connection, keys: Sequence[DidKey], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Insert new DIDs' rows (sorted by key, `columns` as NEW_DID_COLUMNS then plugin columns), all or none.

    ALREADY_EXISTS names a DID given twice or one that exists, NOT_FOUND a missing scope. No existence
    check runs before the insert: the primary key refuses a clash (bulk.insert_dids names it).
    """
    refuse_repeated(keys)
    require_scopes(conn, {k.scope for k in keys})
    bulk.insert_dids(conn, columns, rows, keys)
    return len(rows)


def add_dids(conn: Connection, specs: Sequence[NewDidSpec]) -> int:
    """Insert DIDs; ALREADY_EXISTS (nothing inserted) if one exists or is given twice."""
    sqlite = conn.dialect.name == "sqlite"
    now = driver_now(conn.dialect.name)
    extra = sorted({column for spec in specs for column in spec.extra_columns})
    ordered = sorted(specs, key=lambda s: s.key)  # canonical order: concurrent loads do not deadlock
    rows = [
        new_did_row(spec, now, sqlite)
        + tuple(bulk.driver_value(conn.dialect.name, c, spec.extra_columns.get(c)) for c in extra)
        for spec in ordered
    ]
    return insert_new_dids(conn, [s.key for s in specs], (*NEW_DID_COLUMNS, *extra), rows)


def get_did(conn: Connection, key: DidKey) -> DidRecord:
    row = conn.execute(select(*_RECORD_COLUMNS).where(dids.c.scope == key.scope, dids.c.name == key.name)).first()
    if row is None:
        raise NotFound(f"DID {key} does not exist", reason="DID_NOT_FOUND", metadata={"did": str(key)})
    return _record(row)


def get_dids(conn: Connection, keys: Sequence[DidKey]) -> dict[DidKey, DidRecord]:
    records: dict[DidKey, DidRecord] = {}
    for chunk in _chunks(keys):
        query = select(*_RECORD_COLUMNS).where(keys_in(dids.c.scope, dids.c.name, chunk))
        for row in conn.execute(query):
            record = _record(row)
            records[record.key] = record
    return records


def require_dids(conn: Connection, keys: Sequence[DidKey]) -> dict[DidKey, DidRecord]:
    records = get_dids(conn, list(dict.fromkeys(keys)))
    for key in keys:
        if key not in records:
            raise NotFound(f"DID {key} does not exist", reason="DID_NOT_FOUND", metadata={"did": str(key)})
    return records


def set_status(conn: Connection, key: DidKey, is_open: bool) -> DidRecord:
    lock_graph(conn)  # a collection closes between attaches, never during one (attach checks is_open)
    record = get_did(conn, key)
    if record.did_type is DidType.FILE:
        raise FailedPrecondition(f"{key} is a file: only collections open and close", reason="NOT_A_COLLECTION")
    if record.is_open != is_open:
        now = utcnow()
        conn.execute(
            update(dids)
            .where(dids.c.scope == key.scope, dids.c.name == key.name)
            .values(is_open=is_open, closed_at=None if is_open else now, updated_at=now)
        )
    return get_did(conn, key)


def children(conn: Connection, key: DidKey) -> list[DidRecord]:
    query = (
        select(*_RECORD_COLUMNS)
        .select_from(
            contents.join(dids, and_(dids.c.scope == contents.c.child_scope, dids.c.name == contents.c.child_name))
        )
        .where(contents.c.scope == key.scope, contents.c.name == key.name)
        .order_by(dids.c.scope, dids.c.name)
    )
    return [_record(row) for row in conn.execute(query)]


def child_types(conn: Connection, parents: Sequence[DidKey]) -> dict[DidKey, dict[DidKey, DidType]]:
    """The direct children of each parent, with their types."""
    result: dict[DidKey, dict[DidKey, DidType]] = {}
    for chunk in _chunks(parents):
        query = select(
            contents.c.scope,
            contents.c.name,
            contents.c.child_scope,
            contents.c.child_name,
            contents.c.child_type,
        ).where(keys_in(contents.c.scope, contents.c.name, chunk))
        for scope, name, child_scope, child_name, child_type in conn.execute(query):
            result.setdefault(DidKey(scope, name), {})[DidKey(child_scope, child_name)] = DidType(child_type)
    return result


def parents_of(conn: Connection, keys: Sequence[DidKey]) -> list[DidKey]:
    parents: list[DidKey] = []
    for chunk in _chunks(keys):
        query = (
            select(contents.c.scope, contents.c.name)
            .where(keys_in(contents.c.child_scope, contents.c.child_name, chunk))
            .distinct()
        )
        parents.extend(DidKey(*row) for row in conn.execute(query))
    return list(dict.fromkeys(parents))


def ancestors(conn: Connection, keys: Sequence[DidKey]) -> set[DidKey]:
    """Every ancestor of `keys` (terminates on any graph)."""
    seen: set[DidKey] = set()
    frontier = list(keys)
    while frontier:
        frontier = [p for p in parents_of(conn, frontier) if p not in seen]
        seen.update(frontier)
    return seen


def recompute_levels(conn: Connection, changed: Sequence[DidKey]) -> list[list[DidKey]]:
    """`changed` and all their ancestors by level, each in a level after those of all its descendants."""
    depth_of: dict[DidKey, int] = dict.fromkeys(changed, 0)
    level = list(dict.fromkeys(changed))
    depth = 0
    while level:
        depth += 1
        if depth > 1000:
            raise FailedPrecondition("attachment graph deeper than 1000 levels", reason="GRAPH_TOO_DEEP")
        level = parents_of(conn, level)
        for parent in level:
            depth_of[parent] = depth
    levels: list[list[DidKey]] = [[] for _ in range(max(depth_of.values(), default=-1) + 1)]
    for key, key_depth in depth_of.items():
        levels[key_depth].append(key)
    return levels


#: One level of collections recomputed in one statement (PostgreSQL): the keys come in as two arrays;
#: each collection's totals are a LATERAL aggregate over its `contents` rows (an index range of the
#: primary key whatever the table statistics say during a load), zeros without children; a dataset's
#: length counts its files and a container's sums its children's lengths.
_TOTALS_PG = text(
    """
    WITH totals AS (
        SELECT t.scope, t.name, agg.bytes, agg.length, agg.events
        FROM unnest(CAST(:scopes AS text[]), CAST(:names AS text[])) AS u(s, n)
        CROSS JOIN LATERAL (SELECT u.s COLLATE "C" AS scope, u.n COLLATE "C" AS name) t
        CROSS JOIN LATERAL (
            SELECT COALESCE(SUM(child.bytes), 0) AS bytes,
                   COALESCE(SUM(CASE WHEN child.did_type = 'F' THEN 1 ELSE child.length END), 0) AS length,
                   COALESCE(SUM(child.events), 0) AS events
            FROM contents link
            JOIN dids child ON child.scope = link.child_scope AND child.name = link.child_name
            WHERE link.scope = t.scope AND link.name = t.name
        ) agg
    )
    UPDATE dids SET bytes = totals.bytes, length = totals.length, events = totals.events, updated_at = :now
    FROM totals WHERE dids.scope = totals.scope AND dids.name = totals.name
    """
)


def _update_totals_pg(conn: Connection, level: Sequence[DidKey], now: datetime) -> None:
    ordered = sorted(level)
    conn.execute(_TOTALS_PG, {"scopes": [k.scope for k in ordered], "names": [k.name for k in ordered], "now": now})


def _recompute(conn: Connection, changed: Sequence[DidKey]) -> None:
    """Recompute bytes/length/events of the changed collections and of all their ancestors.

    Level by level (nearest first): on PostgreSQL one set-based UPDATE ... FROM (aggregate) per level;
    on SQLite one aggregate query and one executemany UPDATE per chunk of 500.
    """
    child = dids.alias("child")
    link = contents.alias("link")
    # A dataset's length counts its files; a container's sums its children's lengths.
    per_child_length = case((child.c.did_type == DidType.FILE.value, 1), else_=child.c.length)
    statement = (
        update(dids)
        .where(dids.c.scope == bindparam("_scope"), dids.c.name == bindparam("_name"))
        .values(
            bytes=bindparam("_bytes"),
            length=bindparam("_length"),
            events=bindparam("_events"),
            updated_at=bindparam("_now"),
        )
    )
    now = utcnow()
    levels = recompute_levels(conn, changed)
    lock_dids(conn, (key for level in levels for key in level))
    if conn.dialect.name == "postgresql":
        for level in levels:
            _update_totals_pg(conn, level, now)
        return
    for level in levels:
        for chunk in _chunks(level):
            totals = dict.fromkeys(chunk, (0, 0, 0))
            query = (
                select(
                    link.c.scope,
                    link.c.name,
                    func.coalesce(func.sum(child.c.bytes), 0),
                    func.coalesce(func.sum(per_child_length), 0),
                    func.coalesce(func.sum(child.c.events), 0),
                )
                .select_from(
                    link.join(child, and_(child.c.scope == link.c.child_scope, child.c.name == link.c.child_name))
                )
                .where(keys_in(link.c.scope, link.c.name, chunk))
                .group_by(link.c.scope, link.c.name)
            )
            for scope, name, size, length, events in conn.execute(query):
                totals[DidKey(scope, name)] = (int(size), int(length), int(events))
            conn.execute(
                statement,
                [
                    {"_scope": k.scope, "_name": k.name, "_bytes": b, "_length": n, "_events": e, "_now": now}
                    for k, (b, n, e) in totals.items()
                ],
            )


def _existing_child_types(conn: Connection, parents: Sequence[DidKey]) -> dict[DidKey, set[str]]:
    """The distinct types of the children each parent already has (one grouped query per 500 parents)."""
    found: dict[DidKey, set[str]] = {}
    for chunk in _chunks(parents):
        query = (
            select(contents.c.scope, contents.c.name, contents.c.child_type)
            .where(keys_in(contents.c.scope, contents.c.name, chunk))
            .group_by(contents.c.scope, contents.c.name, contents.c.child_type)
        )
        for scope, name, child_type in conn.execute(query):
            found.setdefault(DidKey(scope, name), set()).add(child_type)
    return found


#: Intrinsic attributes a collection derives from its children; settable on files only.
DERIVED_COUNTERS = frozenset({"events"})


def counter_files(conn: Connection, keys: Sequence[DidKey]) -> list[DidKey]:
    """The DIDs whose derived counters a metadata write sets, checked to be files.

    FAILED_PRECONDITION (`DERIVED_ATTRIBUTE`) naming the first collection: its `events` is the sum
    of its children's and would be overwritten by the next recount. The caller holds the graph lock.
    """
    records = get_dids(conn, list(dict.fromkeys(keys)))
    for key in keys:
        record = records.get(key)
        if record is not None and record.did_type is not DidType.FILE:
            raise FailedPrecondition(
                f"{key} is a {record.did_type.name.lower()}: its events is the sum of its children's and cannot be set",
                reason="DERIVED_ATTRIBUTE",
                metadata={"did": str(key), "key": "events"},
            )
    return list(dict.fromkeys(keys))


def recompute_ancestors(conn: Connection, files: Sequence[DidKey]) -> None:
    """Recount every collection above files whose counters changed (the caller holds the graph lock)."""
    parents = parents_of(conn, files)
    if parents:
        _recompute(conn, parents)


def _attached(conn: Connection, parent: DidKey, child: DidKey) -> bool:
    """Whether `child` is attached to `parent` already."""
    found = conn.execute(
        select(contents.c.scope).where(
            contents.c.scope == parent.scope,
            contents.c.name == parent.name,
            contents.c.child_scope == child.scope,
            contents.c.child_name == child.name,
        )
    ).first()
    return found is not None


def attach(
    conn: Connection,
    attachments: Sequence[tuple[DidKey, DidKey]],
    created: Mapping[DidKey, DidType] | None = None,
) -> int:
    """Attach children to collections (spec §1 rules); all or nothing. Takes the graph lock.

    `created`: DIDs created earlier in this transaction, with their types (open, no children yet):
    they are not looked up again. The other DIDs are read in one set-based query; an attachment that
    exists already is refused by the primary key of `contents` (`bulk.insert_contents` names it).
    """
    if len(set(attachments)) != len(attachments):
        raise InvalidArgument.for_field("attachments", "an attachment is given twice", reason="DUPLICATE_ATTACHMENT")
    lock_graph(conn)  # before reading the graph: the cycle check must see every committed attachment
    known = created or {}
    earlier = [k for k in dict.fromkeys(k for pair in attachments for k in pair) if k not in known]
    records = require_dids(conn, earlier)
    types: dict[DidKey, DidType] = {**{k: r.did_type for k, r in records.items()}, **known}
    kinds_of: dict[DidKey, set[str]] = {}
    for index, (parent, child) in enumerate(attachments):
        parent_type, child_type = types[parent], types[child]
        if parent == child:
            raise InvalidArgument.for_field(
                f"attachments[{index}]", f"{parent} cannot contain itself", reason="SELF_ATTACHMENT"
            )
        if parent_type is DidType.FILE:
            raise FailedPrecondition(f"{parent} is a file and cannot contain anything", reason="NOT_A_COLLECTION")
        if parent not in known and not records[parent].is_open:
            if _attached(conn, parent, child):  # a repeated attach says so, closed or not (imports re-run)
                raise AlreadyExists(f"{child} is already attached to {parent}", reason="ATTACHMENT_EXISTS")
            raise FailedPrecondition(f"{parent} is closed", reason="COLLECTION_CLOSED", metadata={"did": str(parent)})
        if parent_type is DidType.DATASET and child_type is not DidType.FILE:
            raise FailedPrecondition(
                f"dataset {parent} can only contain files, not {child}", reason="INVALID_ATTACHMENT"
            )
        if parent_type is DidType.CONTAINER:
            if child_type is DidType.FILE:
                raise FailedPrecondition(f"container {parent} cannot contain file {child}", reason="INVALID_ATTACHMENT")
            kinds_of.setdefault(parent, set()).add(child_type.value)
    earlier_containers = sorted(p for p in kinds_of if p not in known)
    for parent, kinds in _existing_child_types(conn, earlier_containers).items():
        kinds_of[parent] |= kinds
    for parent, kinds in kinds_of.items():
        if len(kinds) > 1:
            raise FailedPrecondition(
                f"container {parent} cannot hold both datasets and containers", reason="INVALID_ATTACHMENT"
            )
    bulk.insert_contents(conn, attachments, [types[c].value for _, c in attachments])
    for parent, child in attachments:
        if types[child] is DidType.CONTAINER and child in ancestors(conn, [parent]):
            raise FailedPrecondition(f"attaching {child} to {parent} would make a cycle", reason="CYCLE")
    _recompute(conn, list(dict.fromkeys(p for p, _ in attachments)))
    return len(attachments)


def detach(conn: Connection, attachments: Sequence[tuple[DidKey, DidKey]]) -> int:
    """Detach children from collections; all or nothing (every ancestor's counters follow). Takes the graph lock."""
    if len(set(attachments)) != len(attachments):
        raise InvalidArgument.for_field("attachments", "an attachment is given twice", reason="DUPLICATE_ATTACHMENT")
    lock_graph(conn)
    records = require_dids(conn, [k for pair in attachments for k in pair])
    existing = child_types(conn, list({p for p, _ in attachments}))
    for parent, child in attachments:
        if child not in existing.get(parent, []):
            raise NotFound(f"{child} is not attached to {parent}", reason="ATTACHMENT_NOT_FOUND")
        if not records[parent].is_open:
            raise FailedPrecondition(f"{parent} is closed", reason="COLLECTION_CLOSED", metadata={"did": str(parent)})
    for parent, child in sorted(attachments):
        conn.execute(
            delete(contents).where(
                contents.c.scope == parent.scope,
                contents.c.name == parent.name,
                contents.c.child_scope == child.scope,
                contents.c.child_name == child.name,
            )
        )
    _recompute(conn, list(dict.fromkeys(p for p, _ in attachments)))
    return len(attachments)


def delete_dids(conn: Connection, keys: Sequence[DidKey]) -> int:
    """Delete DIDs and every attachment they take part in; recompute the parents' counters. Takes the graph lock."""
    lock_graph(conn)
    require_dids(conn, keys)
    count = len(keys)
    keys = sorted(set(keys))  # canonical order
    parents: list[DidKey] = []
    for chunk in _chunks(keys):
        condition = keys_in(contents.c.child_scope, contents.c.child_name, chunk)
        parents.extend(DidKey(*row) for row in conn.execute(select(contents.c.scope, contents.c.name).where(condition)))
        conn.execute(delete(contents).where(or_(condition, keys_in(contents.c.scope, contents.c.name, chunk))))
        conn.execute(delete(dids).where(keys_in(dids.c.scope, dids.c.name, chunk)))
    deleted = set(keys)
    parents = [p for p in dict.fromkeys(parents) if p not in deleted]
    if parents:
        _recompute(conn, parents)
    return count
