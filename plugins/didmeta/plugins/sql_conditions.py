"""Filter clauses as SQL conditions on the `dids` table, for SQLite and PostgreSQL.

Two storage shapes share the typing rules of spec §4.3:
* typed columns (`column_condition`): the column's type is fixed, so a filter value of another
  type simply does not match (numbers compare numerically; an int filter value on a string
  column is compared as its text, the one lossless coercion);
* the JSON document (`JsonConditions`): each clause checks the stored JSON type first, so mixed
  data never makes a query fail.
Negative operators are the exact complement of their positive forms: `NOT COALESCE(cond, FALSE)`.
Wildcards are anchored: GLOB on SQLite (case-sensitive, index-friendly), LIKE with escapes on
PostgreSQL; `_`, `%`, `?`, `[` are literal.
"""

from __future__ import annotations

import operator
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from didmeta.filters.model import Clause, Op
from didmeta.values import MetaValue, format_timestamp, to_json, type_name


def negate(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """The complement of a condition that may be NULL (NULL counts as "does not match")."""
    return not_(func.coalesce(condition, false()))


_GLOB_ESCAPES = {"?": "[?]", "[": "[[]", "*": "[*]"}


def glob_pattern(value: str, *, star_is_wildcard: bool) -> str:
    """Text as an anchored SQLite GLOB pattern: every GLOB character literal except, if asked, `*`."""
    return "".join(char if (char == "*" and star_is_wildcard) else _GLOB_ESCAPES.get(char, char) for char in value)


def like_pattern(value: str, wildcard: bool) -> str:
    """A `*` wildcard (or a prefix when not `wildcard`) as a LIKE pattern with `\\` escapes."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%") if wildcard else escaped


def lower(expr: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """Unicode lower-casing, the same as Python's `str.lower` for the values compared with it.

    PostgreSQL lower-cases by the collation of its argument (only ASCII under "C"), so the ICU root
    collation is named; SQLite's built-in `lower` is ASCII-only, so the store registers Python's.
    """
    if dialect == "postgresql":
        return func.lower(expr.collate("und-x-icu")).collate("C")
    return func.lower(expr)


def pattern_match(
    expr: ColumnElement[Any], value: str, *, dialect: str, ignore_case: bool, prefix: bool = False
) -> ColumnElement[bool]:
    """`expr` matches the `*` wildcard (anchored) or, with prefix, starts with `value`."""
    if ignore_case:
        expr, value = lower(expr, dialect), value.lower()
    if dialect == "sqlite":
        if prefix:
            return expr.op("GLOB")(glob_pattern(value, star_is_wildcard=False) + "*")
        return expr.op("GLOB")(glob_pattern(value, star_is_wildcard=True))
    if prefix:
        return expr.like(like_pattern(value, wildcard=False) + "%", escape="\\")
    return expr.like(like_pattern(value, wildcard=True), escape="\\")


def _string_compare(
    expr: ColumnElement[Any], op: Op, value: str, dialect: str, ignore_case: bool
) -> ColumnElement[bool]:
    if ignore_case:
        expr, value = lower(expr, dialect), value.lower()
    elif dialect == "postgresql":
        expr = expr.collate("C")
    return _compare(expr, op, value)


def _compare(expr: ColumnElement[Any], op: Op, value: Any) -> ColumnElement[bool]:
    comparisons: dict[Op, Callable[[Any, Any], Any]] = {
        Op.EQ: operator.eq,
        Op.LT: operator.lt,
        Op.LTE: operator.le,
        Op.GT: operator.gt,
        Op.GTE: operator.ge,
    }
    return typing.cast(ColumnElement[bool], comparisons[op](expr, value))


def naive_utc(value: datetime) -> datetime:
    """A timestamp as stored in a DateTime column: naive, in UTC."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def column_condition(
    column: ColumnElement[Any], kind: str, clause: Clause, *, dialect: str, ignore_case: bool
) -> ColumnElement[bool]:
    """A clause on a typed column (kind: int, string, bool, timestamp)."""
    op, value = clause.op, clause.value
    if op is Op.EXISTS:
        return column.is_not(None) if value else column.is_(None)
    if op is Op.NE:
        return negate(
            column_condition(
                column,
                kind,
                Clause(clause.key, Op.EQ, value, clause.wildcard),
                dialect=dialect,
                ignore_case=ignore_case,
            )
        )
    if op is Op.IN:
        assert isinstance(value, list)
        return or_(
            *(
                column_condition(column, kind, Clause(clause.key, Op.EQ, v), dialect=dialect, ignore_case=ignore_case)
                for v in value
            )
        )
    if op is Op.CONTAINS:
        return false()
    value = _coerce_to_column(kind, value)
    if value is _NO_MATCH:
        return false()
    if op is Op.PREFIX:
        return pattern_match(column, str(value), dialect=dialect, ignore_case=ignore_case, prefix=True)
    if clause.wildcard:
        return pattern_match(column, str(value), dialect=dialect, ignore_case=ignore_case)
    if kind == "string":
        return _string_compare(column, op, str(value), dialect, ignore_case)
    if kind == "bool" and op is not Op.EQ:
        return false()
    return _compare(column, op, value).self_group()


