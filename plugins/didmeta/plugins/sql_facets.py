"""Facet aggregations in SQL: one `GROUP BY` over a key's stored values (SQLite and PostgreSQL).

Used by the relational plugins (DID_COLUMN, JSON) and by POSTGRES_JSON. A JSON document's values
are grouped by (stored JSON type, text of the value), so 5 and "5" stay apart; the rows are typed
back here. Numbers that are equal but written differently (5 and 5.0) may come back as two rows:
`didmeta.server.query.facets` merges them, as it merges the answers of every backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, String, func, literal_column, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from didmeta.plugins.base import ValueCounts
from didmeta.values import MetaValue, from_json, normalize_timestamp


def _sqlite_value(kind: str, value: Any) -> MetaValue:
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "integer":
        return int(value)
    if kind == "real":
        return float(value)
    if kind == "text":
        return str(value)
    return from_json(json.loads(value))  # object (a timestamp or a map), array


def _postgres_value(kind: str, value: str) -> MetaValue:
    if kind == "boolean":
        return value == "true"
    if kind == "number":
        return float(value) if ("." in value or "e" in value or "E" in value) else int(value)
    if kind == "string":
        return value
    return from_json(json.loads(value))  # object (a timestamp or a map), array


def json_value_counts(
    conn: Connection,
    table: FromClause,
    document: ColumnElement[Any],
    key: str,
    where: ColumnElement[bool],
    dialect: str,
) -> ValueCounts:
    """`key`'s values in the JSON `document` column over the rows of `table` satisfying `where`; one
    scan also counts the rows (`ValueCounts.rows`)."""
    decode: Callable[[str, Any], MetaValue]
    if dialect == "sqlite":
        path: ColumnElement[Any] = literal_column(f"'$.\"{key}\"'")
        kind: ColumnElement[Any] = func.json_type(document, path)
        text: ColumnElement[Any] = func.json_extract(document, path)
        decode = _sqlite_value
    else:
        jsonb = type_coerce(document, JSONB)
        kind = func.jsonb_typeof(type_coerce(jsonb.op("->")(literal_column(f"'{key}'")), JSONB))
        text = type_coerce(jsonb.op("->>")(literal_column(f"'{key}'")), String)
        decode = _postgres_value
    # No "key present" condition: the group of rows without the key (kind NULL, or a JSON null) counts
    # them, so the facet knows how many DIDs it looked at without a second scan.
    statement = (
        select(kind.label("kind"), text.label("value"), func.count().label("n"))
        .select_from(table)
        .where(where)
        .group_by(kind, text)
    )
    result, rows = ValueCounts(), 0
    for row_kind, value, count in conn.execute(statement):
        rows += int(count)
        if row_kind is None or row_kind == "null":
            continue
        result.present += int(count)
        decoded = decode(str(row_kind), value)
        if not isinstance(decoded, list | dict):
            result.values.append((decoded, int(count)))
    result.rows = rows
    return result


def column_value_counts(
    conn: Connection,
    table: FromClause,
    column: ColumnElement[Any],
    where: ColumnElement[bool],
    convert: Callable[[Any], MetaValue] | None = None,
) -> ValueCounts:
    """A typed column's values over the rows of `table` satisfying `where` (NULL is "lacking"); one scan
    also counts the rows (`ValueCounts.rows`)."""
    statement = select(column.label("value"), func.count().label("n")).select_from(table).where(where).group_by(column)
    result, rows = ValueCounts(), 0
    for value, count in conn.execute(statement):
        rows += int(count)
        if value is None:  # the rows lacking the key: counted in `rows` only
            continue
        typed = convert(value) if convert is not None else value
        if isinstance(typed, datetime):
            typed = normalize_timestamp(typed)
        result.values.append((typed, int(count)))
        result.present += int(count)
    result.rows = rows
    return result
