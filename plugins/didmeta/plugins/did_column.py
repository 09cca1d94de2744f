"""DID_COLUMN: intrinsic attributes and Rucio's optimised columns of the `dids` table (always first)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, case, null, select, update

from didmeta.attributes import (
    COLLECTION_ONLY,
    INTRINSIC,
    LIFETIME_KEY,
    OPTIMISED,
    SETTABLE_INTRINSIC,
    TYPE_KEYS,
    column_kind,
)
from didmeta.errors import FailedPrecondition, InvalidArgument, NotFound
from didmeta.filters.model import Clause
from didmeta.identifiers import DidKey, DidType
from didmeta.plugins.base import RelationalPlugin, UnitOfWork, ValueCounts
from didmeta.plugins.sql_conditions import column_condition, naive_utc
from didmeta.plugins.sql_facets import column_value_counts
from didmeta.server.store.catalog import keys_in
from didmeta.server.store.schema import dids
from didmeta.values import Metadata, MetaValue, normalize_timestamp, parse_timestamp_text, type_name

_TYPE_NAMES = {t.value: t.name for t in DidType}
_WRITABLE = frozenset(OPTIMISED) | SETTABLE_INTRINSIC | {LIFETIME_KEY}
_READ_COLUMNS = ["scope", "name", "did_type", *INTRINSIC, *OPTIMISED]
_FILTER_KINDS = {"name": "string", "scope": "string", **INTRINSIC, **OPTIMISED}
_INT_COLUMNS = frozenset(key for key in _WRITABLE if column_kind(key) == "int")
_STRING_COLUMNS = frozenset(key for key in _WRITABLE if column_kind(key) == "string")


#: The columns `row_metadata` reads, in order (also the point reads' select list, server/point.py).
READ_COLUMNS: tuple[str, ...] = tuple(_READ_COLUMNS)


def row_metadata(row: Sequence[Any]) -> Metadata:
    """The DID_COLUMN metadata of one `dids` row of READ_COLUMNS (values as SQLAlchemy returns them)."""
    values = dict(zip(_READ_COLUMNS, row, strict=True))
    metadata: Metadata = {
        "scope": values.pop("scope"),
        "name": values.pop("name"),
        "type": _TYPE_NAMES[values.pop("did_type")],
    }
    is_file = metadata["type"] == DidType.FILE.name
    for column, value in values.items():
        if value is not None and not (is_file and column in COLLECTION_ONLY):
            metadata[column] = column_metadata_value(value)
    return metadata


def column_metadata_value(value: Any) -> MetaValue:
    """A column's value (not None, as SQLAlchemy returns it) as `row_metadata` gives it."""
    return normalize_timestamp(value) if isinstance(value, datetime) else _aware(value)


