"""ELASTIC: metadata in an Elasticsearch or OpenSearch index (spec §3, §4.3).

One plugin for both servers. Option `flavor` picks the client: "opensearch" (opensearch-py),
"elasticsearch" (the official `elasticsearch` client, 7.13.x: later 7.x releases refuse
OpenSearch and 8.x/9.x servers need a newer client) or "auto" (the default: `GET /` and
`version.distribution == "opensearch"` decide). Auto-detection, index creation and the mapping
check happen on the first call that reaches the server, so `start()` succeeds while the server is
down; until it is up every call raises `Unavailable`, and the plugin recovers by itself.

Options (`plugin_options.ELASTIC`)
    url             required, e.g. http://127.0.0.1:9200 (credentials may be in the URL); several nodes
                    of one cluster as a comma-separated list: a request that cannot reach one node is
                    sent to the next
    index           index name, default "didmeta" (created with the mapping below if missing)
    shards          primary shards of the index when this plugin creates it (default: the server's)
    replicas        replicas of each shard when this plugin creates it (default: the server's)
    flavor          "auto" | "opensearch" | "elasticsearch"
    refresh         write refresh policy: "wait_for" (default) | "true" | "false".
                    Read-your-writes: `get_many` (mget) is real-time and always sees the last write;
                    `select` (search) sees a write once the index has refreshed. "wait_for" and
                    "true" make a write visible to `select` before the write returns; with "false"
                    a write may be missing from `select` until the next periodic refresh
                    (`index.refresh_interval`, 1 s by default). "wait_for" waits for that periodic
                    refresh, so it needs one: with `refresh_interval: -1` use "true".
    keys            the keys this plugin manages (default: every key); see MetadataPlugin
    timeout_seconds per-request timeout, default 10

Index layout (one document per DID that has metadata here, `_id` = "scope:name", `dynamic: strict`):
    scope, name     keyword; every listing sorts on (scope, name), a unique key
    keys            keyword array: the keys present (EXISTS)
    v               the metadata in didmeta's JSON storage form (`values.to_json`), an object with
                    `enabled: false`: kept verbatim in `_source`, never indexed; `get_many` reads it,
                    so ints stay ints, 5.0 stays a float, timestamps keep their microseconds, lists
                    and maps come back as they went in
    kv              nested, one entry per key holding a scalar: {k: key, <one typed field>}
    kl              nested, one entry per key holding a list: {k: key, <typed arrays of its elements>,
                    n: its length, o: true if an element is null, a list or a map} (layout 2)
  typed fields: l long (int), d double (float; -0.0 indexed as 0.0), s keyword (string),
  si keyword (the string lower-cased by Python's `str.lower`, the same function that lowers filter
  values, so ignore_case is exactly symmetric), b boolean, t long (timestamp as epoch microseconds,
  exact for years 1-9999). Maps and the elements of a list that are lists, maps or null are only
  in `v`: they never match a comparison, as on the SQL plugins.
  Why nested key/value entries rather than one field per key (`m.<key>.<type>` through dynamic
  templates): the mapping is fixed, so any number of distinct keys can be stored without hitting
  `index.mapping.total_fields.limit` (1000 by default, about 150 keys with typed sub-fields) and no
  new key ever costs a cluster-state update; a key whose type varies per DID is just a different
  typed field of its entry. A nested query per clause costs a block join, cheap next to a search.
  Separate `kv`/`kl` paths keep lists out of EQ/ordering/PREFIX and scalars out of CONTAINS.

Query semantics equal the SQL plugins (`sql_conditions.JsonConditions`): a number matches stored
ints and floats numerically and exactly (bounds are converted to each field's type in Python, so
4.5 < 5, 5 == 5.0, and ints beyond 2**53 are not rounded); strings match strings (byte order, the
order of SQLite and PostgreSQL's "C" collation), timestamps match timestamps, booleans only EQ;
`*` wildcards are anchored with every other character literal; ignore_case applies to every string
comparison. Equality and IN become `terms` queries per typed field, so an IN list is not limited by
`indices.query.bool.max_clause_count`. Only positive clauses are answered (the dispatcher computes
NE and EXISTS=false as complements, which must include DIDs without any document here).

Listing: `select` sorts on (scope, name), filters out everything up to `after`, and pages with
`search_after` on the last hit's sort values, so `index.max_result_window` does not apply.
  OpenSearch (>= 2.4): inside a point in time (`POST /<index>/_search/point_in_time`, searches without
  an index in the path, `DELETE /_search/point_in_time` in `finally`, also when the consumer stops
  early), so one stream sees one snapshot. If the point in time expires under a slow consumer, a new
  one is opened and the stream continues right after the last DID delivered.
  Elasticsearch: the point in time is an X-Pack feature (`POST /<index>/_pit`, `DELETE /_pit`).
  Elasticsearch 7.10 OSS, the build available here, has none (`/<index>/_pit` is the document-index
  endpoint there and answers 400), so a server reporting `build_flavor: oss` is listed without one;
  a default-distribution server >= 7.10 gets one, falling back (once, logged) if it refuses. That
  path is written to the documented API but untested here for want of such a server. Without a point
  in time each page is a fresh search after the last (scope, name): no DID is delivered twice, and
  none that stays unchanged is skipped, but a DID written behind or ahead of the cursor during the
  stream may be missed or seen, like a SQL keyset scan across transactions.

Writes read the previous documents (real-time mget), register a compensation that restores them
exactly (re-index the old `_source`, or delete a document that did not exist), then write with the
bulk API using optimistic concurrency (`if_seq_no`/`if_primary_term`, `create` for new documents):
a concurrent writer makes the plugin re-read and re-apply, so no update is lost.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from didmeta.errors import (
    DidmetaError,
    FailedPrecondition,
    InternalError,
    InvalidArgument,
    NotFound,
    Unavailable,
    Unimplemented,
)
from didmeta.filters.model import Clause, Op, Quantifier
from didmeta.filters.regex import lowered, lucene_regex, parse_regex
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ALL_FEATURES, ExternalPlugin, ExternalQuery, QueryText, UnitOfWork, ValueCounts
from didmeta.values import INT64_MAX, INT64_MIN, Metadata, MetaValue, from_json, normalize_timestamp, to_json

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from didmeta.server.store.engine import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

PLUGIN_NAME: Final = "ELASTIC"
LAYOUT_VERSION: Final = 2  # 2: `kl` entries carry `n` (length) and `o` (non-scalar elements)
FLAVORS: Final = ("auto", "opensearch", "elasticsearch")
REFRESH_POLICIES: Final = ("wait_for", "true", "false")

#: Lucene refuses indexed terms longer than this many bytes ("immense term").
MAX_TERM_BYTES: Final = 32766
_MGET_CHUNK: Final = 1000
_FACET_CHUNK: Final = 2000  # DIDs per aggregation: 5 typed terms aggregations stay under search.max_buckets
_BULK_DOCS: Final = 500
_BULK_BYTES: Final = 5 * 1024 * 1024
_MAX_PAGE: Final = 10_000
_WRITE_ATTEMPTS: Final = 8
_PIT_KEEP_ALIVE: Final = "2m"
_HEALTH_TIMEOUT_S: Final = 2.0
_UNAVAILABLE_STATUSES: Final = frozenset({408, 429, 502, 503, 504})
#: Errors of a cluster that lost a node or has not placed a shard yet: transient, so UNAVAILABLE. Item
#: errors inside an mget or bulk answer carry these types without an HTTP status.
_UNAVAILABLE_TYPES: Final = frozenset(
    {
        "no_shard_available_action_exception",
        "unavailable_shards_exception",
        "primary_missing_action_exception",
        "node_not_connected_exception",
        "node_disconnected_exception",
        "connect_transport_exception",
        "node_closed_exception",
    }
)
_INDEX_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,254}")
_OBJECT_REPR: Final = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>: ")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

_TYPED_FIELDS: Final[dict[str, dict[str, str]]] = {
    "k": {"type": "keyword"},
    "l": {"type": "long"},
    "d": {"type": "double"},
    "s": {"type": "keyword"},
    "si": {"type": "keyword"},
    "b": {"type": "boolean"},
    "t": {"type": "long"},
}

#: The explicit mapping created by `start()` (see the module docstring).
MAPPING: Final[dict[str, Any]] = {
    "dynamic": "strict",
    "_meta": {"didmeta": {"plugin": PLUGIN_NAME, "layout": LAYOUT_VERSION}},
    "properties": {
        "scope": {"type": "keyword"},
        "name": {"type": "keyword"},
        "keys": {"type": "keyword"},
        "v": {"type": "object", "enabled": False},
        "kv": {"type": "nested", "properties": _TYPED_FIELDS},
        "kl": {"type": "nested", "properties": {**_TYPED_FIELDS, "n": {"type": "long"}, "o": {"type": "boolean"}}},
    },
}

_OPTION_ERROR: Final = "INVALID_PLUGIN_OPTION"
_MATCH_NONE: Final[dict[str, Any]] = {"match_none": {}}


# --- client libraries --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Library:
    """One client library: its client class and the exception classes to translate."""

    flavor: str
    client_class: Any
    base_error: type[Exception]
    connection_error: type[Exception]


def _import(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@cache
def _library(flavor: str) -> _Library | None:
    """The client library of a flavor, or None if it is not installed."""
    if flavor == "opensearch":
        package, exceptions = _import("opensearchpy"), _import("opensearchpy.exceptions")
        if package is None or exceptions is None:
            return None
        return _Library(
            flavor,
            package.OpenSearch,
            exceptions.OpenSearchException,
            exceptions.ConnectionError,
        )
    package, exceptions = _import("elasticsearch"), _import("elasticsearch.exceptions")
    if package is None or exceptions is None:
        return None
    return _Library(
        flavor,
        package.Elasticsearch,
        exceptions.ElasticsearchException,
        exceptions.ConnectionError,
    )


def _installed_libraries() -> list[_Library]:
    return [lib for lib in (_library("opensearch"), _library("elasticsearch")) if lib is not None]


def _client_errors() -> tuple[type[Exception], ...]:
    """Every exception class a client call may raise that must not leave this module."""
    return tuple(lib.base_error for lib in _installed_libraries())


def _error_detail(exc: Exception) -> str:
    """A short text for a client exception: status, error type and reason when the server sent them."""
    info = getattr(exc, "info", None)
    status = getattr(exc, "status_code", None)
    if isinstance(info, Mapping) and isinstance(info.get("error"), Mapping):
        error = info["error"]
        cause = error.get("caused_by") if isinstance(error.get("caused_by"), Mapping) else error
        return f"{status} {error.get('type')}: {cause.get('reason') or error.get('reason')}"
    if isinstance(status, int):
        return f"{status} {getattr(exc, 'error', '')}"
    text = _OBJECT_REPR.sub("", str(exc)).split(") caused by: ")[0]  # urllib3 objects say nothing useful
    return text if len(text) <= 300 else text[:300] + "..."


#: Error types that decide the answer even when they are only the cause of a wrapping error (a search
#: phase failing because a node is gone is 500 search_phase_execution_exception on the outside).
_TELLING_TYPES: Final = frozenset(
    {"index_not_found_exception", "search_context_missing_exception", *_UNAVAILABLE_TYPES}
)


def _error_type(exc: Exception) -> str | None:
    info = getattr(exc, "info", None)
    if isinstance(info, Mapping) and isinstance(info.get("error"), Mapping):
        error = info["error"]
        shards = error.get("failed_shards") or []
        failed_shards = [shard.get("reason") for shard in shards if isinstance(shard, Mapping)]
        causes = [error, error.get("caused_by") or {}, *(error.get("root_cause") or []), *failed_shards]
        for cause in causes:
            if isinstance(cause, Mapping) and cause.get("type") in _TELLING_TYPES:
                return str(cause["type"])
        return str(error.get("type"))
    error_text = getattr(exc, "error", None)
    return error_text if isinstance(error_text, str) else None


# --- values as indexed fields ------------------------------------------------------------------------
def _micros(value: datetime) -> int:
    return (normalize_timestamp(value) - _EPOCH) // _MICROSECOND


def _scalar_fields(value: MetaValue) -> dict[str, Any] | None:
    """The typed field(s) of a scalar value; None for null, lists and maps."""
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, int):
        return {"l": value}
    if isinstance(value, float):
        return {"d": value + 0.0}  # -0.0 -> 0.0: Lucene orders -0.0 below 0.0, SQL says they are equal
    if isinstance(value, str):
        return {"s": value, "si": value.lower()}
    if isinstance(value, datetime):
        return {"t": _micros(value)}
    return None


def _document(did: DidKey, metadata: Metadata) -> dict[str, Any]:
    """The index document of a DID's metadata (no None values)."""
    kv: list[dict[str, Any]] = []
    kl: list[dict[str, Any]] = []
    for key, value in metadata.items():
        if isinstance(value, list):
            entry: dict[str, Any] = {"k": key, "n": len(value)}
            for element in value:
                fields = _scalar_fields(element)
                if fields is None:
                    entry["o"] = True  # never compares true: `all` fails on it
                for name, typed in (fields or {}).items():
                    entry.setdefault(name, []).append(typed)
            kl.append(entry)
        else:
            scalar = _scalar_fields(value)
            if scalar is not None:
                kv.append({"k": key, **scalar})
    document: dict[str, Any] = {
        "scope": did.scope,
        "name": did.name,
        "keys": list(metadata),
        "v": {key: to_json(value) for key, value in metadata.items()},
    }
    if kv:
        document["kv"] = kv
    if kl:
        document["kl"] = kl
    return document


