"""The filter model (spec §4.1): OR groups of AND clauses, after normalisation.

A normalised filter has no `type`, `created_after`/`created_before`, `*`-only or null clauses
left: those become `Group.types` and EXISTS / range clauses. Plugins only ever see this form.
A boolean tree (`not`, parentheses, the wire `tree`) is expanded into this form: `not` is pushed
down to the clauses, where it is the clause's complement (`Clause.negated`; `not eq` is `ne`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from didmeta.identifiers import DidType
from didmeta.values import MetaValue


class Op(enum.Enum):
    """Clause operators; the value is the suffix form used in the string grammar (`run.gte=5`)."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    EXISTS = "exists"
    IN = "in"
    CONTAINS = "contains"
    PREFIX = "prefix"
    NOT_IN = "not_in"  # the complement of IN; normalised to a negated IN clause
    REGEX = "regex"  # the whole string matches a pattern of the subset (didmeta.filters.regex)
    IREGEX = "iregex"  # the same, case-insensitively

    @property
    def is_ordering(self) -> bool:
        return self in ORDERING_OPS


ORDERING_OPS = frozenset({Op.LT, Op.LTE, Op.GT, Op.GTE})


class Quantifier(enum.Enum):
    """How a clause reads a list-valued key (`tags.any=x`, `energies.all>5`, `tags.len>=2`).

    ANY: some element compares true; ALL: every element does (true for an empty list); LEN: the
    list's length compares true. A key that does not hold a list matches none of them.
    """

    ANY = "any"
    ALL = "all"
    LEN = "len"


@dataclass(frozen=True)
class Clause:
    """`key op value`. `wildcard` marks an EQ/NE string value whose `*` match any run of characters.

    `negated`: the clause matches exactly the DIDs the positive clause does not match (a DID lacking
    the key included). EQ, NE and EXISTS are never negated: their complements are NE, EQ, EXISTS.
    """

    key: str
    op: Op
    value: MetaValue
    wildcard: bool = False
    negated: bool = False
    quantifier: Quantifier | None = None

    def describe(self) -> str:
        key = self.key if self.quantifier is None else f"{self.key}.{self.quantifier.value}"
        return ("not " if self.negated else "") + f"{key}.{self.op.value}={self.value!r}"

    def positive(self) -> Clause:
        """The clause without its negation."""
        return Clause(self.key, self.op, self.value, self.wildcard, quantifier=self.quantifier)


@dataclass(frozen=True)
class Group:
    """A conjunction of clauses, restricted to `types` (None: the request's type selector)."""

    clauses: tuple[Clause, ...] = ()
    types: frozenset[DidType] | None = None

    def without_name(self) -> Group:
        """The same group without its `name` clauses (used for descendants in recursive listings)."""
        return Group(tuple(c for c in self.clauses if c.key != "name"), self.types)


@dataclass(frozen=True)
class Filter:
    """A disjunction of groups; no groups means "match everything"."""

    groups: tuple[Group, ...] = field(default_factory=tuple)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(c.key for g in self.groups for c in g.clauses)
