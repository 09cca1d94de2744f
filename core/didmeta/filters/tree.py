"""Boolean filter trees (spec §4.2): the string grammar with `not` and parentheses, and their expansion.

    expr    := and (";" and)*                  OR; empty operands are dropped
    and     := unary ("," unary)*              AND; empty operands are dropped
    unary   := "not" unary | "(" expr ")" | clause
    clause  := see `didmeta.filters.grammar`

`not` binds tighter than `,`, which binds tighter than `;`. Nested ANDs (a compound range is
two clauses) and nested ORs are flattened: `(a=1,b=2),c=3` is the flat group `a=1,b=2,c=3`.
`not` is a keyword when it is followed by a space or `(` and what follows is not an operator
(`not = 5` is a clause on the key `not`). Parentheses open a sub-expression only where a clause
could start; inside a clause they are text (`label=f(x)`), though an unmatched `)` ends the clause.

A tree is expanded into the normal form of the model (OR groups of AND clauses) by pushing `not`
down to the clauses (De Morgan) and distributing AND over OR. The expansion is bounded: past
`max_groups` OR groups it is refused (FILTER_TOO_LARGE) before it grows further.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from didmeta.errors import InvalidArgument
from didmeta.filters.grammar import RawClause, parse_clause

#: Nesting (parentheses and `not`) the parser accepts at all; the server's limit is usually lower.
MAX_PARSE_DEPTH = 100


@dataclass(frozen=True)
class RawNot:
    child: RawNode


@dataclass(frozen=True)
class RawAnd:
    children: tuple[RawNode, ...]


@dataclass(frozen=True)
class RawOr:
    children: tuple[RawNode, ...]


RawNode = RawClause | RawNot | RawAnd | RawOr
#: A clause of the expanded form and whether it is negated.
Literal = tuple[RawClause, bool]


def _invalid(description: str, reason: str = "INVALID_FILTER") -> InvalidArgument:
    return InvalidArgument.for_field("filter", description, reason=reason)


def too_deep(depth: int, limit: int, setting: str = "") -> InvalidArgument:
    where = f" (server setting {setting})" if setting else ""
    error = _invalid(f"the filter nests {depth} levels deep, at most {limit}{where}", "FILTER_TOO_LARGE")
    if setting:
        error.metadata.update({"limit": setting, "max": str(limit)})
    return error


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self) -> str:
        self._skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> RawNode | None:
        node = self._or()
        if self._peek() == ")":
            raise _invalid(f"unmatched ')' at character {self.pos + 1} of {self.text!r}")
        if self._peek():
            raise _invalid(f"',' or ';' expected at character {self.pos + 1} of {self.text!r}")
        return node

    def _or(self) -> RawNode | None:
        items = [self._and()]
        while self._peek() == ";":
            self.pos += 1
            items.append(self._and())
        present = [
            p for item in items if item is not None for p in (item.children if isinstance(item, RawOr) else (item,))
        ]
        if not present:
            return None
        return present[0] if len(present) == 1 else RawOr(tuple(present))

    def _and(self) -> RawNode | None:
        items = [self._unary()]
        while self._peek() == ",":
            self.pos += 1
            items.append(self._unary())
        present = [
            p for item in items if item is not None for p in (item.children if isinstance(item, RawAnd) else (item,))
        ]
        if not present:
            return None
        return present[0] if len(present) == 1 else RawAnd(tuple(present))

    def _at_not(self) -> bool:
        word = self.text[self.pos : self.pos + 3]
        after = self.text[self.pos + 3 : self.pos + 4]
        if word.lower() != "not" or not (after.isspace() or after == "("):
            return False
        rest = self.text[self.pos + 3 :].lstrip()
        return bool(rest) and rest[0] not in "=<>!.,;)"

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_PARSE_DEPTH:
            raise too_deep(self.depth, MAX_PARSE_DEPTH)

    def _unary(self) -> RawNode | None:
        char = self._peek()
        if char and self._at_not():
            start = self.pos
            self.pos += 3
            self._nested()
            child = self._unary()
            self.depth -= 1
            if child is None:
                raise _invalid(f"'not' at character {start + 1} has nothing to negate")
            return RawNot(child)
        if char == "(":
            start = self.pos
            self.pos += 1
            self._nested()
            node = self._or()
            self.depth -= 1
            if self._peek() != ")":
                raise _invalid(f"the '(' at character {start + 1} is not closed")
            self.pos += 1
            if node is None:
                raise _invalid(f"the parentheses at character {start + 1} are empty")
            return node
        return self._clause()

    def _clause(self) -> RawNode | None:
        start = self.pos
        in_quotes = False
        brackets = parens = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                in_quotes = not in_quotes
            elif not in_quotes:
                if char == "[":
                    brackets += 1
                elif char == "]":
                    brackets = max(brackets - 1, 0)
                elif char == "(" and not brackets:
                    parens += 1
                elif char == ")" and not brackets:
                    if not parens:
                        break
                    parens -= 1
                elif char in ",;" and not brackets:
                    break
            self.pos += 1
        if in_quotes:
            raise _invalid(f"unterminated double quote in {self.text[start:]!r}")
        text = self.text[start : self.pos].strip()
        if not text:
            return None
        clauses = parse_clause(text)
        return clauses[0] if len(clauses) == 1 else RawAnd(tuple(clauses))


def parse_filter_tree(text: str) -> RawNode | None:
    """The string grammar as a tree; None for a filter without clauses (it matches everything)."""
    return _Parser(text).parse()


def groups_node(groups: Sequence[Sequence[RawClause]]) -> RawNode | None:
    """OR groups of AND clauses (the flat form) as a tree."""
    ands: list[RawNode] = [g[0] if len(g) == 1 else RawAnd(tuple(g)) for g in groups if g]
    if not ands:
        return None
    return ands[0] if len(ands) == 1 else RawOr(tuple(ands))


def flat_groups(node: RawNode | None) -> list[list[RawClause]] | None:
    """The tree as OR groups of AND clauses if it is that shape already (no `not`, no nesting), else None."""
    if node is None:
        return []
    tops = node.children if isinstance(node, RawOr) else (node,)
    groups: list[list[RawClause]] = []
    for top in tops:
        items = top.children if isinstance(top, RawAnd) else (top,)
        if not all(isinstance(item, RawClause) for item in items):
            return None
        groups.append([item for item in items if isinstance(item, RawClause)])
    return groups


def depth(node: RawNode | None) -> int:
    """Nesting of and/or/not nodes (a lone clause: 0)."""
    if node is None or isinstance(node, RawClause):
        return 0
    if isinstance(node, RawNot):
        return 1 + depth(node.child)
    return 1 + max(depth(child) for child in node.children)


def clauses(node: RawNode | None) -> list[RawClause]:
    """Every clause of the tree, in order."""
    if node is None:
        return []
    if isinstance(node, RawClause):
        return [node]
    if isinstance(node, RawNot):
        return clauses(node.child)
    return [clause for child in node.children for clause in clauses(child)]


def expand(node: RawNode, max_groups: int, setting: str = "max_filter_groups") -> list[list[Literal]]:
    """The tree's normal form: OR groups of AND literals, `not` pushed down to the clauses."""

    def too_many() -> InvalidArgument:
        error = _invalid(
            f"the filter expands to more than {max_groups} OR groups (server setting {setting})", "FILTER_TOO_LARGE"
        )
        error.metadata.update({"limit": setting, "max": str(max_groups)})
        return error

    def walk(current: RawNode, negated: bool) -> list[list[Literal]]:
        if isinstance(current, RawClause):
            return [[(current, negated)]]
        if isinstance(current, RawNot):
            return walk(current.child, not negated)
        conjunction = isinstance(current, RawAnd) != negated  # De Morgan: not (a, b) is (not a; not b)
        parts = [walk(child, negated) for child in current.children]
        if not conjunction:
            result = [group for part in parts for group in part]
            if len(result) > max_groups:
                raise too_many()
            return result
        product: list[list[Literal]] = [[]]
        for part in parts:
            if len(product) * len(part) > max_groups:
                raise too_many()
            product = [left + right for left in product for right in part]
        return product

    return walk(node, False)