def _metadata_of(source: Mapping[str, Any]) -> Metadata:
    stored = source.get("v") or {}
    return {key: from_json(value) for key, value in stored.items()}


def _canonical(metadata: Metadata) -> str:
    """Type-exact comparison form (5 and 5.0, 1 and True differ)."""
    return json.dumps(to_json(metadata), sort_keys=True)


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


def _bucket_value(field_name: str, key: Any) -> MetaValue:
    """The value of a terms bucket of a typed field (booleans come back as 1/0, timestamps as microseconds)."""
    if field_name == "b":
        return bool(key)
    if field_name == "l":
        return int(key)
    if field_name == "d":
        return float(key)
    if field_name == "t":
        return _EPOCH + int(key) * _MICROSECOND
    return str(key)


def _doc_id(did: DidKey) -> str:
    return f"{did.scope}:{did.name}"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


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


# --- the plugin --------------------------------------------------------------------------------------
@dataclass
class _Stored:
    """A document as read: its source and its optimistic-concurrency tokens."""

    source: dict[str, Any]
    seq_no: int
    primary_term: int


@dataclass
class _Undo:
    """What a compensation restores: each touched DID's source before the write (None: no document)."""

    before: dict[DidKey, dict[str, Any] | None] = field(default_factory=dict)
    touched: set[DidKey] = field(default_factory=set)


