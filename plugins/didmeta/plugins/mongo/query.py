"""MONGO's query translation: filter clauses, scope patterns and keysets as MongoDB query filters."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeAlias

from didmeta.errors import InvalidArgument
from didmeta.filters.model import Clause, Op, Quantifier
from didmeta.filters.regex import lowered, mongo_regex, parse_regex
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ExternalQuery
from didmeta.plugins.mongo.documents import (
    LIST_LOWER_TAG,
    LIST_TAG,
    LOWER,
    META,
    PLUGIN_NAME,
    TS_TAG,
    Document,
    _micros,
)
from didmeta.values import MetaValue

#: A MongoDB query filter; None stands for "matches nothing" (no query is sent).
Query: TypeAlias = "dict[str, Any] | None"

_COMPARISON = {Op.EQ: "$eq", Op.LT: "$lt", Op.LTE: "$lte", Op.GT: "$gt", Op.GTE: "$gte"}
_ANY_RUN = r"[\s\S]*"


def wildcard_regex(text: str) -> str:
    """`*` matches any run of characters (newlines included); anchored; everything else literal."""
    return "^" + _ANY_RUN.join(re.escape(part) for part in text.split("*")) + r"\z"


def prefix_regex(text: str) -> str:
    return "^" + re.escape(text)


def scope_query(pattern: str) -> Query:
    """The scope part of a query (an empty dict when every scope is wanted)."""
    if pattern.strip("*") == "":
        return {}
    if "*" in pattern:
        return {"scope": {"$regex": wildcard_regex(pattern)}}
    return {"scope": pattern}


def after_query(after: DidKey) -> Document:
    return {"$or": [{"scope": {"$gt": after.scope}}, {"scope": after.scope, "name": {"$gt": after.name}}]}


def clause_query(clause: Clause, ignore_case: bool) -> Query:
    """The query matching exactly what `JsonConditions.condition` matches for a positive clause."""
    op, key, value = clause.op, clause.key, clause.value
    field = f"{META}.{key}"
    if clause.quantifier is not None:
        return quantified_query(clause, ignore_case)
    if op is Op.EXISTS:
        if value is not True:
            raise InvalidArgument(f"{PLUGIN_NAME} answers positive clauses only, not {clause.describe()}")
        return {field: {"$exists": True, "$ne": None}}
    if op is Op.NE:
        raise InvalidArgument(f"{PLUGIN_NAME} answers positive clauses only, not {clause.describe()}")
    if op is Op.IN:
        if not isinstance(value, list):
            return None
        alternatives = [q for q in (_compare(key, Op.EQ, v, ignore_case) for v in value) if q is not None]
        if not alternatives:
            return None
        return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}
    if op is Op.CONTAINS:
        return _contains(key, value, ignore_case)
    if op is Op.PREFIX:
        return _text_match(key, prefix_regex(_text(value, ignore_case)), ignore_case)
    if op in (Op.REGEX, Op.IREGEX):
        insensitive = ignore_case or op is Op.IREGEX
        pattern = parse_regex(str(value))
        return _text_match(key, mongo_regex(lowered(pattern) if insensitive else pattern), insensitive)
    if clause.wildcard:
        return _text_match(key, wildcard_regex(_text(value, ignore_case)), ignore_case)
    return _compare(key, op, value, ignore_case)


def _text(value: MetaValue, ignore_case: bool) -> str:
    text = str(value)
    return text.lower() if ignore_case else text


def _text_match(key: str, regex: str, ignore_case: bool) -> Document:
    return {f"{LOWER if ignore_case else META}.{key}": {"$regex": regex}}


def _compare(key: str, op: Op, value: MetaValue, ignore_case: bool) -> Query:
    operator = _COMPARISON[op]
    if isinstance(value, bool):
        return {f"{META}.{key}": value} if op is Op.EQ else None
    if isinstance(value, int | float):
        return {f"{META}.{key}": {operator: value}}
    if isinstance(value, str):
        if ignore_case:
            return {f"{LOWER}.{key}": {operator: value.lower()}}
        return {f"{META}.{key}": {operator: value}}
    if isinstance(value, datetime):
        return {f"{META}.{key}.{TS_TAG}": {operator: _micros(value)}}
    return None


def _contains(key: str, value: MetaValue, ignore_case: bool) -> Query:
    items = f"{META}.{key}.{LIST_TAG}"
    if isinstance(value, bool | int | float):
        return {items: value}
    if isinstance(value, str):
        if ignore_case:
            return {f"{META}.{key}.{LIST_LOWER_TAG}": value.lower()}
        return {items: value}
    if isinstance(value, datetime):
        return {f"{items}.{TS_TAG}": _micros(value)}
    return None


#: BSON types of the stored list elements that are not numbers / strings / bools (elements are
#: never arrays: nested lists are wrapped in `0l` sub-documents, as timestamps are in `0ts` ones).
_OTHER_TYPES = {
    "number": ("string", "bool", "object", "null"),
    "string": ("double", "long", "int", "bool", "object", "null"),
    "bool": ("double", "long", "int", "string", "object", "null"),
}
_COMPLEMENT = {Op.LT: Op.GTE, Op.LTE: Op.GT, Op.GT: Op.LTE, Op.GTE: Op.LT}


def quantified_query(clause: Clause, ignore_case: bool) -> Query:
    """`key.any` / `key.all` / `key.len` over the wrapped list `m.<key>.0l` (None: matches nothing).

    `any` relies on MongoDB's implicit traversal of the array (one element must match); `all` is
    "a list, and no element fails": a failing element is one of another BSON type (`$type`, which
    also traverses) or one of the right type that meets the complementary comparison. `len` uses
    `$size` for equality and the presence of the element at index n-1 / n for the orderings.
    """
    key, op, value = clause.key, clause.op, clause.value
    items = f"{META}.{key}.{LIST_TAG}"
    is_list: Document = {items: {"$exists": True}}
    if clause.quantifier is Quantifier.LEN:
        assert isinstance(value, int)
        length = _length_query(items, op, value)
        return None if length is None else {"$and": [is_list, length]}
    path = f"{META}.{key}.{LIST_LOWER_TAG}" if ignore_case and isinstance(value, str) else items
    text = value.lower() if ignore_case and isinstance(value, str) else value
    if clause.quantifier is Quantifier.ANY:
        if clause.wildcard:
            assert isinstance(text, str)
            return {path: {"$regex": wildcard_regex(text)}}
        if isinstance(value, datetime):
            return {f"{items}.{TS_TAG}": {_COMPARISON[op]: _micros(value)}}
        if isinstance(value, bool):
            return {items: value} if op is Op.EQ else None
        return {path: {_COMPARISON[op]: text}}
    # ALL (normalisation leaves a number, a string or a bool, without a wildcard)
    kind = "bool" if isinstance(value, bool) else "number" if isinstance(value, int | float) else "string"
    failing: list[Document] = [{items: {"$type": other}} for other in _OTHER_TYPES[kind]]
    if kind == "bool":
        failing.append({items: not value})
    elif op is Op.EQ:
        failing += [{path: {"$lt": text}}, {path: {"$gt": text}}]
    else:
        failing.append({path: {_COMPARISON[_COMPLEMENT[op]]: text}})
    return {"$and": [is_list, {"$nor": failing}]}


def _length_query(items: str, op: Op, n: int) -> Query:
    """The length condition on a stored list (`{}`: always true; None: never)."""
    if op is Op.EQ:
        return {items: {"$size": n}} if n >= 0 else None
    # len >= k  <=>  an element at index k-1 exists
    at_least = {Op.GTE: n, Op.GT: n + 1, Op.LT: n, Op.LTE: n + 1}[op]
    if at_least <= 0:
        return {} if op in (Op.GTE, Op.GT) else None
    present: Document = {f"{items}.{at_least - 1}": {"$exists": True}}
    return present if op in (Op.GTE, Op.GT) else {"$nor": [present]}


def select_query(query: ExternalQuery) -> Query:
    """The whole query of a `select`, or None if it cannot match anything."""
    parts: list[Document] = []
    scope = scope_query(query.scope_pattern)
    if scope:
        parts.append(scope)
    if query.after is not None:
        parts.append(after_query(query.after))
    for clause in query.clauses:
        condition = clause_query(clause, query.ignore_case)
        if condition is None:
            return None
        parts.append(condition)
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}
