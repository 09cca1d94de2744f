"""The string filter grammar (spec §4.2) parsed into raw clauses.

    filter  := see `didmeta.filters.tree` (`;` OR, `,` AND, `not`, parentheses)
    clause  := key OP value                OP in <= >= == != > < =
             | key "." SUFFIX "=" value    SUFFIX in eq ne lt lte gt gte exists in not_in contains prefix
             | key "." LIST OP value       LIST in any all len (list-valued keys: `tags.any=calib*`)
             | value OP key OP value       both OPs < / <=, or both > / >=
    value   := text | "double-quoted text" | "[" value ("," value)* "]"  (lists for `in`)

Values are typed by `didmeta.values.parse_text_value`; a double-quoted value is a literal
string (no typing, no wildcard). Every error is INVALID_ARGUMENT naming the clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from didmeta.errors import InvalidArgument
from didmeta.filters.model import Op, Quantifier
from didmeta.values import MetaValue, parse_text_value

_SYMBOLS: tuple[tuple[str, Op], ...] = (
    ("<=", Op.LTE),
    (">=", Op.GTE),
    ("==", Op.EQ),
    ("!=", Op.NE),
    ("<", Op.LT),
    (">", Op.GT),
    ("=", Op.EQ),
)
_SYMBOL_OPS = dict(_SYMBOLS)
#: The symbols as one alternation, tried in `_SYMBOLS`' order at each position as `_tokenize`'s loop does.
_SYMBOL_SPLIT = re.compile("(" + "|".join(re.escape(symbol) for symbol, _ in _SYMBOLS) + ")")
_FLIPPED = {Op.LT: Op.GT, Op.LTE: Op.GTE, Op.GT: Op.LT, Op.GTE: Op.LTE}
_SUFFIXES = {op.value: op for op in Op}
_QUANTIFIERS = {q.value: q for q in Quantifier}


@dataclass(frozen=True)
class RawClause:
    """A clause as written: `literal` is true for a double-quoted value (a list: no unquoted `*` item)."""

    key: str
    op: Op
    value: MetaValue
    literal: bool
    text: str
    quantifier: Quantifier | None = None


def split_outside(text: str, separator: str) -> list[str]:
    """Split on a separator that is outside double quotes and brackets."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    depth = 0
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char == "[":
            depth += 1
        elif not in_quotes and char == "]":
            depth = max(depth - 1, 0)
        if char == separator and not in_quotes and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if in_quotes:
        raise InvalidArgument.for_field("filter", f"unterminated double quote in {text!r}", reason="INVALID_FILTER")
    parts.append("".join(current))
    return parts


def _tokenize(clause: str) -> list[tuple[str, str | Op]]:
    """Operands and operators of a clause, outside quotes."""
    if '"' not in clause:  # no quotes: the same split, by one regular expression (the common case)
        parts = _SYMBOL_SPLIT.split(clause)
        return [("op", _SYMBOL_OPS[part]) if i % 2 else ("operand", part) for i, part in enumerate(parts)]
    return _tokenize_by_char(clause)


def _tokenize_by_char(clause: str) -> list[tuple[str, str | Op]]:
    """`_tokenize`, character by character (operators inside double quotes are text)."""
    tokens: list[tuple[str, str | Op]] = []
    operand: list[str] = []
    i = 0
    in_quotes = False
    while i < len(clause):
        char = clause[i]
        if char == '"':
            in_quotes = not in_quotes
        if not in_quotes:
            for symbol, op in _SYMBOLS:
                if clause.startswith(symbol, i):
                    tokens.append(("operand", "".join(operand)))
                    tokens.append(("op", op))
                    operand = []
                    i += len(symbol)
                    break
            else:
                operand.append(char)
                i += 1
            continue
        operand.append(char)
        i += 1
    tokens.append(("operand", "".join(operand)))
    return tokens


def _parse_value(text: str, clause: str) -> tuple[MetaValue, bool]:
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        inner = stripped[1:-1].strip()
        parsed = [] if not inner else [_parse_value(item, clause) for item in split_outside(inner, ",")]
        items = [value for value, _ in parsed]
        # The list is literal unless an unquoted item carries a `*` (a wildcard, refused for `in`).
        literal = not any(isinstance(value, str) and "*" in value and not quoted for value, quoted in parsed)
        return items, literal
    if len(stripped) >= 2 and stripped[0] == '"' and stripped[-1] == '"':
        return stripped[1:-1], True
    if not stripped:
        raise InvalidArgument.for_field("filter", f"clause {clause!r} has an empty value", reason="INVALID_FILTER")
    return parse_text_value(stripped), False