def _aware(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else value


def _expiry(lifetime: float, where: str) -> datetime:
    """Now plus `lifetime` seconds, as stored; INVALID_ARGUMENT when it leaves years 1-9999."""
    try:
        return naive_utc(datetime.now(UTC) + timedelta(seconds=lifetime))
    except OverflowError:
        raise InvalidArgument.for_field(
            where, "lifetime out of range: the expiry must fall in years 1-9999", reason="INVALID_VALUE"
        ) from None


class DidColumnPlugin(RelationalPlugin):
    """Columns of the DID table; owns the optimised keys and the settable intrinsic attributes."""

    name = "DID_COLUMN"
    description = "Intrinsic attributes and the optimised physics columns of the DID table"

    def manages_key(self, key: str) -> bool:
        return key in _WRITABLE

    def managed_keys(self) -> list[str]:
        return sorted(_WRITABLE)

    def filter_kind(self, key: str) -> str | None:
        """The column type of a filterable key of the DID table (None: not a column)."""
        return _FILTER_KINDS.get(key)

    def facet_kind(self, key: str) -> str | None:
        """Like filter_kind, and `type`/`did_type` (the DID type's name) can be faceted too."""
        return "string" if key in TYPE_KEYS else self.filter_kind(key)

    # --- writes -----------------------------------------------------------------------------
    def _column_values(self, metadata: Metadata, field: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in metadata.items():
            # The common cases first, without building the field path (bulk loads).
            if (type(value) is int and key in _INT_COLUMNS) or (
                isinstance(value, str) and key in _STRING_COLUMNS and len(value) <= 255
            ):
                values[key] = value
                continue
            where = f"{field}.{key}"
            if key == LIFETIME_KEY:
                if value is None:
                    values["expired_at"] = None
                elif type_name(value) in ("int", "double") and not isinstance(value, bool):
                    assert isinstance(value, int | float)
                    values["expired_at"] = _expiry(float(value), where)
                else:
                    raise InvalidArgument.for_field(
                        where, "lifetime takes seconds (a number) or null", reason="INVALID_VALUE"
                    )
                continue
            values[key] = self._coerce(key, value, where)
        return values

    @staticmethod
    def _coerce(key: str, value: MetaValue, where: str) -> Any:
        kind = column_kind(key)
        vtype = type_name(value)
        if value is None:
            return None
        if kind == "int" and vtype == "int":
            return value
        if kind == "string" and vtype in ("string", "int"):
            text = str(value)
            if len(text) > 255:
                raise InvalidArgument.for_field(where, "at most 255 characters", reason="INVALID_VALUE")
            return text
        if kind == "bool" and vtype == "bool":
            return value
        if kind == "timestamp" and isinstance(value, datetime):
            return naive_utc(value)
        if kind == "timestamp" and isinstance(value, str):
            parsed = parse_timestamp_text(value)
            if parsed is not None:
                return naive_utc(parsed)
        raise InvalidArgument.for_field(where, f"{key} takes a {kind} value, not a {vtype}", reason="INVALID_VALUE")

    def column_values(self, metadata: Metadata, field: str) -> dict[str, Any]:
        """The column values of these keys (`lifetime` as `expired_at`); INVALID_ARGUMENT naming `field`."""
        return self._column_values(metadata, field)

    def check_columns(self, metadata: Metadata, field: str) -> None:
        """Refuse values its columns cannot hold; `field` is the request path of `metadata`."""
        self._column_values({k: v for k, v in metadata.items() if self.manages_key(k)}, field)

    def insert_values(self, metadata: Metadata) -> dict[str, Any]:
        return self._column_values(metadata, "metadata")

    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        now = naive_utc(datetime.now(UTC))
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for did, metadata in sorted(items, key=lambda item: item[0]):  # canonical (scope, name) order
            values = self._column_values(metadata, f"metadata[{did}]")
            if values:
                by_columns[tuple(sorted(values))].append({"_scope": did.scope, "_name": did.name, **values})
        for columns, rows in by_columns.items():
            statement = (
                update(dids)
                .where(dids.c.scope == bindparam("_scope"), dids.c.name == bindparam("_name"))
                .values({c: bindparam(c) for c in columns} | {"updated_at": now})
            )
            uow.conn.execute(statement, rows)

    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        columns: list[str] = []
        for key in keys:
            if key in INTRINSIC:
                raise FailedPrecondition(
                    f"{key} is an intrinsic attribute of {did} and cannot be deleted",
                    reason="INTRINSIC_KEY",
                    metadata={"key": key},
                )
            columns.append("expired_at" if key == LIFETIME_KEY else key)
        row = uow.conn.execute(
            select(*(dids.c[c] for c in columns)).where(dids.c.scope == did.scope, dids.c.name == did.name)
        ).one()
        for key, value in zip(keys, row, strict=True):
            if value is None:
                raise NotFound(f"key {key!r} is not set on {did}", reason="KEY_NOT_FOUND", metadata={"key": key})
        uow.conn.execute(
            update(dids).where(dids.c.scope == did.scope, dids.c.name == did.name).values(dict.fromkeys(columns))
        )

    def delete_dids(self, uow: UnitOfWork, dids_: Sequence[DidKey]) -> None:
        """Nothing to do: the columns go with the catalogue row."""

    # --- reads ------------------------------------------------------------------------------
    def get_many(self, conn: Connection, dids_: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        result: dict[DidKey, Metadata] = {}
        columns = [dids.c[c] for c in _READ_COLUMNS]
        for start in range(0, len(dids_), 500):
            chunk = dids_[start : start + 500]
            rows = conn.execute(select(*columns).where(keys_in(dids.c.scope, dids.c.name, chunk)))
            for row in rows:
                metadata = row_metadata(row)
                result[DidKey(row[0], row[1])] = metadata
        return result

    def value_counts_where(self, conn: Connection, key: str, where: ColumnElement[bool]) -> ValueCounts:
        if key in TYPE_KEYS:
            return column_value_counts(conn, dids, dids.c.did_type, where, lambda t: _TYPE_NAMES[t])
        kind = _FILTER_KINDS[key]
        convert = bool if kind == "bool" else None  # SQLite may return 0/1
        return column_value_counts(conn, dids, _filter_column(key), where, convert)

    def condition(self, clause: Clause, ignore_case: bool) -> ColumnElement[bool]:
        kind = _FILTER_KINDS[clause.key]
        return column_condition(
            _filter_column(clause.key), kind, clause, dialect=self.store.dialect, ignore_case=ignore_case
        )


def _filter_column(key: str) -> ColumnElement[Any]:
    """The column a filter compares; a collection-only attribute is NULL (absent) for a file."""
    if key in COLLECTION_ONLY:
        return case((dids.c.did_type == DidType.FILE.value, null()), else_=dids.c[key])
    return dids.c[key]