_NO_MATCH: Any = object()


def _coerce_to_column(kind: str, value: MetaValue) -> Any:
    vtype = type_name(value)
    if kind == "int":
        return value if vtype in ("int", "double") else _NO_MATCH
    if kind == "string":
        if vtype == "string":
            return value
        return str(value) if vtype == "int" else _NO_MATCH
    if kind == "bool":
        return value if vtype == "bool" else _NO_MATCH
    if kind == "timestamp":
        return naive_utc(value) if isinstance(value, datetime) else _NO_MATCH
    raise AssertionError(kind)


class JsonConditions:
    """Typed conditions on the JSON metadata column, for one dialect."""

    def __init__(self, column: ColumnElement[Any], dialect: str) -> None:
        # The catalogue's column is JSON with a JSONB variant: use JSONB's operators on PostgreSQL.
        self.column = type_coerce(column, JSONB) if dialect == "postgresql" else column
        self.dialect = dialect

    # --- accessors -------------------------------------------------------------------------
    # Keys are rendered as SQL literals, not bound parameters, so that a query's expression is the
    # same text as an expression index on it (see JsonColumnPlugin's `indexed_keys`). Keys and the
    # `$ts` tag match `[A-Za-z_$][A-Za-z0-9_-]*`, so the literal needs no escaping.
    def _path(self, key: str, *more: str) -> ColumnElement[Any]:
        return literal_column("'$." + ".".join(f'"{part}"' for part in (key, *more)) + "'")

    def _field(self, document: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        """`document -> 'key'` (JSONB)."""
        return type_coerce(document.op("->")(literal_column(f"'{key}'")), JSONB)

    def _field_text(self, document: ColumnElement[Any], key: str) -> ColumnElement[Any]:
        """`document ->> 'key'` (text)."""
        return type_coerce(document.op("->>")(literal_column(f"'{key}'")), String)

    def json_type(self, key: str) -> ColumnElement[Any]:
        """The stored JSON type of a key (SQLite and PostgreSQL name the types differently)."""
        if self.dialect == "sqlite":
            return func.json_type(self.column, self._path(key))
        return func.jsonb_typeof(self._field(self.column, key))

    def number(self, key: str) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            return case(
                (
                    self.json_type(key).in_(("integer", "real")),
                    func.json_extract(self.column, self._path(key)),
                ),
                else_=None,
            )
        return case((self.json_type(key) == "number", cast(self._field_text(self.column, key), Numeric)), else_=None)

    def text(self, key: str) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            return case((self.json_type(key) == "text", func.json_extract(self.column, self._path(key))), else_=None)
        return case((self.json_type(key) == "string", self._field_text(self.column, key)), else_=None)

    def timestamp(self, key: str) -> ColumnElement[Any]:
        if self.dialect == "sqlite":
            path = self._path(key, "$ts")
            return case(
                (
                    and_(self.json_type(key) == "object", func.json_type(self.column, path) == "text"),
                    func.json_extract(self.column, path),
                ),
                else_=None,
            )
        return case(
            (self.json_type(key) == "object", self._field_text(self._field(self.column, key), "$ts")), else_=None
        )

    def present(self, key: str) -> ColumnElement[bool]:
        kind = self.json_type(key)
        return and_(kind.is_not(None), kind != "null")

    # --- clauses ---------------------------------------------------------------------------
    def condition(self, clause: Clause, ignore_case: bool) -> ColumnElement[bool]:
        op, key, value = clause.op, clause.key, clause.value
        if op is Op.EXISTS:
            return self.present(key) if value else negate(self.present(key))
        if op is Op.NE:
            return negate(self.condition(Clause(key, Op.EQ, value, clause.wildcard), ignore_case))
        if op is Op.IN:
            assert isinstance(value, list)
            return or_(*(self.condition(Clause(key, Op.EQ, v), ignore_case) for v in value))
        if op is Op.CONTAINS:
            return self._contains(key, value, ignore_case)
        if op is Op.PREFIX:
            return pattern_match(self.text(key), str(value), dialect=self.dialect, ignore_case=ignore_case, prefix=True)
        if clause.wildcard:
            return pattern_match(self.text(key), str(value), dialect=self.dialect, ignore_case=ignore_case)
        return self._compare_scalar(key, op, value, ignore_case)

    def _compare_scalar(self, key: str, op: Op, value: MetaValue, ignore_case: bool) -> ColumnElement[bool]:
        vtype = type_name(value)
        if self.dialect == "postgresql" and op is Op.EQ and not (ignore_case and vtype == "string"):
            return self.column.contains(type_coerce({key: to_json(value)}, JSONB))
        if vtype in ("int", "double"):
            return _compare(self.number(key), op, value)
        if vtype == "string":
            assert isinstance(value, str)
            return _string_compare(self.text(key), op, value, self.dialect, ignore_case)
        if vtype == "timestamp":
            assert isinstance(value, datetime)
            return _string_compare(self.timestamp(key), op, format_timestamp(value), self.dialect, False)
        if vtype == "bool":
            if op is not Op.EQ:
                return false()
            if self.dialect == "sqlite":
                return self.json_type(key) == ("true" if value else "false")
            return self._field(self.column, key) == type_coerce(value, JSONB)
        return false()

    def _contains(self, key: str, value: MetaValue, ignore_case: bool) -> ColumnElement[bool]:
        vtype = type_name(value)
        if self.dialect == "postgresql":
            if not (ignore_case and vtype == "string"):
                return self.column.contains(type_coerce({key: [to_json(value)]}, JSONB))
            element = func.jsonb_array_elements(
                case((self.json_type(key) == "array", self._field(self.column, key)), else_=None)
            ).table_valued("value")
            return exists(
                select(literal(1))
                .select_from(element)
                .where(
                    func.jsonb_typeof(element.c.value) == "string",
                    lower(element.c.value.op("#>>")(literal_column("'{}'::text[]")), self.dialect)
                    == str(value).lower(),
                )
            )
        each = func.json_each(self.column, self._path(key)).table_valued("type", "atom", "value")
        if vtype in ("int", "double"):
            match = and_(each.c.type.in_(("integer", "real")), each.c.atom == value)
        elif vtype == "string":
            atom: ColumnElement[Any] = each.c.atom
            text_value = str(value)
            if ignore_case:
                atom, text_value = lower(atom, self.dialect), text_value.lower()
            match = and_(each.c.type == "text", atom == text_value)
        elif vtype == "bool":
            match = each.c.type == ("true" if value else "false")
        elif vtype == "timestamp":
            assert isinstance(value, datetime)
            match = and_(
                each.c.type == "object",
                func.json_extract(each.c.value, '$."$ts"') == format_timestamp(value),
            )
        else:
            return false()
        return and_(
            self.json_type(key) == "array",
            exists(select(literal(1)).select_from(each).where(match)),
        )