def _split_key(key_text: str, clause: str) -> tuple[str, Op | Quantifier | None]:
    key = key_text.strip()
    if not key:
        raise InvalidArgument.for_field("filter", f"clause {clause!r} has no key", reason="INVALID_FILTER")
    if "." in key:
        base, _, suffix = key.rpartition(".")
        op: Op | Quantifier | None = _SUFFIXES.get(suffix.lower()) or _QUANTIFIERS.get(suffix.lower())
        if op is None or not base or "." in base:
            raise InvalidArgument.for_field(
                "filter", f"clause {clause!r}: unknown operator suffix {suffix!r}", reason="INVALID_FILTER"
            )
        return base, op
    return key, None


def _two_operators_problem(clause: str, operands: list[str]) -> str:
    """What is wrong with a clause of two operators that is not a compound range, said for that clause."""
    if not operands[1].strip():
        written = clause[len(operands[0]) : len(clause) - len(operands[2])].strip()
        return f"{written!r} is not an operator; the operators are = == != < <= > >="
    if set(_operators(clause)) <= {Op.EQ, Op.NE}:
        rest = clause[len(operands[0]) :]
        symbol = next(s for s in ("!=", "==", "=") if rest.startswith(s))
        quoted = f'{operands[0].strip()}{symbol}"{rest[len(symbol) :].strip()}"'
        return f"the value contains an operator: double-quote it ({quoted})"
    return "a compound range needs both operators '<'/'<=' or both '>'/'>=' (as in 1 < run_number <= 10)"


def _operators(clause: str) -> list[Op]:
    return [token for kind, token in _tokenize(clause) if kind == "op" and isinstance(token, Op)]


def parse_clause(clause: str) -> list[RawClause]:
    """One clause of the grammar to one raw clause (two for a compound range)."""
    tokens = _tokenize(clause)
    operators = [t[1] for t in tokens if t[0] == "op"]
    operands = [str(t[1]) for t in tokens if t[0] == "operand"]
    if len(operators) == 1:
        symbol_op = operators[0]
        assert isinstance(symbol_op, Op)
        key, suffix_op = _split_key(operands[0], clause)
        if isinstance(suffix_op, Quantifier):
            value, literal = _parse_value(operands[1], clause)
            return [RawClause(key, symbol_op, value, literal, clause, suffix_op)]
        if suffix_op is not None:
            if symbol_op is not Op.EQ:
                raise InvalidArgument.for_field(
                    "filter", f"clause {clause!r}: an operator suffix needs '='", reason="INVALID_FILTER"
                )
            symbol_op = suffix_op
        value, literal = _parse_value(operands[1], clause)
        return [RawClause(key, symbol_op, value, literal, clause)]
    if len(operators) == 2:
        first, second = operators
        assert isinstance(first, Op) and isinstance(second, Op)
        lower_side = {first, second} <= {Op.LT, Op.LTE}
        upper_side = {first, second} <= {Op.GT, Op.GTE}
        if not (lower_side or upper_side):
            raise InvalidArgument.for_field(
                "filter", f"clause {clause!r}: {_two_operators_problem(clause, operands)}", reason="INVALID_FILTER"
            )
        key, suffix_op = _split_key(operands[1], clause)
        if isinstance(suffix_op, Op):
            raise InvalidArgument.for_field(
                "filter",
                f"clause {clause!r}: no operator suffix in a compound range",
                reason="INVALID_FILTER",
            )
        low, low_literal = _parse_value(operands[0], clause)
        high, high_literal = _parse_value(operands[2], clause)
        return [
            RawClause(key, _FLIPPED[first], low, low_literal, clause, suffix_op),
            RawClause(key, second, high, high_literal, clause, suffix_op),
        ]
    if not operators:
        raise InvalidArgument.for_field("filter", f"clause {clause!r} has no operator", reason="INVALID_FILTER")
    raise InvalidArgument.for_field("filter", f"clause {clause!r} has too many operators", reason="INVALID_FILTER")
