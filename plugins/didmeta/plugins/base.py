"""The plugin interface every metadata backend implements (spec §3).

A plugin owns some metadata keys (`manages_key`) and stores their values for DIDs. The DIDs
themselves, the scopes and the attachments always live in the relational catalogue; plugins
store metadata only. Two families:

* `RelationalPlugin`: stores in the catalogue database itself (DID_COLUMN, JSON). It turns a
  filter clause into a SQL condition on the `dids` table, so the whole filter becomes one query.
* `ExternalPlugin`: stores elsewhere (MongoDB, Elasticsearch, an external PostgreSQL). It answers
  `select()` with the DIDs matching a conjunction of *positive* clauses, as a stream of batches
  sorted by (scope, name); the dispatcher intersects, subtracts and unites those sorted streams
  with the catalogue's, so `ne`, `exists=false` and cross-plugin filters behave the same everywhere.

All methods are synchronous and are called from worker threads. Writes happen inside a
`UnitOfWork`: relational plugins write through its open transaction; external plugins write at
once and register a compensation that restores the previous values if the request fails later.
Errors are raised as `didmeta.errors` classes (an unreachable backend is `Unavailable`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from didmeta.errors import InvalidArgument
from didmeta.filters.model import Clause, Op, Quantifier
from didmeta.identifiers import DidKey
from didmeta.values import Metadata, MetaValue

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection

    from didmeta.server.store.engine import Store

#: Feature names a plugin may declare; the dispatcher refuses (UNIMPLEMENTED) what it lacks.
OPERATOR_FEATURES: frozenset[str] = frozenset(op.value for op in Op) | frozenset(q.value for q in Quantifier)
ALL_FEATURES: frozenset[str] = OPERATOR_FEATURES | frozenset(
    {"wildcard", "ignore_case", "recursive", "resume", "exact_limit", "atomic_writes", "long_metadata"}
)


#: Options every plugin understands.
COMMON_OPTIONS: Mapping[str, str] = {"keys": "the metadata keys this plugin manages (default: every key)"}


@dataclass
class UnitOfWork:
    """One request's writes: the catalogue transaction plus compensations for external writes."""

    conn: Connection
    compensations: list[Callable[[], None]] = field(default_factory=list)

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Register an action that undoes an external write if the request fails afterwards."""
        self.compensations.append(undo)


@dataclass(frozen=True)
class ExternalQuery:
    """What `ExternalPlugin.select` must answer.

    scope_pattern: a scope, or a pattern with `*` (anchored); `*` means every scope.
    clauses: positive clauses only (EQ, LT, LTE, GT, GTE, EXISTS true, IN, CONTAINS, PREFIX),
             all on keys this plugin manages, all of which must hold.
    after: return only DIDs strictly after this one in (scope, name) order.
    """

    scope_pattern: str
    clauses: tuple[Clause, ...]
    ignore_case: bool = False
    after: DidKey | None = None
    batch_size: int = 1000


@dataclass
class ValueCounts:
    """One key's stored values over a set of DIDs (facets, `didmeta.server.query.facets`).

    values: scalar values (bool, int, float, str, datetime) with the number of DIDs holding each; a
            value may appear more than once (5 and 5.0, say): the caller merges them.
    present: the number of DIDs that have the key at all, lists and maps included.
    rows: the number of DIDs looked at, with or without the key, when the aggregation counted them
          (the one-statement SQL aggregations do: the facet then needs no separate count).
    """

    values: list[tuple[MetaValue, int]] = field(default_factory=list)
    present: int = 0
    rows: int | None = None

    def add(self, other: ValueCounts) -> None:
        self.values.extend(other.values)
        self.present += other.present
        self.rows = None if self.rows is None or other.rows is None else self.rows + other.rows


def count_values(metadata: Mapping[DidKey, Metadata], key: str) -> ValueCounts:
    """ValueCounts computed in Python from read metadata (the fallback of plugins without aggregation)."""
    counts: dict[tuple[str, MetaValue], int] = {}
    present = 0
    for values in metadata.values():
        value = values.get(key)
        if value is None:
            continue
        present += 1
        if not isinstance(value, list | dict):
            marker = (type(value).__name__, value)
            counts[marker] = counts.get(marker, 0) + 1
    return ValueCounts([(value, n) for (_, value), n in counts.items()], present)


class MetadataPlugin(abc.ABC):
    """Base of every plugin. Subclasses set `name` (upper case) and implement the abstract methods."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    features: ClassVar[frozenset[str]] = ALL_FEATURES
    #: The options this plugin understands (`plugin_options.<NAME>.<option>`), with their meaning.
    #: Anything else is refused when the plugin is built, so a misspelt option never goes unnoticed.
    options_spec: ClassVar[Mapping[str, str]] = {}

    def __init__(self, options: Mapping[str, Any], store: Store) -> None:
        known = {**COMMON_OPTIONS, **self.options_spec}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise InvalidArgument.for_field(
                f"plugin_options.{self.name}.{unknown[0]}",
                f"unknown option; {self.name} understands: {', '.join(sorted(known))}",
                reason="INVALID_PLUGIN_OPTION",
            )
        keys = options.get("keys")
        if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise InvalidArgument.for_field(
                f"plugin_options.{self.name}.keys", "a list of metadata keys", reason="INVALID_PLUGIN_OPTION"
            )
        self.options = dict(options)
        self.store = store

    def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare the backend (schema, indexes). May connect lazily instead."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def check_health(self) -> bool:
        """Whether the backend answers now."""
        return True

    def manages_key(self, key: str) -> bool:
        """Whether this plugin is willing to store `key`: the `keys` option if given, else every key."""
        keys = self.options.get("keys")
        return True if keys is None else key in keys

    def managed_keys(self) -> list[str]:
        """For ListPlugins: the keys it manages, or ["*"] for every key."""
        keys = self.options.get("keys")
        return ["*"] if keys is None else sorted(keys)

    def check_values(self, items: Sequence[tuple[DidKey, Metadata]]) -> None:  # noqa: B027 - optional hook
        """Refuse values this plugin cannot store, before anything is written (InvalidArgument)."""

    @abc.abstractmethod
    def get_many(self, conn: Connection, dids: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        """The metadata of each DID (DIDs without any may be left out)."""

    def value_counts(self, conn: Connection, key: str, dids: Sequence[DidKey]) -> ValueCounts:
        """`key`'s values over `dids` (facets). Backends override this with a native aggregation."""
        return count_values(self.get_many(conn, dids), key)

    @abc.abstractmethod
    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        """Upsert keys (shallow merge per key); a None value removes the key."""

    @abc.abstractmethod
    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        """Delete keys of one DID; NotFound (nothing deleted) if one of them is not set."""

    @abc.abstractmethod
    def delete_dids(self, uow: UnitOfWork, dids: Sequence[DidKey]) -> None:
        """Forget every key of these DIDs (called when DIDs are deleted)."""


class RelationalPlugin(MetadataPlugin):
    """A plugin whose data lives in the catalogue database (`didmeta.server.store.schema.dids`)."""

    def insert_values(self, metadata: Metadata) -> dict[str, Any]:
        """Columns of the `dids` row that carry `metadata` for a DID created in the same request."""
        return {}

    @abc.abstractmethod
    def condition(self, clause: Clause, ignore_case: bool) -> ColumnElement[bool]:
        """A SQL condition on the `dids` table that holds exactly for the DIDs matching `clause`."""

    def value_counts_where(self, conn: Connection, key: str, where: ColumnElement[bool]) -> ValueCounts:
        """`key`'s values over the rows of `dids` that satisfy `where`. The built-in plugins answer
        with one GROUP BY statement; this fallback reads the rows' metadata through `get_many`."""
        from sqlalchemy import select

        from didmeta.server.store.schema import dids as table

        keys = [DidKey(scope, name) for scope, name in conn.execute(select(table.c.scope, table.c.name).where(where))]
        result = ValueCounts()
        for start in range(0, len(keys), 5000):
            result.add(count_values(self.get_many(conn, keys[start : start + 5000]), key))
        return result

    def value_counts(self, conn: Connection, key: str, dids: Sequence[DidKey]) -> ValueCounts:
        from didmeta.server.store.catalog import keys_in
        from didmeta.server.store.schema import dids as table

        return self.value_counts_where(conn, key, keys_in(table.c.scope, table.c.name, dids))


@dataclass(frozen=True)
class QueryText:
    """What a backend will run for a query (ExplainDids): language, text, parameters, its own plan."""

    language: str
    query: str
    parameters: dict[str, str] = field(default_factory=dict)
    plan: str = ""


class ExternalPlugin(MetadataPlugin):
    """A plugin whose data lives in another system."""

    def explain_select(self, query: ExternalQuery) -> QueryText | None:
        """The query `select` would send for `query` (None: the plugin does not say)."""
        return None

    @abc.abstractmethod
    def select(self, query: ExternalQuery) -> Iterator[list[DidKey]]:
        """Batches of the DIDs matching every clause, sorted by (scope, name), strictly after `after`."""
