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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from didmeta.filters.model import Clause, Op, Quantifier
from didmeta.filters.regex import REGEX_FUNCTION, lowered, parse_regex, postgres_regex, python_regex
from didmeta.values import MetaValue, dump_json, format_timestamp, to_json, type_name


def negate(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """The complement of a condition that may be NULL (NULL counts as "does not match")."""
    return not_(func.coalesce(condition, false()))


def balanced(
    combine: Callable[..., ColumnElement[bool]], conditions: Sequence[ColumnElement[bool]]
) -> ColumnElement[bool]:
    """`and_`/`or_` of many conditions as a balanced tree of parenthesised halves.

    SQLite parses `a AND b AND c ...` into a tree as deep as the list is long and refuses trees deeper
    than 1,000 (it may also merge a CTE's condition into the outer query's, adding the depths); a
    balanced tree is log2(n) deep.
    """
    if len(conditions) <= 8:
        return combine(*conditions)
    middle = len(conditions) // 2
    halves = (balanced(combine, conditions[:middle]), balanced(combine, conditions[middle:]))
    return combine(*(_Parenthesised(half) for half in halves))


class _Parenthesised(ColumnElement[bool]):
    """A condition in parentheses that `and_`/`or_` do not flatten into their own list."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("element", InternalTraversal.dp_clauseelement)]

    def __init__(self, element: ColumnElement[bool]) -> None:
        self.element = element


@compiles(_Parenthesised)
def _render_parenthesised(element: _Parenthesised, compiler: Any, **kw: Any) -> str:
    return "(" + str(compiler.process(element.element, **kw)) + ")"


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


def regex_match(
    expr: ColumnElement[Any], op: Op, pattern_text: str, *, dialect: str, ignore_case: bool
) -> ColumnElement[bool]:
    """`expr` (text; NULL for a non-string) matches the pattern as a whole: `~` on PostgreSQL, the
    registered Python function on SQLite; case-insensitively both sides are lower-cased."""
    pattern = parse_regex(pattern_text)
    if op is Op.IREGEX or ignore_case:
        expr, pattern = lower(expr, dialect), lowered(pattern)
    if dialect == "postgresql":
        return typing.cast(ColumnElement[bool], expr.op("~")(postgres_regex(pattern)))
    matched: ColumnElement[Any] = getattr(func, REGEX_FUNCTION)(python_regex(pattern), expr)
    return matched == 1


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
    if clause.quantifier is not None:
        return false()  # a column never holds a list
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
        if len(value) > SMALL_IN_LIST:
            return _column_in(column, kind, value, dialect, ignore_case)
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
    if op in (Op.REGEX, Op.IREGEX):
        if kind != "string":
            return false()
        return regex_match(column, op, str(value), dialect=dialect, ignore_case=ignore_case)
    if clause.wildcard:
        return pattern_match(column, str(value), dialect=dialect, ignore_case=ignore_case)
    if kind == "string":
        return _string_compare(column, op, str(value), dialect, ignore_case)
    if kind == "bool" and op is not Op.EQ:
        return false()
    return _compare(column, op, value).self_group()


_NO_MATCH: Any = object()

#: An `in` list longer than this is one set-membership test instead of an OR of equalities: SQLite
#: refuses expression trees deeper than 1,000 nodes, and one condition per value costs compile time.
SMALL_IN_LIST = 32


def _column_in(
    column: ColumnElement[Any], kind: str, values: list[MetaValue], dialect: str, ignore_case: bool
) -> ColumnElement[bool]:
    """`column IN (...)`: the same matches as an OR of `column_condition` equalities, one per value."""
    coerced = [c for c in (_coerce_to_column(kind, v) for v in values) if c is not _NO_MATCH]
    if not coerced:
        return false()
    if kind == "bool":
        return column.in_(sorted(set(coerced)))
    if kind == "string":
        texts = sorted({str(c).lower() if ignore_case else str(c) for c in coerced})
        if ignore_case:
            return lower(column, dialect).in_(texts)
        return (column.collate("C") if dialect == "postgresql" else column).in_(texts)
    return column.in_(coerced)


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
        if clause.quantifier is not None:
            return self._quantified(clause, ignore_case)
        if op is Op.EXISTS:
            return self.present(key) if value else negate(self.present(key))
        if op is Op.NE:
            return negate(self.condition(Clause(key, Op.EQ, value, clause.wildcard), ignore_case))
        if op is Op.IN:
            assert isinstance(value, list)
            if len(value) > SMALL_IN_LIST:
                return self._in_set(key, value, ignore_case)
            return or_(*(self.condition(Clause(key, Op.EQ, v), ignore_case) for v in value))
        if op is Op.CONTAINS:
            return self._contains(key, value, ignore_case)
        if op is Op.PREFIX:
            return pattern_match(self.text(key), str(value), dialect=self.dialect, ignore_case=ignore_case, prefix=True)
        if op in (Op.REGEX, Op.IREGEX):
            return regex_match(self.text(key), op, str(value), dialect=self.dialect, ignore_case=ignore_case)
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

    # --- list operators: key.any / key.all / key.len --------------------------------------------
    def _quantified(self, clause: Clause, ignore_case: bool) -> ColumnElement[bool]:
        """`any`: some element compares true; `all`: none compares false (true on []); `len`: the length."""
        key, op, value = clause.key, clause.op, clause.value
        is_list = self.json_type(key) == "array"
        if clause.quantifier is Quantifier.LEN:
            if self.dialect == "sqlite":
                length = func.json_array_length(self.column, self._path(key))
            else:
                length = func.jsonb_array_length(case((is_list, self._field(self.column, key)), else_=None))
            return and_(is_list, _compare(length, op, value))
        elements, match = self._element_match(key, op, value, clause.wildcard, ignore_case)
        if clause.quantifier is Quantifier.ANY:
            return and_(is_list, exists(select(literal(1)).select_from(elements).where(match)))
        return and_(is_list, ~exists(select(literal(1)).select_from(elements).where(negate(match))))

    def _element_match(
        self, key: str, op: Op, value: MetaValue, wildcard: bool, ignore_case: bool
    ) -> tuple[Any, ColumnElement[bool]]:
        """The elements of the list under `key` as a table, and the condition one element must meet.

        An element is compared by the rules of a stored scalar (spec §4.3): numbers numerically,
        strings with strings, timestamps with `$ts` objects, bools by equality; anything else is false.
        """
        vtype = type_name(value)
        if self.dialect == "sqlite":
            each = func.json_each(self.column, self._path(key)).table_valued("type", "atom", "value")
            kind: ColumnElement[Any] = each.c.type
            atom = each.c.atom
            number = case((kind.in_(("integer", "real")), atom), else_=None)
            text = case((kind == "text", atom), else_=None)
            stamp = case((kind == "object", func.json_extract(each.c.value, '$."$ts"')), else_=None)
            flag: ColumnElement[bool] = kind == ("true" if value else "false")
        else:
            array = case((self.json_type(key) == "array", self._field(self.column, key)), else_=None)
            each = func.jsonb_array_elements(array).table_valued("value")
            element = type_coerce(each.c.value, JSONB)
            kind = func.jsonb_typeof(element)
            scalar_text = element.op("#>>")(literal_column("'{}'::text[]"))
            number = case((kind == "number", cast(scalar_text, Numeric)), else_=None)
            text = case((kind == "string", scalar_text), else_=None)
            stamp = case((kind == "object", self._field_text(element, "$ts")), else_=None)
            flag = and_(kind == "boolean", scalar_text == ("true" if value else "false"))
        if vtype in ("int", "double"):
            return each, _compare(number, op, value)
        if vtype == "string":
            assert isinstance(value, str)
            if wildcard:
                return each, pattern_match(text, value, dialect=self.dialect, ignore_case=ignore_case)
            return each, _string_compare(text, op, value, self.dialect, ignore_case)
        if vtype == "timestamp":
            assert isinstance(value, datetime)
            return each, _string_compare(stamp, op, format_timestamp(value), self.dialect, False)
        if vtype == "bool" and op is Op.EQ:
            return each, flag
        return each, false()

    def _elements(self, items: list[Any]) -> Any:
        """A one-column table (`value`) of the items of one bound JSON array: one parameter, any length."""
        document = literal(dump_json(items), String)
        if self.dialect == "postgresql":
            return func.jsonb_array_elements(cast(document, JSONB)).table_valued("value")
        return func.json_each(document).table_valued("value")

    def _elements_text(self, texts: list[str]) -> Any:
        if self.dialect == "postgresql":
            return func.jsonb_array_elements_text(cast(literal(dump_json(texts), String), JSONB)).table_valued("value")
        return self._elements(list(texts))

    def _in_set(self, key: str, values: list[MetaValue], ignore_case: bool) -> ColumnElement[bool]:
        """`key IN (...)` as set membership: the same matches as an OR of `_compare_scalar` equalities."""
        strings = sorted({v for v in values if isinstance(v, str)})
        others = [v for v in values if not isinstance(v, str)]
        conditions: list[ColumnElement[bool]] = []
        if self.dialect == "postgresql":
            # jsonb equality is containment's equality for scalars (numbers numerically, `$ts` objects whole).
            exact = [to_json(v) for v in others] + ([] if ignore_case else strings)
            if exact:
                elements = self._elements(exact)
                conditions.append(self._field(self.column, key).in_(select(elements.c.value)))
        else:
            numbers = [v for v in others if type_name(v) in ("int", "double")]
            if numbers:
                elements = self._elements(numbers)
                conditions.append(self.number(key).in_(select(elements.c.value)))
            stamps = sorted({format_timestamp(v) for v in others if isinstance(v, datetime)})
            if stamps:
                elements = self._elements_text(stamps)
                conditions.append(self.timestamp(key).in_(select(elements.c.value)))
            flags = sorted({"true" if v else "false" for v in others if isinstance(v, bool)})
            if flags:
                conditions.append(self.json_type(key).in_(flags))
            if strings and not ignore_case:
                elements = self._elements_text(strings)
                conditions.append(self.text(key).in_(select(elements.c.value)))
        if strings and ignore_case:
            elements = self._elements_text(sorted({v.lower() for v in strings}))
            conditions.append(lower(self.text(key), self.dialect).in_(select(elements.c.value)))
        return or_(*conditions) if conditions else false()

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
