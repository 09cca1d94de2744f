"""A reference evaluator of spec §4.3, independent of every backend: the conformance suite's oracle.

It evaluates a normalised filter over an in-memory copy of the data set, by the rules of the spec
written out directly in Python (typed comparison, missing keys, anchored wildcards, ignore_case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from didmeta.attributes import OPTIMISED
from didmeta.filters.model import Clause, Filter, Op, Quantifier
from didmeta.filters.regex import lowered, parse_regex, python_regex, regex_matches
from didmeta.identifiers import DidType
from didmeta.values import MetaValue

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    scope: str
    name: str
    type: DidType
    metadata: dict[str, MetaValue] = field(default_factory=dict)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "null"


def _scalar_equal(stored: Any, wanted: Any, ignore_case: bool) -> bool:
    if _kind(stored) != _kind(wanted) or _kind(stored) in ("list", "map", "null"):
        return False
    if ignore_case and isinstance(stored, str):
        return bool(stored.lower() == wanted.lower())
    return bool(stored == wanted)


def _wildcard(stored: Any, pattern: str, ignore_case: bool) -> bool:
    if not isinstance(stored, str):
        return False
    regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, stored, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _order(stored: Any, op: Op, wanted: Any, ignore_case: bool) -> bool:
    if _kind(stored) != _kind(wanted) or _kind(stored) not in ("number", "string", "timestamp"):
        return False
    if ignore_case and isinstance(stored, str):
        stored, wanted = stored.lower(), wanted.lower()
    return bool(
        {Op.LT: stored < wanted, Op.LTE: stored <= wanted, Op.GT: stored > wanted, Op.GTE: stored >= wanted}[op]
    )


def _element_matches(element: Any, clause: Clause, ignore_case: bool) -> bool:
    """One list element against `op value`, by the rules of a stored scalar."""
    if clause.op is Op.EQ:
        if clause.wildcard:
            assert isinstance(clause.value, str)
            return _wildcard(element, clause.value, ignore_case)
        return _scalar_equal(element, clause.value, ignore_case)
    return _order(element, clause.op, clause.value, ignore_case)


def _quantified_matches(stored: Any, clause: Clause, ignore_case: bool) -> bool:
    """`key.any` / `key.all` / `key.len`: false unless the key holds a list; `all` of [] is true."""
    if not isinstance(stored, list):
        return False
    if clause.quantifier is Quantifier.LEN:
        length, wanted = len(stored), clause.value
        assert isinstance(wanted, int)
        return {
            Op.EQ: length == wanted,
            Op.LT: length < wanted,
            Op.LTE: length <= wanted,
            Op.GT: length > wanted,
            Op.GTE: length >= wanted,
        }[clause.op]
    results = (_element_matches(element, clause, ignore_case) for element in stored)
    return any(results) if clause.quantifier is Quantifier.ANY else all(results)


#: DID_COLUMN's string columns: an int filter value compares as its text there (docs/filters.md), the one
#: lossless coercion; no other value type matches them.
_STRING_COLUMNS = frozenset(key for key, kind in OPTIMISED.items() if kind == "string")


def _as_column_text(clause: Clause) -> Clause:
    def text(value: Any) -> Any:
        return str(value) if type(value) is int else value

    value = [text(v) for v in clause.value] if isinstance(clause.value, list) else text(clause.value)
    return replace(clause, value=value)


def clause_matches(record: Record, clause: Clause, ignore_case: bool) -> bool:
    if clause.negated:  # `not`: the complement, a DID lacking the key included
        return not clause_matches(record, clause.positive(), ignore_case)
    stored: Any = record.name if clause.key == "name" else record.metadata.get(clause.key)
    if clause.key in _STRING_COLUMNS:
        clause = _as_column_text(clause)
    if clause.quantifier is not None:
        return _quantified_matches(stored, clause, ignore_case)
    op, wanted = clause.op, clause.value
    if op is Op.EXISTS:
        return (stored is not None) == wanted
    if op is Op.NE:
        return not clause_matches(record, Clause(clause.key, Op.EQ, wanted, clause.wildcard), ignore_case)
    if stored is None:
        return False
    if op is Op.EQ:
        if clause.wildcard:
            assert isinstance(wanted, str)
            return _wildcard(stored, wanted, ignore_case)
        return _scalar_equal(stored, wanted, ignore_case)
    if op is Op.IN:
        assert isinstance(wanted, list)
        return any(_scalar_equal(stored, w, ignore_case) for w in wanted)
    if op is Op.CONTAINS:
        return isinstance(stored, list) and any(_scalar_equal(s, wanted, ignore_case) for s in stored)
    if op in (Op.REGEX, Op.IREGEX):
        assert isinstance(wanted, str)
        pattern = parse_regex(wanted)
        if op is Op.IREGEX or ignore_case:
            return isinstance(stored, str) and regex_matches(python_regex(lowered(pattern)), stored.lower())
        return regex_matches(python_regex(pattern), stored)
    if op is Op.PREFIX:
        if not isinstance(stored, str):
            return False
        assert isinstance(wanted, str)
        return (stored.lower().startswith(wanted.lower())) if ignore_case else stored.startswith(wanted)
    return _order(stored, op, wanted, ignore_case)


def evaluate(records: list[Record], filter_: Filter, types: frozenset[DidType], ignore_case: bool) -> list[str]:
    """`scope:name` of the matching records, sorted."""
    groups = filter_.groups or ()
    result = []
    for record in records:
        if not groups:
            if record.type in types:
                result.append(record)
            continue
        for group in groups:
            group_types = group.types if group.types is not None else types
            if record.type in group_types and all(clause_matches(record, c, ignore_case) for c in group.clauses):
                result.append(record)
                break
    return [f"{r.scope}:{r.name}" for r in sorted(result, key=lambda r: (r.scope, r.name))]


# --- facets (FacetDids), written out directly from docs/filters.md#summaries ---------------------------
_KIND_RANK = {"bool": 0, "number": 1, "string": 2, "timestamp": 3}


def _facet_value(value: Any) -> Any:
    """Numbers compare numerically: an integral double is reported as the int."""
    if isinstance(value, float) and value == int(value):
        return int(value)
    return value


def _bucket_order(item: tuple[tuple[str, Any], int]) -> tuple[int, Any]:
    (kind, lower), _ = item
    return _KIND_RANK[kind], lower


def facet(
    records: list[Record], matched: list[str], key: str, top: int = 10, width: float | None = None
) -> dict[str, Any]:
    """The expected facet of `key` over the records whose `scope:name` is in `matched`."""
    chosen = [r for r in records if f"{r.scope}:{r.name}" in set(matched)]
    counts: list[list[Any]] = []  # [kind, value, count], values compared with == within a kind
    missing = other = 0
    for record in chosen:
        if key == "name":
            value: Any = record.name
        elif key == "type":
            value = record.type.name
        else:
            value = record.metadata.get(key)
        if value is None:
            missing += 1
            continue
        kind = _kind(value)
        if kind in ("list", "map"):
            other += 1
            continue
        for entry in counts:
            if entry[0] == kind and entry[1] == value:
                entry[2] += 1
                break
        else:
            counts.append([kind, _facet_value(value), 1])
    ordered = sorted(counts, key=lambda e: (-e[2], _KIND_RANK[e[0]], e[1]))
    buckets: dict[tuple[str, Any], int] = {}
    if width:
        for kind, value, count in counts:
            if kind == "number":
                lower: Any = _facet_value(float(value // width) * width)
            elif kind == "timestamp":
                step = round(width * 1_000_000)
                micros = (value - _EPOCH).days * 86_400_000_000 + (value - _EPOCH).seconds * 1_000_000
                micros += (value - _EPOCH).microseconds
                lower = _EPOCH + timedelta(microseconds=(micros // step) * step)
            else:
                continue
            buckets[(kind, lower)] = buckets.get((kind, lower), 0) + count
    return {
        "key": key,
        "values": [(e[1], e[2]) for e in ordered[:top]],
        "buckets": [
            (lower, n) for (k, lower), n in sorted(buckets.items(), key=lambda i: (_KIND_RANK[i[0][0]], i[0][1]))
        ],
        "missing": missing,
        "other": other,
        "distinct": len(counts),
    }
