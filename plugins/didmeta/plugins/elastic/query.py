"""ELASTIC's query translation: filter clauses, scope patterns and keysets as search queries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from didmeta.errors import DidmetaError, Unimplemented
from didmeta.filters.model import Clause, Op, Quantifier
from didmeta.filters.regex import lowered, lucene_regex, parse_regex
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ExternalQuery
from didmeta.plugins.elastic.mapping import PLUGIN_NAME, _micros
from didmeta.values import INT64_MAX, INT64_MIN, MetaValue

_MAX_PAGE: Final = 10_000
_MATCH_NONE: Final[dict[str, Any]] = {"match_none": {}}


def search_body(query: ExternalQuery) -> dict[str, Any]:
    """The search request body of a `select` (its first page)."""
    filters = [clause_query(clause, query.ignore_case) for clause in query.clauses]
    scope = scope_query(query.scope_pattern)
    if scope is not None:
        filters.insert(0, scope)
    if query.after is not None:
        filters.insert(0, after_query(query.after))
    return {
        "query": {"bool": {"filter": filters}} if filters else {"match_all": {}},
        "sort": [{"scope": "asc"}, {"name": "asc"}],
        "size": min(max(query.batch_size, 1), _MAX_PAGE),
        "_source": False,
        "track_total_hits": False,
    }


def _has_key(key: str) -> dict[str, Any]:
    return {"term": {"keys": key}}


# --- clauses as queries ------------------------------------------------------------------------------
def _is_number(value: MetaValue) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _long_query(field_name: str, op: Op, value: float) -> dict[str, Any] | None:
    """`field op value` (an ordering) on a long field, with an int or float bound; None: no match."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if math.isinf(value):
        below = value > 0  # +inf: every long is below it
        return {"exists": {"field": field_name}} if below == (op in (Op.LT, Op.LTE)) else None
    if op in (Op.GT, Op.GTE):
        low = math.floor(value) + 1 if op is Op.GT else math.ceil(value)
        if low > INT64_MAX:
            return None
        return {"range": {field_name: {"gte": max(low, INT64_MIN)}}}
    high = math.ceil(value) - 1 if op is Op.LT else math.floor(value)
    if high < INT64_MIN:
        return None
    return {"range": {field_name: {"lte": min(high, INT64_MAX)}}}


