"""New DIDs in bulk (LoadDids chunks, AddDids): validated, routed and turned into rows once per chunk.

The dispatcher hands a chunk of `NewDid`s to `NewDidsPlanner.plan`, which
* checks every DID's attributes and every value (the offending item is named: `dids[i].metadata.k`),
* decides the owner of each distinct key once per chunk (validity, reserved keys, owning plugin),
* builds the `dids` rows in (scope, name) order: intrinsic columns, then the columns of the
  relational plugins (DID_COLUMN's optimised columns, JSON's `meta` document), as driver values,
* sets aside the shares of external plugins (MONGO, ELASTIC, POSTGRES_JSON), checked by their
  `check_values` before anything is written; they write with their own bulk paths afterwards and
  register compensations in the unit of work,
* and the history records of the chunk.

Planning needs no database: LoadDids plans the next chunk while the previous one is written
(`Dispatcher.plan_load`, `Dispatcher.apply_load`). Writing is `catalog.insert_new_dids` (COPY via a
staging table on PostgreSQL, one executemany on SQLite; a DID that exists is found by the primary key,
not by a look-up per DID).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from didmeta.attributes import RESERVED
from didmeta.errors import FailedPrecondition, InvalidArgument
from didmeta.identifiers import DidKey, DidType, validate_key
from didmeta.plugins.base import MetadataPlugin, RelationalPlugin
from didmeta.plugins.did_column import DidColumnPlugin
from didmeta.server.history import Change
from didmeta.server.keys.registry import KeyRegistry
from didmeta.server.store import bulk, catalog
from didmeta.server.store.catalog import NewDidSpec
from didmeta.values import INT64_MAX, INT64_MIN, Metadata, MetaValue, check_value


@dataclass
class NewDid:
    """A DID to create with its initial metadata."""

    spec: NewDidSpec
    metadata: Metadata = field(default_factory=dict)


@dataclass
class PlannedDids:
    """A chunk of new DIDs ready to write."""

    keys: list[DidKey]
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]  # sorted by (scope, name)
    types: dict[DidKey, DidType]
    external: dict[MetadataPlugin, list[tuple[DidKey, Metadata]]]
    changes: list[Change]


def _scalar_ok(value: Any) -> bool:
    """The checks of `check_value` for the common scalar types, without building a field path."""
    kind = type(value)
    if kind is str:
        return "\x00" not in value
    if kind is int:
        return bool(INT64_MIN <= value <= INT64_MAX)
    if kind is float:
        return math.isfinite(value) and (value != 0.0 or math.copysign(1.0, value) > 0)  # -0.0: check_value
    return kind is bool or value is None


#: Position of each column of the base row of a new DID (catalog.NEW_DID_COLUMNS).
_BASE_INDEX = {column: index for index, column in enumerate(catalog.NEW_DID_COLUMNS)}


class NewDidsPlanner:
    """Validates and routes a chunk of new DIDs; knows the enabled plugins, in order."""

    def __init__(
        self,
        plugins: Sequence[MetadataPlugin],
        did_column: DidColumnPlugin,
        dialect: str,
        keys: KeyRegistry | None = None,
    ) -> None:
        self.keys = keys  # declared keys: their values coerced and their DID types checked
        self.plugins = list(plugins)
        self.did_column = did_column
        self.sqlite = dialect == "sqlite"
        self.dialect = dialect

    def _owner(self, key: str, where: str) -> MetadataPlugin:
        validate_key(key, where)
        if key in RESERVED:
            raise InvalidArgument.for_field(where, f"{key} is reserved and cannot be set", reason="RESERVED_KEY")
        for plugin in self.plugins:
            if plugin.manages_key(key):
                return plugin
        raise InvalidArgument.for_field(where, f"no enabled plugin manages the key {key!r}", reason="UNMANAGED_KEY")

    def plan(self, new_dids: Sequence[NewDid], now: Any, field: str = "dids") -> PlannedDids:
        """Everything to write for `new_dids`; INVALID_ARGUMENT naming the first bad item, before any write."""
        owners: dict[str, MetadataPlugin] = {}  # the chunk's routing: each distinct key once
        did_column = self.did_column
        planned: list[tuple[DidKey, tuple[Any, ...], dict[str, Any]]] = []
        external: dict[MetadataPlugin, list[tuple[DidKey, Metadata]]] = {}
        changes: list[Change] = []
        types: dict[DidKey, DidType] = {}
        plugin_columns: set[str] = set()
        declared = self.keys.all() if self.keys is not None else {}
        for index, new in enumerate(new_dids):
            spec = new.spec
            catalog.validate_file_attributes(spec, f"{field}[{index}]")
            metadata = new.metadata
            if declared and not declared.keys().isdisjoint(metadata):
                assert self.keys is not None
                metadata = self.keys.coerce(metadata, f"{field}[{index}].metadata")
                for key in declared.keys() & metadata.keys():
                    if metadata[key] is not None:
                        declared[key].check_type(spec.did_type, f"{field}[{index}].metadata.{key}")
            shares: dict[MetadataPlugin, dict[str, MetaValue]] = {}
            for key, given in metadata.items():
                owner = owners.get(key)
                if owner is None:
                    owner = owners[key] = self._owner(key, f"{field}[{index}].metadata.{key}")
                value = given if _scalar_ok(given) else check_value(given, f"{field}[{index}].metadata.{key}")
                share = shares.get(owner)
                if share is None:
                    share = shares[owner] = {}
                share[key] = value
            columns: dict[str, Any] = {}
            for owner, share in shares.items():
                if owner is did_column:
                    columns.update(did_column.column_values(share, f"{field}[{index}].metadata"))
                elif isinstance(owner, RelationalPlugin):
                    columns.update(owner.insert_values(share))
                else:
                    external.setdefault(owner, []).append((spec.key, share))
            base = catalog.new_did_row(spec, now, self.sqlite)
            intrinsic = columns.keys() & _BASE_INDEX.keys()  # settable intrinsics (events, guid, ...): in the base row
            if intrinsic:
                if spec.did_type is not DidType.FILE and not catalog.DERIVED_COUNTERS.isdisjoint(intrinsic):
                    raise FailedPrecondition(
                        f"{spec.key} is a {spec.did_type.name.lower()}: its events is the sum of its children's "
                        "and cannot be set",
                        reason="DERIVED_ATTRIBUTE",
                        metadata={"did": str(spec.key), "key": "events"},
                    )
                row = list(base)
                for column in intrinsic:
                    row[_BASE_INDEX[column]] = columns.pop(column)
                base = tuple(row)
            plugin_columns.update(columns)
            planned.append((spec.key, base, columns))
            types[spec.key] = spec.did_type
            changes.append(Change(spec.key, "add", new=dict(metadata) or None))
        for plugin, items in external.items():
            plugin.check_values(items)
        extra = tuple(sorted(plugin_columns))
        dialect = self.dialect
        planned.sort(key=lambda item: item[0])  # canonical order: concurrent loads do not deadlock
        rows = [base + tuple(bulk.driver_value(dialect, c, cols.get(c)) for c in extra) for _, base, cols in planned]
        keys = [spec_key for spec_key, _, _ in planned]
        return PlannedDids(keys, (*catalog.NEW_DID_COLUMNS, *extra), rows, types, external, changes)
