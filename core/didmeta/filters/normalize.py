"""From raw clauses (string grammar or structured wire form) to a validated `Filter` (spec §4).

All semantic checks live here, so every plugin sees the same, already valid, normalised filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from didmeta.attributes import INTRINSIC, LIFETIME_KEY, TYPE_KEYS, column_kind
from didmeta.errors import InvalidArgument
from didmeta.filters.grammar import RawClause
from didmeta.filters.model import Clause, Filter, Group, Op, Quantifier
from didmeta.filters.regex import parse_regex
from didmeta.filters.tree import Literal, RawNode, expand, flat_groups, parse_filter_tree
from didmeta.identifiers import KEY_RE, DidType, parse_type_selector
from didmeta.values import MetaValue, parse_timestamp_text, type_name

_SCALAR_TYPES = ("int", "double", "string", "timestamp", "bool")
#: Rucio's date keys and the clause they stand for (spec §4.2).
_ALIASES: dict[str, tuple[str, Op]] = {
    "created_after": ("created_at", Op.GTE),
    "created_before": ("created_at", Op.LTE),
}


def _invalid(raw: RawClause, description: str) -> InvalidArgument:
    return InvalidArgument.for_field("filter", f"clause {raw.text!r}: {description}", reason="INVALID_FILTER")


def _coerce_intrinsic(raw: RawClause, value: MetaValue) -> MetaValue:
    """Intrinsic attributes are strictly typed: a value of another type is an error."""
    kind = INTRINSIC.get(raw.key)
    if kind is None or value is None:
        return value
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise _invalid(raw, f"{raw.key} takes an integer")
    if kind == "timestamp" and not isinstance(value, datetime):
        parsed = parse_timestamp_text(value) if isinstance(value, str) else None
        if parsed is None:
            raise _invalid(raw, f"{raw.key} takes a date or date-time, not {value!r}")
        return parsed
    if kind == "bool" and not isinstance(value, bool):
        raise _invalid(raw, f"{raw.key} takes true or false")
    if kind == "string" and not isinstance(value, str):
        return str(value) if not isinstance(value, list | dict) else value
    return value


_RAW_COMPLEMENTS = {Op.EQ: Op.NE, Op.NE: Op.EQ, Op.IN: Op.NOT_IN, Op.NOT_IN: Op.IN}


def _negate_clause(raw: RawClause) -> Clause | None:
    """The complement of a clause: `not eq` is `ne`, `not in` is `not_in`, `not exists=b` is `exists=!b`."""
    complement = _RAW_COMPLEMENTS.get(raw.op)
    if complement is not None:
        return _normalize_clause(replace(raw, op=complement))
    clause = _normalize_clause(raw)
    assert clause is not None  # only `name=*` (an EQ) normalises to "everything"
    if clause.op is Op.EXISTS:
        return Clause(clause.key, Op.EXISTS, not clause.value)
    return replace(clause, negated=True)


_QUANTIFIED_OPS = (Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE)


def _normalize_quantified(raw: RawClause) -> Clause:
    """`key.any OP v`, `key.all OP v`, `key.len OP n`: element or length comparisons on a list."""
    quantifier, op, value = raw.quantifier, raw.op, raw.value
    assert quantifier is not None
    name = f"{raw.key}.{quantifier.value}"
    if raw.key == "name" or raw.key in _ALIASES or raw.key == LIFETIME_KEY:
        raise _invalid(raw, f"{raw.key} is not a list: {quantifier.value} cannot be used with it")
    if not KEY_RE.fullmatch(raw.key):
        raise _invalid(raw, f"invalid key {raw.key!r}")
    if op not in _QUANTIFIED_OPS:
        raise _invalid(raw, f"{name} takes = != < <= > >=")
    if op is Op.NE:  # the complement of `=`, as everywhere (matches a DID lacking the key)
        return replace(_normalize_quantified(replace(raw, op=Op.EQ)), negated=True)
    kind = type_name(value)
    if quantifier is Quantifier.LEN:
        if kind != "int":
            raise _invalid(raw, f"{name} takes an integer")
        return Clause(raw.key, op, value, quantifier=quantifier)
    if value is None:
        raise _invalid(raw, f"{name} cannot compare with null")
    wildcard = isinstance(value, str) and "*" in value and not raw.literal
    if wildcard and op is not Op.EQ:
        raise _invalid(raw, f"a wildcard cannot be used with {op.value}")
    if wildcard and quantifier is Quantifier.ALL:
        raise _invalid(raw, f"{name} takes no wildcard (only {raw.key}.any does)")
    if kind not in _SCALAR_TYPES:
        raise _invalid(raw, f"{name} takes a scalar value, not a {kind}")
    if quantifier is Quantifier.ALL and kind == "timestamp":
        raise _invalid(raw, f"{name} takes a number, string or bool (use {raw.key}.any for timestamps)")
    if op.is_ordering and kind == "bool":
        raise _invalid(raw, f"{op.value} takes a number, string or timestamp, not a bool")
    return Clause(raw.key, op, value, wildcard=wildcard, quantifier=quantifier)


def _normalize_clause(raw: RawClause) -> Clause | None:
    """The clause in normal form; None for a clause that matches everything (`name=*`)."""
    if raw.quantifier is not None:
        return _normalize_quantified(raw)
    if raw.op is Op.NOT_IN:
        inner = _normalize_clause(replace(raw, op=Op.IN))
        assert inner is not None
        return replace(inner, negated=True)
    key, op, value = raw.key, raw.op, raw.value
    if key != "name" and not KEY_RE.fullmatch(key):
        raise _invalid(raw, f"invalid key {key!r}")
    if key == LIFETIME_KEY:
        raise _invalid(raw, "lifetime is write-only (it sets expired_at): filter on expired_at instead")
    if key in ("created_after", "created_before"):
        if op is not Op.EQ:
            raise _invalid(raw, f"{key} takes '='")
        key, op = "created_at", Op.GTE if key == "created_after" else Op.LTE
    raw = RawClause(key, op, value, raw.literal, raw.text)

    if key == "name":
        if op not in (Op.EQ, Op.NE, Op.PREFIX):
            raise _invalid(raw, "name supports only =, != and prefix")
        if not isinstance(value, str):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if value.strip("*") == "" and op is not Op.PREFIX:
            if op is Op.NE:
                raise _invalid(raw, "name!=* can never match")
            return None

    if value is None:
        if op is Op.EQ:
            return Clause(key, Op.EXISTS, False)
        if op is Op.NE:
            return Clause(key, Op.EXISTS, True)
        raise _invalid(raw, f"null cannot be used with {op.value}")

    if op in (Op.EQ, Op.NE) and isinstance(value, str) and not raw.literal and "*" in value:
        if value.strip("*") == "" and key != "name":
            return Clause(key, Op.EXISTS, op is Op.EQ)
        return Clause(key, op, value, wildcard=True)

    if op in (Op.REGEX, Op.IREGEX):
        if not isinstance(value, str):
            raise _invalid(raw, f'{op.value} takes a pattern string (double-quote it: {key}.{op.value}="{value}")')
        try:
            parse_regex(value)
        except InvalidArgument as error:
            raise _invalid(raw, error.field_violations[0].description) from None
        return Clause(key, op, value)

    if isinstance(value, str) and "*" in value and not raw.literal and op not in (Op.EQ, Op.NE):
        raise _invalid(raw, f"a wildcard cannot be used with {op.value}")

    if op not in (Op.EXISTS, Op.IN):  # exists takes true/false; `in` coerces each item of its list
        value = _coerce_intrinsic(raw, value)
    kind = type_name(value)
    if op is Op.EXISTS:
        if not isinstance(value, bool):
            raise _invalid(raw, "exists takes true or false")
    elif op is Op.IN:
        if not isinstance(value, list) or not value:
            raise _invalid(raw, "in takes a non-empty list of values")
        if not raw.literal and any(isinstance(v, str) and "*" in v for v in value):
            raise _invalid(raw, "a wildcard cannot be used with in")
        if any(type_name(v) not in _SCALAR_TYPES for v in value):
            raise _invalid(raw, "in takes a list of scalar values")
        if INTRINSIC.get(key) is not None:
            value = [_coerce_intrinsic(raw, v) for v in value]
    elif op is Op.CONTAINS:
        if kind not in _SCALAR_TYPES:
            raise _invalid(raw, "contains takes a scalar value")
    elif op is Op.PREFIX:
        if not isinstance(value, str):
            raise _invalid(raw, "prefix takes a string")
    elif op.is_ordering:
        if kind not in ("int", "double", "string", "timestamp"):
            raise _invalid(raw, f"{op.value} takes a number, string or timestamp, not a {kind}")
    elif kind in ("list", "map"):
        raise _invalid(raw, f"{op.value} cannot compare with a {kind}")
    return Clause(key, op, value)


def _group_types(raws: Sequence[RawClause]) -> tuple[list[RawClause], frozenset[DidType] | None]:
    types: frozenset[DidType] | None = None
    rest: list[RawClause] = []
    for raw in raws:
        if raw.key.lower() not in TYPE_KEYS:
            rest.append(raw)
            continue
        if raw.op is not Op.EQ or raw.quantifier is not None:
            raise _invalid(raw, f"{raw.key} only takes '='")
        if types is not None:
            raise _invalid(raw, "type given twice in one group (did_type is an alias of type)")
        try:
            types = parse_type_selector(str(raw.value), field="filter")
        except InvalidArgument as error:
            raise _invalid(raw, error.field_violations[0].description) from None
    return rest, types


def normalize_groups(raw_groups: Iterable[Sequence[RawClause]]) -> Filter:
    groups: list[Group] = []
    for raws in raw_groups:
        rest, types = _group_types(raws)
        seen: set[tuple[str, Op]] = set()
        clauses: list[Clause] = []
        for raw in rest:
            key = raw.key if raw.quantifier is None else f"{raw.key}.{raw.quantifier.value}"
            signature = _ALIASES.get(key, (key, raw.op)) if raw.op is Op.EQ else (key, raw.op)
            if signature in seen:
                raise _invalid(raw, f"duplicate {signature[0]}.{signature[1].value} in one group")
            seen.add(signature)
            clause = _normalize_clause(raw)
            if clause is not None:
                clauses.append(clause)
        groups.append(Group(tuple(clauses), types))
    return Filter(tuple(groups))


def _tree_group(literals: Sequence[Literal]) -> Group:
    """One AND group of an expanded tree; `type` clauses (negated: the other types) are intersected."""
    types: frozenset[DidType] | None = None
    clauses: list[Clause] = []
    for raw, negated in literals:
        if raw.key.lower() in TYPE_KEYS:
            _, selected = _group_types([raw])
            assert selected is not None
            if negated:
                selected = frozenset(DidType) - selected
            types = selected if types is None else types & selected
            continue
        clause = _negate_clause(raw) if negated else _normalize_clause(raw)
        if clause is not None:
            clauses.append(clause)
    return Group(tuple(clauses), types)


def normalize_tree(node: RawNode | None, max_groups: int = 100) -> Filter:
    """A boolean tree (string grammar or wire `tree`) validated and expanded to OR groups of AND clauses.

    A tree that is already flat (no `not`, no nesting) follows `normalize_groups` exactly, so the
    flat grammar keeps its checks (one `type` and no duplicate key+operator per group). An expanded
    tree may repeat a key in a group (`(a=1;b=2),(a=3;c=4)`) and intersects its `type` clauses.
    """
    flat = flat_groups(node)
    if flat is not None:
        return normalize_groups(flat)
    assert node is not None
    return Filter(tuple(_tree_group(literals) for literals in expand(node, max_groups)))


def parse_filter_string(text: str) -> list[list[RawClause]]:
    """Flat text (no `not`, no parentheses) as OR groups of raw clauses; nested text is INVALID_ARGUMENT."""
    flat = flat_groups(parse_filter_tree(text))
    if flat is None:
        raise InvalidArgument.for_field(
            "filter", "this filter has 'not' or parentheses; a flat list of groups is needed", reason="INVALID_FILTER"
        )
    return flat


def parse_filter(text: str, max_groups: int = 100) -> Filter:
    """Parse and validate the string grammar."""
    return normalize_tree(parse_filter_tree(text), max_groups)


def is_column(key: str) -> bool:
    """Whether a filter key is a DID-table column (intrinsic or optimised)."""
    return key == "name" or column_kind(key) is not None