def _double_query(field_name: str, op: Op, value: float) -> dict[str, Any] | None:
    """`field op value` (an ordering) on a double field, exact also for ints a double cannot represent."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            below = value > 0
            return {"exists": {"field": field_name}} if below == (op in (Op.LT, Op.LTE)) else None
        return {"range": {field_name: {op.value: value + 0.0}}}
    bound = float(value)
    if int(bound) == value:
        return {"range": {field_name: {op.value: bound}}}
    if op in (Op.GT, Op.GTE):  # the smallest double above the int
        low = bound if bound > value else math.nextafter(bound, math.inf)
        return {"range": {field_name: {"gte": low}}}
    high = bound if bound < value else math.nextafter(bound, -math.inf)  # the largest double below it
    return {"range": {field_name: {"lte": high}}}


def _equal_terms(path: str, value: MetaValue, ignore_case: bool) -> list[tuple[str, Any]]:
    """The (field, term) pairs of which one must match for `entry == value` (none: no match)."""
    if _is_number(value):
        assert isinstance(value, int | float)
        terms: list[tuple[str, Any]] = []
        # NaN and infinities are not integers
        if (not isinstance(value, float) or value.is_integer()) and INT64_MIN <= int(value) <= INT64_MAX:
            terms.append((f"{path}.l", int(value)))
        if isinstance(value, float):
            if math.isfinite(value):
                terms.append((f"{path}.d", value + 0.0))
        elif int(float(value)) == value:  # only an int a double represents exactly equals a double
            terms.append((f"{path}.d", float(value)))
        return terms
    if isinstance(value, str):
        return [(f"{path}.si", value.lower())] if ignore_case else [(f"{path}.s", value)]
    if isinstance(value, datetime):
        return [(f"{path}.t", _micros(value))]
    if isinstance(value, bool):
        return [(f"{path}.b", value)]
    return []  # null, lists and maps never match


def _terms_query(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any] | None:
    """One `term`/`terms` query per field, any of which may match (no clause per value: IN lists can be long)."""
    by_field: dict[str, list[Any]] = {}
    for field_name, term in pairs:
        values = by_field.setdefault(field_name, [])
        if term not in values:  # one type per field, so `in` is exact
            values.append(term)
    queries = [
        {"term": {name: values[0]}} if len(values) == 1 else {"terms": {name: values}}
        for name, values in by_field.items()
    ]
    if not queries:
        return None
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def _escape_wildcard(pattern: str) -> str:
    """A `*` pattern for the `wildcard` query: `*` stays a wildcard, `?` and `\\` become literal."""
    return pattern.replace("\\", "\\\\").replace("?", "\\?")


def _value_query(path: str, op: Op, value: MetaValue, ignore_case: bool) -> dict[str, Any] | None:
    """The child-level query of `entry op value` on one nested path (kv or kl); None: no match."""
    if op is Op.EQ:
        return _terms_query(_equal_terms(path, value, ignore_case))
    if _is_number(value):
        assert isinstance(value, int | float)
        queries = [q for q in (_long_query(f"{path}.l", op, value), _double_query(f"{path}.d", op, value)) if q]
        if len(queries) < 2:
            return queries[0] if queries else None
        return {"bool": {"should": queries, "minimum_should_match": 1}}
    if isinstance(value, str):
        name, text = (f"{path}.si", value.lower()) if ignore_case else (f"{path}.s", value)
        return {"range": {name: {op.value: text}}}
    if isinstance(value, datetime):
        return {"range": {f"{path}.t": {op.value: _micros(value)}}}
    return None  # bool ordering, null, lists and maps never match


def _nested(path: str, key: str, inner: dict[str, Any] | None) -> dict[str, Any]:
    if inner is None:
        return _MATCH_NONE
    query = {"bool": {"filter": [{"term": {f"{path}.k": key}}, inner]}}
    return {"nested": {"path": path, "score_mode": "none", "query": query}}


def clause_query(clause: Clause, ignore_case: bool) -> dict[str, Any]:
    """The query matching exactly the documents whose metadata satisfies a positive clause."""
    op, key, value = clause.op, clause.key, clause.value
    if clause.quantifier is not None:
        return _quantified_query(clause, ignore_case)
    if op is Op.EXISTS:
        if value is not True:
            raise _unsupported(clause)
        return {"term": {"keys": key}}
    if op is Op.IN:
        values = value if isinstance(value, list) else [value]
        pairs = [pair for v in values for pair in _equal_terms("kv", v, ignore_case)]
        return _nested("kv", key, _terms_query(pairs))
    if op is Op.CONTAINS:
        return _nested("kl", key, _value_query("kl", Op.EQ, value, ignore_case))
    if op is Op.PREFIX or (op is Op.EQ and clause.wildcard):
        text = value if isinstance(value, str) else str(value)
        name = "kv.si" if ignore_case else "kv.s"
        if ignore_case:
            text = text.lower()
        if op is Op.PREFIX:
            return _nested("kv", key, {"prefix": {name: {"value": text}}})
        return _nested("kv", key, {"wildcard": {name: {"value": _escape_wildcard(text)}}})
    if op in (Op.REGEX, Op.IREGEX):
        insensitive = ignore_case or op is Op.IREGEX
        pattern = parse_regex(str(value))
        name = "kv.si" if insensitive else "kv.s"
        text = lucene_regex(lowered(pattern) if insensitive else pattern)
        return _nested("kv", key, {"regexp": {name: {"value": text, "flags": "NONE"}}})
    if op in (Op.EQ, Op.LT, Op.LTE, Op.GT, Op.GTE):
        return _nested("kv", key, _value_query("kv", op, value, ignore_case))
    raise _unsupported(clause)


#: The typed fields of `kl` holding elements of a type other than a number / string / bool.
_OTHER_FIELDS: Final = {
    "number": ("kl.s", "kl.b", "kl.t"),
    "string": ("kl.l", "kl.d", "kl.b", "kl.t"),
    "bool": ("kl.l", "kl.d", "kl.s", "kl.t"),
}
_COMPLEMENT: Final = {Op.LT: Op.GTE, Op.LTE: Op.GT, Op.GT: Op.LTE, Op.GTE: Op.LT}


def _quantified_query(clause: Clause, ignore_case: bool) -> dict[str, Any]:
    """`key.any` / `key.all` / `key.len` on the key's `kl` entry (one nested document per list).

    `any`: a typed array of the entry matches (arrays match when one value does); `len`: the
    entry's `n`; `all`: the entry has no failing element, that is no element of another type
    (`o`, or another typed array present) and none of the right type meeting the complementary
    comparison (numbers and strings are totally ordered, so the complement is exact).
    """
    op, key, value = clause.op, clause.key, clause.value
    if clause.quantifier is Quantifier.LEN:
        assert isinstance(value, int)
        length = {"term": {"kl.n": value}} if op is Op.EQ else {"range": {"kl.n": {op.value: value}}}
        return _nested("kl", key, length)
    if clause.quantifier is Quantifier.ANY:
        if clause.wildcard:
            assert isinstance(value, str)
            name, text = ("kl.si", value.lower()) if ignore_case else ("kl.s", value)
            return _nested("kl", key, {"wildcard": {name: {"value": _escape_wildcard(text)}}})
        return _nested("kl", key, _value_query("kl", op, value, ignore_case))
    kind = "bool" if isinstance(value, bool) else "number" if _is_number(value) else "string"
    failing: list[dict[str, Any] | None] = [{"term": {"kl.o": True}}]
    failing += [{"exists": {"field": name}} for name in _OTHER_FIELDS[kind]]
    if kind == "bool":
        failing.append({"term": {"kl.b": not value}})
    elif op is Op.EQ:
        failing += [_value_query("kl", Op.LT, value, ignore_case), _value_query("kl", Op.GT, value, ignore_case)]
    else:
        failing.append(_value_query("kl", _COMPLEMENT[op], value, ignore_case))
    query = {
        "bool": {
            "filter": [{"term": {"kl.k": key}}],
            "must_not": [q for q in failing if q is not None],
        }
    }
    return {"nested": {"path": "kl", "score_mode": "none", "query": query}}


def _unsupported(clause: Clause) -> DidmetaError:
    return Unimplemented(
        f"plugin {PLUGIN_NAME} answers positive clauses only, not {clause.describe()} "
        "(the dispatcher evaluates negations as complements)",
        metadata={"plugin": PLUGIN_NAME, "feature": clause.op.value},
    )


def scope_query(pattern: str) -> dict[str, Any] | None:
    """The scope condition of a listing (None: every scope); `*` is an anchored wildcard."""
    if pattern.strip("*") == "":
        return None
    if "*" in pattern:
        return {"wildcard": {"scope": {"value": _escape_wildcard(pattern)}}}
    return {"term": {"scope": pattern}}


def after_query(after: DidKey) -> dict[str, Any]:
    """DIDs strictly after `after` in (scope, name) order (a filter, so it works with any sort tiebreaker)."""
    same_scope_later = {"bool": {"filter": [{"term": {"scope": after.scope}}, {"range": {"name": {"gt": after.name}}}]}}
    return {
        "bool": {"should": [{"range": {"scope": {"gt": after.scope}}}, same_scope_later], "minimum_should_match": 1}
    }
