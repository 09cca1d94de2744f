"""Print a filter in the string grammar (spec §4.2), so that parsing the text gives the filter back.

`format_filter` takes OR groups of (key, operator, value) clauses, the structured form's shape, and
writes every clause in the suffix form `key.op=value`; `format_tree` writes a boolean tree with
`not` and the parentheses the precedence needs (`not` over `,` over `;`). `format_normal_clause`
writes one clause of the normal form (negation and list operator included), as ExplainDids and
FreezeDids show it. A string is written bare when the grammar
reads it back as the same string, else in double quotes. Some filters have no text form: a string
holding `"` (the grammar has no escape), a quoted string holding `*` (quotes make `*` literal, but
in the structured form it is a wildcard), a map, a non-finite double. Those raise `Unprintable`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from didmeta.filters.grammar import RawClause
from didmeta.filters.model import Clause, Op, Quantifier
from didmeta.filters.tree import RawAnd, RawNode, RawNot, RawOr
from didmeta.values import MetaValue, format_timestamp, parse_text_value

#: Characters that end a bare value or split a filter: separators, brackets, operators, quotes.
_SPECIAL = frozenset(',;"[]<>=!()')


class Unprintable(ValueError):
    """The filter has no equivalent in the string grammar."""


def format_text(text: str) -> str:
    """A string value: bare if it reads back as itself, else double-quoted."""
    bare_ok = (
        text != ""
        and text == text.strip()
        and not any(char in _SPECIAL for char in text)
        and parse_text_value(text) == text
        and isinstance(parse_text_value(text), str)
    )
    if bare_ok:
        return text
    if '"' in text:
        raise Unprintable(f"a string holding a double quote has no text form: {text[:50]!r}")
    if "*" in text:
        raise Unprintable(f"a string needing quotes cannot hold a * wildcard: {text[:50]!r}")
    return f'"{text}"'


def format_filter_value(value: MetaValue) -> str:
    """One value (or a list of values) in the grammar's text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unprintable(f"{value!r} has no text form")
        return repr(value)
    if isinstance(value, str):
        return format_text(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, list):
        return "[" + ",".join(format_filter_value(item) for item in value) + "]"
    raise Unprintable("a map value has no text form")


_SYMBOLS = {Op.EQ: "=", Op.NE: "!=", Op.LT: "<", Op.LTE: "<=", Op.GT: ">", Op.GTE: ">="}


def _clause_form(key: str, op: Op, quantifier: Quantifier | None, value_text: str) -> str:
    if quantifier is not None:  # `key.any OP value`: a list operator takes a symbol, not a suffix
        symbol = _SYMBOLS.get(op)
        if symbol is None:
            raise Unprintable(f"{key}.{quantifier.value} has no {op.value} form")
        return f"{key}.{quantifier.value}{symbol}{value_text}"
    return f"{key}.{op.value}={value_text}"


def format_clause(key: str, op: Op, value: MetaValue, quantifier: Quantifier | None = None) -> str:
    if op in (Op.REGEX, Op.IREGEX) and isinstance(value, str):
        return _clause_form(key, op, quantifier, _format_pattern(value))
    return _clause_form(key, op, quantifier, format_filter_value(value))


def _format_literal(value: MetaValue) -> str:
    """A value whose `*` are literal characters: such a string is double-quoted (the grammar's literal)."""
    if isinstance(value, str) and "*" in value:
        if '"' in value:
            raise Unprintable(f"a string holding a double quote has no text form: {value[:50]!r}")
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ",".join(_format_literal(item) for item in value) + "]"
    return format_filter_value(value)


def format_normal_clause(clause: Clause) -> str:
    """A clause of the normal form (`parse_filter`'s `Clause`) in the grammar, its negation and list
    operator included: `not quality.in=[good,bad]`, `vals.any>5`. A wildcard is written bare, a
    literal `*` double-quoted, so parsing the text gives the same clause back."""
    if clause.wildcard or clause.op in (Op.REGEX, Op.IREGEX):
        text = format_clause(clause.key, clause.op, clause.value, clause.quantifier)
    else:
        text = _clause_form(clause.key, clause.op, clause.quantifier, _format_literal(clause.value))
    return f"not {text}" if clause.negated else text


def _format_pattern(text: str) -> str:
    """A regex: bare when it reads back as itself, else double-quoted (a `*` is no wildcard there)."""
    try:
        return format_text(text)
    except Unprintable:
        if '"' in text:
            raise
        return f'"{text}"'


def format_filter(groups: Iterable[Sequence[tuple[str, Op, MetaValue]]]) -> str:
    """OR groups of AND clauses as one expression (`;` between groups, `,` between clauses)."""
    return ";".join(",".join(format_clause(*clause) for clause in group) for group in groups if group)


def format_tree(node: RawNode | None) -> str:
    """A boolean tree as one expression; parsing it gives the same tree back (nested and/or flattened)."""
    if node is None:
        return ""
    if isinstance(node, RawClause):
        return format_clause(node.key, node.op, node.value, node.quantifier)
    if isinstance(node, RawNot):
        inner = format_tree(node.child)
        return f"not {inner}" if isinstance(node.child, RawClause | RawNot) else f"not ({inner})"
    if isinstance(node, RawAnd):
        return ",".join(f"({format_tree(c)})" if isinstance(c, RawOr) else format_tree(c) for c in node.children)
    return ";".join(format_tree(child) for child in node.children)