@dataclass
class _Connected:
    """The client in use, and whether listings run inside a point in time."""

    library: _Library
    client: Any
    use_pit: bool


def _version(number: object) -> tuple[int, ...]:
    """A version number as a tuple: (7, 10, 2) for "7.10.2"; () if it does not start with digits."""
    parts = []
    for part in str(number).split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def _option_text(options: Mapping[str, Any], name: str, default: str | None) -> str:
    value = options.get(name, default)
    if isinstance(value, bool):  # YAML reads refresh: true / false as booleans
        value = "true" if value else "false"
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument.for_field(
            f"plugin_options.{PLUGIN_NAME}.{name}",
            "required" if value is None else f"not a text: {value!r}",
            reason=_OPTION_ERROR,
        )
    return value.strip()


class ElasticPlugin(ExternalPlugin):
    """Metadata in an Elasticsearch or OpenSearch index; see the module docstring."""

    name = PLUGIN_NAME
    description = "Metadata in an Elasticsearch or OpenSearch index (typed nested key/value entries)"
    options_spec = {
        "url": "server URL (required), e.g. http://127.0.0.1:9200; credentials may be in the URL; "
        "several nodes of one cluster comma-separated",
        "index": "index name (default didmeta); created with this plugin's mapping if missing",
        "shards": "primary shards of the index when the plugin creates it (default: the server's)",
        "replicas": "replicas per shard of the index when the plugin creates it (default: the server's)",
        "flavor": "auto (default: GET / decides) | opensearch (opensearch-py) | elasticsearch (elasticsearch-py 7.13)",
        "refresh": "write refresh policy: wait_for (default) | true | false (select may lag writes until a refresh)",
        "timeout_seconds": "per-request timeout in seconds (default 10)",
    }
    # Every operator: NE and EXISTS=false are answered by the dispatcher as complements of EQ and
    # EXISTS=true; `resume` and `exact_limit` follow from the ordered stream with `after`;
    # `recursive` is the dispatcher's walk over select(); writes are compensated (atomic_writes).
    features = ALL_FEATURES

    def __init__(self, options: Mapping[str, Any], store: Store) -> None:
        super().__init__(options, store)

        def refuse(option: str, description: str) -> InvalidArgument:
            return InvalidArgument.for_field(
                f"plugin_options.{PLUGIN_NAME}.{option}", description, reason=_OPTION_ERROR
            )

        self.url = _option_text(options, "url", None)
        self.hosts = [host.strip() for host in (self.url or "").split(",") if host.strip()]
        self.index_settings: dict[str, int] = {}
        for option, setting, least in (("shards", "number_of_shards", 1), ("replicas", "number_of_replicas", 0)):
            if option in options:
                count = options[option]
                if isinstance(count, bool) or not isinstance(count, int) or count < least:
                    raise refuse(option, f"expected a whole number >= {least}, got {count!r}")
                self.index_settings[setting] = count
        self.index = _option_text(options, "index", "didmeta")
        if not _INDEX_NAME_RE.fullmatch(self.index):
            raise refuse("index", f"invalid index name {self.index!r}: lower case letters, digits, '.', '_', '-'")
        self.flavor_option = _option_text(options, "flavor", "auto").lower()
        if self.flavor_option not in FLAVORS:
            raise refuse("flavor", f"expected one of {', '.join(FLAVORS)}")
        self.refresh = _option_text(options, "refresh", "wait_for").lower()
        if self.refresh not in REFRESH_POLICIES:
            raise refuse("refresh", f"expected one of {', '.join(REFRESH_POLICIES)}")
        timeout = options.get("timeout_seconds", 10)
        try:
            self.timeout = math.nan if isinstance(timeout, bool) else float(timeout)
        except (TypeError, ValueError):
            self.timeout = math.nan
        if not (self.timeout > 0 and math.isfinite(self.timeout)):
            raise refuse("timeout_seconds", f"not a positive number of seconds: {timeout!r}")
        if self.flavor_option != "auto" and _library(self.flavor_option) is None:
            package = "opensearch-py" if self.flavor_option == "opensearch" else "elasticsearch"
            raise refuse("flavor", f"flavor {self.flavor_option} needs the {package} package (the `search` extra)")
        if not _installed_libraries():
            raise refuse("flavor", "neither opensearch-py nor elasticsearch is installed (the `search` extra)")
        self._lock = threading.Lock()
        self._connected: _Connected | None = None
        self._ready = False

    # --- connection, errors, index -------------------------------------------------------------------
    @property
    def flavor(self) -> str | None:
        """The flavor in use ("opensearch" / "elasticsearch"), None until detected."""
        return self._connected.library.flavor if self._connected else None

    def _new_client(self, library: _Library) -> Any:
        # One retry per other node: a connection error on one node moves the request to the next.
        return library.client_class(
            hosts=self.hosts, timeout=self.timeout, max_retries=max(1, len(self.hosts)), retry_on_timeout=False
        )

    def _translate(self, exc: Exception, action: str) -> DidmetaError:
        """The one mapping of client exceptions to didmeta errors (no client exception leaves the plugin)."""
        meta = {"plugin": PLUGIN_NAME}
        detail = _error_detail(exc)
        connection_errors = tuple(lib.connection_error for lib in _installed_libraries())
        status = getattr(exc, "status_code", None)
        transient = status in _UNAVAILABLE_STATUSES or _error_type(exc) in _UNAVAILABLE_TYPES
        if isinstance(exc, connection_errors) or transient:
            return Unavailable(f"ELASTIC backend unavailable: {action}: {detail}", metadata=meta)
        if _error_type(exc) == "index_not_found_exception":
            self._ready = False  # recreated by the next call
            return Unavailable(f"ELASTIC backend unavailable: {action}: index {self.index!r} is missing", metadata=meta)
        return InternalError(f"ELASTIC backend error: {action}: {detail}", metadata=meta)

    def _call(self, action: str, call: Callable[..., T], **kwargs: Any) -> T:
        """`call(**kwargs)` with client exceptions translated."""
        try:
            return call(**kwargs)
        except _client_errors() as exc:
            raise self._translate(exc, action) from exc

    def _connect(self, request_timeout: float | None) -> _Connected:
        """Read `GET /` once: the flavor (if "auto"), and whether the server has a point in time."""
        if self._connected is not None:
            return self._connected
        auto = self.flavor_option == "auto"
        library = _installed_libraries()[0] if auto else _library(self.flavor_option)
        assert library is not None  # checked in __init__
        client = self._new_client(library)
        try:
            params = {"request_timeout": request_timeout} if request_timeout else {}
            version = self._call("read the server version", client.info, params=params).get("version") or {}
            distribution = "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"
            flavor = distribution if auto else self.flavor_option
            if flavor != distribution:
                log.warning("ELASTIC: flavor %s configured, but %s reports %s", flavor, self.url, distribution)
            if library.flavor != flavor:
                client.close()
                library = _library(flavor)
                if library is None:
                    raise FailedPrecondition(
                        f"ELASTIC: the server at {self.url} is {flavor}, whose client library is not installed",
                        reason="CLIENT_MISSING",
                        metadata={"plugin": PLUGIN_NAME},
                    )
                client = self._new_client(library)
        except BaseException:
            client.close()
            raise
        number = _version(version.get("number"))
        if flavor != distribution:
            use_pit = False
        elif flavor == "opensearch":
            use_pit = number >= (2, 4)  # OpenSearch's point in time API
        else:  # X-Pack's point in time; not in the OSS build (where `/<index>/_pit` answers 400)
            use_pit = number >= (7, 10) and version.get("build_flavor") != "oss"
        log.info("ELASTIC: %s %s at %s, point in time: %s", flavor, version.get("number"), self.url, use_pit)
        self._connected = _Connected(library, client, use_pit)
        return self._connected

    def _ensure_ready(self, request_timeout: float | None = None) -> _Connected:
        """Connected, and the index exists with this plugin's mapping (created if missing)."""
        if self._ready and self._connected is not None:
            return self._connected
        with self._lock:
            connected = self._connect(request_timeout)
            if self._ready:
                return connected
            client = connected.client
            params: dict[str, Any] = {"request_timeout": request_timeout} if request_timeout else {}
            exists = self._call("check the index", lambda: client.indices.exists(index=self.index, params=params))
            if not exists:
                try:
                    body: dict[str, Any] = {"mappings": MAPPING}
                    if self.index_settings:
                        body["settings"] = {"index": self.index_settings}
                    client.indices.create(index=self.index, body=body, params=params)
                    log.info("ELASTIC: created index %s", self.index)
                except _client_errors() as exc:
                    if _error_type(exc) != "resource_already_exists_exception":  # else: created meanwhile
                        raise self._translate(exc, "create the index") from exc
            self._check_mapping(client, params)
            self._ready = True
            return connected

    def _check_mapping(self, client: Any, params: dict[str, Any]) -> None:
        answer = self._call(
            "read the index mapping", lambda: client.indices.get_mapping(index=self.index, params=params)
        )
        for mapping in answer.values():
            meta = (mapping.get("mappings") or {}).get("_meta") or {}
            if meta.get("didmeta") != MAPPING["_meta"]["didmeta"]:
                raise FailedPrecondition(
                    f"ELASTIC: index {self.index!r} exists but does not have the layout of this plugin "
                    f"(_meta {meta!r}); use another index or reindex it",
                    reason="INCOMPATIBLE_INDEX",
                    metadata={"plugin": PLUGIN_NAME, "index": self.index},
                )

    def start(self) -> None:
        try:
            self._ensure_ready()
        except Unavailable as exc:
            log.warning("ELASTIC: %s; will retry on the next call", exc)

    def close(self) -> None:
        with self._lock:
            connected, self._connected, self._ready = self._connected, None, False
        if connected is not None:
            try:
                connected.client.close()
            except _client_errors():
                log.debug("ELASTIC: error while closing the client", exc_info=True)

    def check_health(self) -> bool:
        try:
            connected = self._ensure_ready(_HEALTH_TIMEOUT_S)
            health = self._call(
                "check cluster health",
                lambda: connected.client.cluster.health(
                    index=self.index, params={"timeout": "1s", "request_timeout": _HEALTH_TIMEOUT_S}
                ),
            )
        except DidmetaError:
            return False
        return health.get("status") in ("green", "yellow")

    # --- values ----------------------------------------------------------------------------------------
    def check_values(self, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        for did, metadata in items:
            for key, value in metadata.items():
                elements = value if isinstance(value, list) else [value]
                for text in (element for element in elements if isinstance(element, str)):
                    if max(len(text.encode()), len(text.lower().encode())) > MAX_TERM_BYTES:
                        raise InvalidArgument.for_field(
                            f"metadata[{did}].{key}",
                            f"plugin {PLUGIN_NAME} cannot index strings longer than {MAX_TERM_BYTES} UTF-8 bytes",
                            reason="INVALID_VALUE",
                        )

    # --- reads -----------------------------------------------------------------------------------------
    def _mget(self, dids: Sequence[DidKey]) -> dict[DidKey, _Stored]:
        client = self._ensure_ready().client
        found: dict[DidKey, _Stored] = {}
        unique = list(dict.fromkeys(dids))
        for start in range(0, len(unique), _MGET_CHUNK):
            chunk = unique[start : start + _MGET_CHUNK]
            body = {"ids": [_doc_id(did) for did in chunk]}
            answer = self._call("read documents", client.mget, index=self.index, body=body)
            for did, doc in zip(chunk, answer["docs"], strict=True):
                if "error" in doc:
                    raise self._item_error(doc, "read documents")
                if doc.get("found"):
                    found[did] = _Stored(doc["_source"], int(doc["_seq_no"]), int(doc["_primary_term"]))
        return found

    def get_many(self, conn: Connection | None, dids: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        result: dict[DidKey, Metadata] = {}
        for did, stored in self._mget(dids).items():
            metadata = _metadata_of(stored.source)
            if metadata:
                result[did] = metadata
        return result

    def value_counts(self, conn: Connection | None, key: str, dids: Sequence[DidKey]) -> ValueCounts:
        """Per chunk of DIDs: the documents holding `key` (present), and a terms aggregation per typed
        field of the key's nested `kv` entry (its scalar values)."""
        client = self._ensure_ready().client
        result = ValueCounts()
        unique = list(dict.fromkeys(dids))
        for start in range(0, len(unique), _FACET_CHUNK):
            chunk = unique[start : start + _FACET_CHUNK]
            typed = {name: {"terms": {"field": f"kv.{name}", "size": len(chunk)}} for name in ("l", "d", "s", "b", "t")}
            body: dict[str, Any] = {
                "size": 0,
                "track_total_hits": True,
                "query": {
                    "bool": {"filter": [{"ids": {"values": [_doc_id(d) for d in chunk]}}, {"term": {"keys": key}}]}
                },
                "aggs": {
                    "kv": {
                        "nested": {"path": "kv"},
                        "aggs": {"key": {"filter": {"term": {"kv.k": key}}, "aggs": typed}},
                    }
                },
            }
            answer = self._call("aggregate", client.search, index=self.index, body=body)
            total = answer["hits"]["total"]
            result.present += int(total["value"] if isinstance(total, Mapping) else total)
            aggregations = answer["aggregations"]["kv"]["key"]
            for name in ("l", "d", "s", "b", "t"):
                for bucket in aggregations[name]["buckets"]:
                    result.values.append((_bucket_value(name, bucket["key"]), int(bucket["doc_count"])))
        return result

    def explain_select(self, query: ExternalQuery) -> QueryText:
        return QueryText("search", json.dumps({"index": self.index, "body": search_body(query)}))

    def select(self, query: ExternalQuery) -> Iterator[list[DidKey]]:
        connected = self._ensure_ready()
        body = search_body(query)
        size = int(body["size"])
        if connected.use_pit:
            try:
                pit_id = self._open_pit(connected)
            except InternalError as exc:
                if connected.library.flavor == "opensearch":
                    raise
                log.warning("ELASTIC: no point in time (%s); listing with search_after alone", exc)
                connected.use_pit = False
            else:
                yield from self._select_with_pit(connected, body, size, pit_id)
                return
        yield from self._select_after(connected.client, body, size)

    @staticmethod
    def _page(answer: Mapping[str, Any]) -> tuple[list[DidKey], list[Any] | None]:
        hits = answer["hits"]["hits"]
        keys = [DidKey(str(hit["sort"][0]), str(hit["sort"][1])) for hit in hits]
        return keys, (list(hits[-1]["sort"]) if hits else None)

    def _select_after(self, client: Any, body: dict[str, Any], size: int) -> Iterator[list[DidKey]]:
        """Without a point in time: search_after on the unique (scope, name) sort, a fresh search per page."""
        params = {"allow_partial_search_results": "false", "preference": f"didmeta-{uuid.uuid4().hex}"}
        after: list[Any] | None = None
        while True:
            page_body = dict(body, search_after=after) if after is not None else body
            answer = self._call("search", client.search, index=self.index, body=page_body, params=params)
            keys, after = self._page(answer)
            if keys:
                yield keys
            if len(keys) < size:
                return

    def _open_pit(self, connected: _Connected) -> str:
        params = {"keep_alive": _PIT_KEEP_ALIVE}
        if connected.library.flavor == "opensearch":  # POST /<index>/_search/point_in_time
            opened = self._call("open a point in time", connected.client.create_pit, index=self.index, params=params)
            return str(opened["pit_id"])
        opened = self._call(  # Elasticsearch: POST /<index>/_pit
            "open a point in time", connected.client.open_point_in_time, index=self.index, params=params
        )
        return str(opened["id"])

    def _close_pit(self, connected: _Connected, pit_id: str) -> None:
        try:
            if connected.library.flavor == "opensearch":  # DELETE /_search/point_in_time
                connected.client.delete_pit(body={"pit_id": [pit_id]})
            else:  # DELETE /_pit
                connected.client.close_point_in_time(body={"id": pit_id})
        except _client_errors():
            log.debug("ELASTIC: could not close a point in time (it expires by itself)", exc_info=True)

    def _select_with_pit(
        self, connected: _Connected, body: dict[str, Any], size: int, pit_id: str
    ) -> Iterator[list[DidKey]]:
        """search_after inside a point in time (no index in the path), reopened if it expires mid-stream.

        Pages continue from the last hit's sort values (with the tiebreaker Elasticsearch adds to
        point-in-time sorts). They stay valid in a reopened point in time: (scope, name) is unique, so
        the stream resumes right after the last DID delivered.
        """
        params = {"allow_partial_search_results": "false"}
        current: str | None = pit_id
        progressed = False
        after: list[Any] | None = None
        try:
            while True:
                if current is None:
                    current, progressed = self._open_pit(connected), False
                page_body = dict(body, pit={"id": current, "keep_alive": _PIT_KEEP_ALIVE})
                if after is not None:
                    page_body["search_after"] = after
                try:
                    answer = connected.client.search(body=page_body, params=params)
                except _client_errors() as exc:
                    if _error_type(exc) == "search_context_missing_exception" and progressed:
                        log.info("ELASTIC: point in time expired mid-stream; reopening after %s", after)
                        self._close_pit(connected, current)
                        current = None
                        continue
                    raise self._translate(exc, "search") from exc
                current = str(answer.get("pit_id") or current)
                keys, after = self._page(answer)
                progressed = True
                if keys:
                    yield keys
                if len(keys) < size:
                    return
        finally:
            if current is not None:
                self._close_pit(connected, current)

    # --- writes ----------------------------------------------------------------------------------------
    def _item_error(self, item: Mapping[str, Any], action: str) -> DidmetaError:
        error = item.get("error")
        status = item.get("status")
        error_type = error.get("type") if isinstance(error, Mapping) else str(error)
        reason = error.get("reason") if isinstance(error, Mapping) else ""
        detail = f"{status} {error_type}: {reason} (document {item.get('_id')})"
        meta = {"plugin": PLUGIN_NAME}
        if status in _UNAVAILABLE_STATUSES or error_type in {"index_not_found_exception", *_UNAVAILABLE_TYPES}:
            if error_type == "index_not_found_exception":
                self._ready = False
            return Unavailable(f"ELASTIC backend unavailable: {action}: {detail}", metadata=meta)
        return InternalError(f"ELASTIC backend error: {action}: {detail}", metadata=meta)

    def _bulk(self, operations: Sequence[tuple[DidKey, str]], action: str) -> list[tuple[DidKey, dict[str, Any]]]:
        """Send pre-serialized bulk operations in chunks; each DID with its item result."""
        client = self._ensure_ready().client
        results: list[tuple[DidKey, dict[str, Any]]] = []
        chunk: list[tuple[DidKey, str]] = []
        size = 0

        def flush() -> None:
            nonlocal size
            if not chunk:
                return
            body = "".join(text for _, text in chunk)
            answer = self._call(action, lambda: client.bulk(body=body, params={"refresh": self.refresh}))
            for (did, _), item in zip(chunk, answer["items"], strict=True):
                results.append((did, next(iter(item.values()))))
            chunk.clear()
            size = 0

        for did, text in operations:
            if chunk and (len(chunk) >= _BULK_DOCS or size + len(text) > _BULK_BYTES):
                flush()
            chunk.append((did, text))
            size += len(text)
        flush()
        return results

    def _operation(self, did: DidKey, stored: _Stored | None, metadata: Metadata) -> str | None:
        """The bulk operation that turns `stored` into `metadata` (None: nothing to do)."""
        target: dict[str, Any] = {"_index": self.index, "_id": _doc_id(did)}
        if stored is not None:
            target.update(if_seq_no=stored.seq_no, if_primary_term=stored.primary_term)
        if not metadata:
            return _dumps({"delete": target}) + "\n" if stored is not None else None
        verb = "index" if stored is not None else "create"
        return _dumps({verb: target}) + "\n" + _dumps(_document(did, metadata)) + "\n"

    def _mutate(
        self, uow: UnitOfWork, dids: Sequence[DidKey], change: Callable[[DidKey, Metadata], Metadata], action: str
    ) -> None:
        """Read, change and write documents with optimistic concurrency; compensated on rollback."""
        undo = _Undo()
        uow.on_rollback(lambda: self._restore(undo))
        pending = list(dict.fromkeys(dids))
        for _attempt in range(_WRITE_ATTEMPTS):
            current = self._mget(pending)
            operations: list[tuple[DidKey, str]] = []
            for did in pending:
                stored = current.get(did)
                old = _metadata_of(stored.source) if stored is not None else {}
                new = change(did, old)
                if _canonical(new) == _canonical(old):
                    continue
                operation = self._operation(did, stored, new)
                if operation is not None:
                    undo.before[did] = stored.source if stored is not None else None
                    operations.append((did, operation))
            undo.touched.update(did for did, _ in operations)
            conflicts: list[DidKey] = []
            failure: DidmetaError | None = None
            for did, item in self._bulk(operations, action):
                status = int(item.get("status", 500))
                if 200 <= status < 300:
                    continue
                undo.touched.discard(did)
                if status == 409:
                    conflicts.append(did)
                elif failure is None:
                    failure = self._item_error(item, action)
            if failure is not None:
                raise failure
            if not conflicts:
                return
            pending = conflicts
        raise Unavailable(
            f"ELASTIC backend unavailable: {action}: documents kept changing concurrently; retry",
            reason="CONCURRENT_UPDATE",
            metadata={"plugin": PLUGIN_NAME},
        )

    def _restore(self, undo: _Undo) -> None:
        """Compensation: put back the documents as they were before this plugin's write."""
        operations: list[tuple[DidKey, str]] = []
        for did in sorted(undo.touched):
            target = _dumps({"_index": self.index, "_id": _doc_id(did)})
            before = undo.before.get(did)
            if before is None:
                operations.append((did, f'{{"delete":{target}}}\n'))
            else:
                operations.append((did, f'{{"index":{target}}}\n{_dumps(before)}\n'))
        for did, item in self._bulk(operations, "restore documents"):
            status = int(item.get("status", 500))
            if not (200 <= status < 300 or (status == 404 and undo.before.get(did) is None)):
                raise self._item_error(item, "restore documents")
        undo.touched.clear()

    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        updates: dict[DidKey, list[Metadata]] = {}
        for did, metadata in items:
            updates.setdefault(did, []).append(metadata)

        def merge(did: DidKey, old: Metadata) -> Metadata:
            new = dict(old)
            for metadata in updates[did]:
                for key, value in metadata.items():
                    if value is None:
                        new.pop(key, None)
                    else:
                        new[key] = value
            return new

        self._mutate(uow, list(updates), merge, "write metadata")

    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        def drop(target: DidKey, old: Metadata) -> Metadata:
            for key in keys:
                if key not in old:
                    raise NotFound(f"key {key!r} is not set on {target}", reason="KEY_NOT_FOUND", metadata={"key": key})
            return {key: value for key, value in old.items() if key not in keys}

        self._mutate(uow, [did], drop, "delete keys")

    def delete_dids(self, uow: UnitOfWork, dids: Sequence[DidKey]) -> None:
        self._mutate(uow, dids, lambda _did, _old: {}, "delete DIDs")
