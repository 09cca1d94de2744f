"""MONGO: metadata in a MongoDB collection (or anything speaking its wire protocol, e.g. FerretDB).

Options (`plugin_options.MONGO`):
    url           required, e.g. ``mongodb://127.0.0.1:27018/``
    database      default ``didmeta``
    collection    default ``did_meta``
    keys          optional list: the only keys this plugin manages (default: every key)
    indexed_keys  optional list of metadata keys to index (``m.<key>``)
    timeout_ms    default 5000: server selection, connect and socket timeouts

Storage: one document per DID::

    {
      "_id":   "<scope>:<name>",      # collision-free: ':' cannot occur in a scope
      "scope": "<scope>", "name": "<name>",
      "m":  {<key>: <encoded value>, ...},
      "lc": {<key>: <lower-cased copy>, ...}   # only for keys whose value is a string
    }

Encoded values (metadata keys and map keys match ``[A-Za-z_][A-Za-z0-9_-]*``, so a field name
starting with a digit can never come from a user and the tags below are unforgeable):

    int        BSON int64 (decoded back to ``int``)
    double     BSON double (``5.0`` stays a float)
    string     BSON string; its lower-cased copy under ``lc.<key>`` serves ``ignore_case``
    bool       BSON bool
    timestamp  ``{"0ts": <int64 microseconds since 1970-01-01T00:00:00Z>}``: BSON dates only keep
               milliseconds; an int64 keeps microseconds and orders correctly (``m.<key>.0ts``)
    list       ``{"0l": [<encoded items>]}``, and at the top level also ``"0lc": [<lower-cased string
               items>]`` (for ``contains`` with ``ignore_case``)
    map        a sub-document of encoded values
    null       never stored: setting a key to None removes it

No BSON array is ever stored directly under ``m.<key>`` (lists are wrapped, also nested ones). So
MongoDB's implicit array traversal cannot make ``{"m.k": 5}`` match a list containing 5, and type
bracketing does the rest of spec §4.3: a numeric filter value matches int64 and double values
numerically, a string matches strings, a timestamp matches only ``0ts`` sub-documents, a bool only
bools; lists match only ``contains`` (``m.<key>.0l``), maps never. Strings compare in byte order
(no collation), like the relational plugins. Wildcards and prefixes are anchored regular
expressions (``\\z`` at the end, every other character escaped) on strings only.

Writes: each write first reads the previous documents of its DIDs and registers a compensation
(`UnitOfWork.on_rollback`) that puts exactly the touched keys back (and deletes again a document
that did not exist and holds no key any more); compensating per key rather than per document
leaves keys written meanwhile by other requests alone. Then one unordered ``bulk_write``: an
``$set``/``$unset`` upsert per existing document, an insert per new one (retried as the upsert if
the document appeared meanwhile). Inserts matter on FerretDB/SQLite, which commits every update
separately (2 500 upserts take ~15 s there, 2 500 inserts ~0.1 s).

MongoDB features deliberately not used, because FerretDB (the test server) lacks them: multi-
document transactions (hence the compensations), collations (case-insensitivity uses the
lower-cased copies), ``$elemMatch`` on sub-documents and whole-document equality inside arrays
(timestamps inside lists are matched through the dotted path ``m.<key>.0l.0ts``). FerretDB's
SQLite backend cannot delete more than 32 766 documents in one ``delete_many``: deletes go in
chunks of 30 000. It also ignores indexes (every query scans), so `timeout_ms` bounds how large a
collection it can serve.

Errors: every pymongo error becomes `Unavailable` (in `_backend_errors`, the one place). pymongo
reconnects by itself; nothing broken is cached (indexes are retried until created once).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

import pymongo
from bson.int64 import Int64
from pymongo import ASCENDING, DeleteOne, InsertOne, MongoClient, ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, ConfigurationError, PyMongoError

from didmeta.errors import DidmetaError, InvalidArgument, NotFound, Unavailable
from didmeta.filters.model import Clause, Op, Quantifier
from didmeta.filters.regex import lowered, mongo_regex, parse_regex
from didmeta.identifiers import KEY_RE, DidKey
from didmeta.plugins.base import ALL_FEATURES, ExternalPlugin, ExternalQuery, QueryText, UnitOfWork, ValueCounts
from didmeta.values import Metadata, MetaValue, normalize_timestamp, type_name

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from didmeta.server.store.engine import Store

log = logging.getLogger(__name__)

Document: TypeAlias = dict[str, Any]
#: A MongoDB query filter; None stands for "matches nothing" (no query is sent).
Query: TypeAlias = "dict[str, Any] | None"
Write: TypeAlias = "InsertOne[Document] | UpdateOne | DeleteOne | ReplaceOne[Document]"

PLUGIN_NAME = "MONGO"
META = "m"
LOWER = "lc"
TS_TAG = "0ts"
LIST_TAG = "0l"
LIST_LOWER_TAG = "0lc"
SCOPE_NAME_INDEX = "scope_name"

#: DIDs per `$in` read; ids per delete_many (FerretDB/SQLite fails above 32 766 deletions).
_READ_CHUNK = 5000
_DELETE_CHUNK = 30000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
_HEALTH_TIMEOUT_S = 2.0
_MESSAGE_LIMIT = 500
_COMPARISON = {Op.EQ: "$eq", Op.LT: "$lt", Op.LTE: "$lte", Op.GT: "$gt", Op.GTE: "$gte"}
_ANY_RUN = r"[\s\S]*"
_DUPLICATE_KEY = 11000


# --- errors --------------------------------------------------------------------------------------
@contextmanager
def _backend_errors(action: str) -> Iterator[None]:
    """Turn every pymongo error raised inside into Unavailable (the one place that maps them)."""
    try:
        yield
    except PyMongoError as exc:
        detail = str(exc)
        if len(detail) > _MESSAGE_LIMIT:
            detail = detail[:_MESSAGE_LIMIT] + "..."
        raise Unavailable(
            f"{PLUGIN_NAME} backend unavailable: {action} failed: {type(exc).__name__}: {detail}",
            metadata={"plugin": PLUGIN_NAME},
        ) from exc


# --- values --------------------------------------------------------------------------------------
def _micros(value: datetime) -> Int64:
    return Int64((normalize_timestamp(value) - _EPOCH) // _ONE_MICROSECOND)


def encode(value: MetaValue, *, top: bool = False) -> Any:
    """The stored form of a (non-null) value; see the module docstring."""
    if isinstance(value, bool | float | str):
        return value
    if isinstance(value, int):
        return Int64(value)
    if isinstance(value, datetime):
        return {TS_TAG: _micros(value)}
    if isinstance(value, list):
        wrapped: Document = {LIST_TAG: [encode(item) for item in value]}
        if top:
            wrapped[LIST_LOWER_TAG] = [item.lower() for item in value if isinstance(item, str)]
        return wrapped
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    raise InvalidArgument(f"{PLUGIN_NAME} cannot store a {type_name(value)} value")


def decode(stored: Any) -> MetaValue:
    """Inverse of `encode`."""
    if isinstance(stored, bool | float | str):
        return stored
    if isinstance(stored, int):
        return int(stored)
    if isinstance(stored, dict):
        if TS_TAG in stored:
            return _EPOCH + int(stored[TS_TAG]) * _ONE_MICROSECOND
        if LIST_TAG in stored:
            return [decode(item) for item in stored[LIST_TAG]]
        return {key: decode(item) for key, item in stored.items()}
    raise TypeError(f"unexpected stored value {stored!r}")


def _check_map_keys(value: MetaValue, field: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not KEY_RE.fullmatch(key):
                raise InvalidArgument.for_field(f"{field}.{key}", f"invalid map key {key!r}", reason="INVALID_KEY")
            _check_map_keys(item, f"{field}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_map_keys(item, f"{field}[{index}]")


def did_id(did: DidKey) -> str:
    """The `_id` of a DID's document."""
    return f"{did.scope}:{did.name}"


def new_document(did: DidKey, metadata: Metadata) -> Document:
    """The document of a DID that has none yet (None values left out)."""
    meta = {key: encode(value, top=True) for key, value in metadata.items() if value is not None}
    lower = {key: value.lower() for key, value in metadata.items() if isinstance(value, str)}
    document: Document = {"_id": did_id(did), "scope": did.scope, "name": did.name, META: meta}
    if lower:
        document[LOWER] = lower
    return document


def bulk_insert_first(collection: Collection[Document], writes: list[Write], fallbacks: dict[int, Write]) -> None:
    """Run `writes` unordered; an insert (index in `fallbacks`) that meets an existing `_id` (a DID
    written concurrently) is retried as its fallback, an upsert. Inserts are what FerretDB does
    fast (one transaction per batch instead of one per update)."""
    try:
        collection.bulk_write(writes, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        retry = [
            fallbacks[error["index"]]
            for error in errors
            if error.get("code") == _DUPLICATE_KEY and error.get("index") in fallbacks
        ]
        if not retry or len(retry) != len(errors):
            raise
        collection.bulk_write(retry, ordered=False)


# --- filters -------------------------------------------------------------------------------------
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


# --- the plugin ----------------------------------------------------------------------------------
class MongoPlugin(ExternalPlugin):
    """One document per DID in a MongoDB collection; writes compensated, reads typed as spec §4.3."""

    name = "MONGO"
    options_spec = {
        "url": "MongoDB URL (required), e.g. mongodb://host:27017/",
        "database": "database name (default didmeta)",
        "collection": "collection name (default did_meta)",
        "timeout_ms": "server selection and socket timeouts in milliseconds (default 5000)",
        "indexed_keys": "keys to index (real MongoDB; FerretDB scans)",
    }
    description = "Metadata as one document per DID in MongoDB (or FerretDB)"
    features = ALL_FEATURES

    def __init__(self, options: Mapping[str, Any], store: Store) -> None:
        super().__init__(options, store)
        url = self.options.get("url")
        if not isinstance(url, str) or not url:
            raise InvalidArgument.for_field("plugin_options.MONGO.url", "a MongoDB URL is required")
        self.url = url
        self.database_name = str(self.options.get("database", "didmeta"))
        self.collection_name = str(self.options.get("collection", "did_meta"))
        timeout_ms = self.options.get("timeout_ms", 5000)
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms <= 0:
            raise InvalidArgument.for_field("plugin_options.MONGO.timeout_ms", "a positive number of milliseconds")
        self.timeout_ms = timeout_ms
        indexed = self.options.get("indexed_keys") or []
        if not isinstance(indexed, list) or not all(isinstance(k, str) and KEY_RE.fullmatch(k) for k in indexed):
            raise InvalidArgument.for_field("plugin_options.MONGO.indexed_keys", "a list of metadata keys")
        self.indexed_keys: list[str] = list(indexed)
        self._lock = threading.Lock()
        self._client: MongoClient[Document] | None = None
        self._indexes_ready = False

    # --- connection ------------------------------------------------------------------------------
    def _mongo(self) -> MongoClient[Document]:
        with self._lock:
            if self._client is None:
                try:
                    self._client = MongoClient(
                        self.url,
                        serverSelectionTimeoutMS=self.timeout_ms,
                        connectTimeoutMS=self.timeout_ms,
                        socketTimeoutMS=self.timeout_ms,
                        appname="didmeta",
                    )
                except ConfigurationError as exc:
                    raise InvalidArgument.for_field("plugin_options.MONGO.url", str(exc)) from exc
            return self._client

    def _raw_collection(self) -> Collection[Document]:
        return self._mongo()[self.database_name][self.collection_name]

    def _collection(self) -> Collection[Document]:
        """The collection, its indexes created first (retried on every call until it succeeds)."""
        collection = self._raw_collection()
        if not self._indexes_ready:
            with _backend_errors("creating indexes"):
                collection.create_index([("scope", ASCENDING), ("name", ASCENDING)], name=SCOPE_NAME_INDEX, unique=True)
                for key in self.indexed_keys:
                    collection.create_index([(f"{META}.{key}", ASCENDING)], name=f"meta_{key}")
            self._indexes_ready = True
        return collection

    def start(self) -> None:
        try:
            self._collection()
        except Unavailable as exc:
            log.warning("%s; indexes will be created on first use", exc)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def check_health(self) -> bool:
        try:
            client = self._mongo()
            with pymongo.timeout(min(_HEALTH_TIMEOUT_S, self.timeout_ms / 1000)):
                client.admin.command("ping")
        except (PyMongoError, DidmetaError):
            return False
        return True

    # --- reads -----------------------------------------------------------------------------------
    def _documents(self, collection: Collection[Document], ids: Sequence[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for start in range(0, len(ids), _READ_CHUNK):
            chunk = list(ids[start : start + _READ_CHUNK])
            with _backend_errors("reading documents"):
                for document in collection.find({"_id": {"$in": chunk}}):
                    found[document["_id"]] = document
        return found

    def get_many(self, conn: Connection, dids: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        collection = self._collection()
        wanted = {did_id(did): did for did in dids}
        result: dict[DidKey, Metadata] = {}
        for doc_id, document in self._documents(collection, list(wanted)).items():
            metadata = {key: decode(value) for key, value in document.get(META, {}).items()}
            if metadata:
                result[wanted[doc_id]] = metadata
        return result

    def value_counts(self, conn: Connection, key: str, dids: Sequence[DidKey]) -> ValueCounts:
        """An aggregation per chunk of DIDs: `$match` on the ids, `$group` on the stored value."""
        collection = self._collection()
        result = ValueCounts()
        ids = [did_id(did) for did in dids]
        for start in range(0, len(ids), _READ_CHUNK):
            pipeline: list[Document] = [
                {"$match": {"_id": {"$in": ids[start : start + _READ_CHUNK]}, f"{META}.{key}": {"$exists": True}}},
                {"$group": {"_id": f"${META}.{key}", "n": {"$sum": 1}}},
            ]
            with _backend_errors("aggregating"):
                groups = list(collection.aggregate(pipeline))
            for group in groups:
                count = int(group["n"])
                result.present += count
                value = decode(group["_id"])
                if not isinstance(value, list | dict):
                    result.values.append((value, count))
        return result

    def explain_select(self, query: ExternalQuery) -> QueryText:
        mongo_query = select_query(query)
        command = {
            "find": self.options.get("collection", "did_meta"),
            "filter": mongo_query if mongo_query is not None else "(nothing can match: no query is sent)",
            "projection": {"_id": False, "scope": True, "name": True},
            "sort": {"scope": 1, "name": 1},
        }
        return QueryText("mongodb", json.dumps(command, default=str))

    def select(self, query: ExternalQuery) -> Iterator[list[DidKey]]:
        mongo_query = select_query(query)
        if mongo_query is None:
            return
        collection = self._collection()
        size = max(1, query.batch_size)
        with _backend_errors("selecting"):
            cursor = collection.find(
                mongo_query,
                projection={"_id": False, "scope": True, "name": True},
                sort=[("scope", ASCENDING), ("name", ASCENDING)],
                batch_size=size,
            )
        try:
            while True:
                with _backend_errors("selecting"):
                    batch = [DidKey(d["scope"], d["name"]) for d in itertools.islice(cursor, size)]
                if not batch:
                    return
                yield batch
                if len(batch) < size:
                    return
        finally:
            cursor.close()

    # --- writes ----------------------------------------------------------------------------------
    def check_values(self, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        for did, metadata in items:
            for key, value in metadata.items():
                if not KEY_RE.fullmatch(key):
                    raise InvalidArgument.for_field(
                        f"metadata[{did}].{key}", f"invalid key {key!r}", reason="INVALID_KEY"
                    )
                _check_map_keys(value, f"metadata[{did}].{key}")

    @staticmethod
    def _key_update(key: str, value: MetaValue, sets: Document, unsets: Document) -> None:
        """Add the changes that give `key` the stored `value` (None: absent) to $set / $unset."""
        if value is None:
            unsets[f"{META}.{key}"] = ""
            unsets[f"{LOWER}.{key}"] = ""
            return
        sets[f"{META}.{key}"] = encode(value, top=True)
        if isinstance(value, str):
            sets[f"{LOWER}.{key}"] = value.lower()
        else:
            unsets[f"{LOWER}.{key}"] = ""

    @staticmethod
    def _restore_ops(doc_id: str, previous: Document | None, keys: Sequence[str]) -> list[Write]:
        """Writes that give `keys` their previous stored values (and drop a document that was absent)."""
        before_meta: Document = (previous or {}).get(META, {})
        before_lower: Document = (previous or {}).get(LOWER, {})
        sets: Document = {}
        unsets: Document = {}
        for key in keys:
            for part, before in ((META, before_meta), (LOWER, before_lower)):
                if key in before:
                    sets[f"{part}.{key}"] = before[key]
                else:
                    unsets[f"{part}.{key}"] = ""
        update: Document = {}
        if sets:
            update["$set"] = sets
        if unsets:
            update["$unset"] = unsets
        return [UpdateOne({"_id": doc_id}, update)] if update else []

    def _register_restore(self, uow: UnitOfWork, previous: dict[str, Document], touched: dict[str, list[str]]) -> None:
        """Register the undo of a write: previous values of the touched keys back, and the
        documents that did not exist before deleted again once they hold no key."""
        updates = [
            op for doc_id, keys in touched.items() for op in self._restore_ops(doc_id, previous.get(doc_id), keys)
        ]
        absent = [doc_id for doc_id in touched if doc_id not in previous]
        if not updates and not absent:
            return

        def undo() -> None:
            collection = self._raw_collection()
            with _backend_errors("compensating a write"):
                if updates:
                    collection.bulk_write(updates, ordered=False)
                for start in range(0, len(absent), _DELETE_CHUNK):
                    chunk = absent[start : start + _DELETE_CHUNK]
                    collection.delete_many({"_id": {"$in": chunk}, META: {}})

        uow.on_rollback(undo)

    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        merged: dict[DidKey, Metadata] = {}
        for did, metadata in items:
            merged.setdefault(did, {}).update(metadata)
        merged = {did: metadata for did, metadata in merged.items() if metadata}
        if not merged:
            return
        collection = self._collection()
        ids = {did_id(did): did for did in merged}
        previous = self._documents(collection, list(ids))
        writes: list[Write] = []
        fallbacks: dict[int, Write] = {}
        touched: dict[str, list[str]] = {}
        for doc_id, did in ids.items():
            metadata = merged[did]
            sets: Document = {}
            unsets: Document = {}
            for key, value in metadata.items():
                self._key_update(key, value, sets, unsets)
            if not sets and doc_id not in previous:
                continue  # only removals on a DID without a document: nothing to do
            update: Document = {"$set": {"scope": did.scope, "name": did.name, **sets}}
            if unsets:
                update["$unset"] = unsets
            upsert = UpdateOne({"_id": doc_id}, update, upsert=True)
            if doc_id not in previous:
                fallbacks[len(writes)] = upsert
                writes.append(InsertOne(new_document(did, metadata)))
            else:
                writes.append(upsert)
            touched[doc_id] = list(metadata)
        self._register_restore(uow, previous, touched)
        if writes:
            with _backend_errors("writing metadata"):
                bulk_insert_first(collection, writes, fallbacks)

    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        collection = self._collection()
        doc_id = did_id(did)
        previous = self._documents(collection, [doc_id])
        stored: Document = previous.get(doc_id, {}).get(META, {})
        for key in keys:
            if key not in stored:
                raise NotFound(f"key {key!r} is not set on {did}", reason="KEY_NOT_FOUND", metadata={"key": key})
        if not keys:
            return
        sets: Document = {}
        unsets: Document = {}
        for key in keys:
            self._key_update(key, None, sets, unsets)
        self._register_restore(uow, previous, {doc_id: list(keys)})
        with _backend_errors("deleting keys"):
            collection.update_one({"_id": doc_id}, {"$unset": unsets})

    def delete_dids(self, uow: UnitOfWork, dids: Sequence[DidKey]) -> None:
        collection = self._collection()
        ids = list(dict.fromkeys(did_id(did) for did in dids))
        previous = self._documents(collection, ids)
        if not previous:
            return
        documents = list(previous.values())

        def undo() -> None:
            inserts: list[Write] = [InsertOne(d) for d in documents]
            replaces: dict[int, Write] = {
                i: ReplaceOne({"_id": d["_id"]}, d, upsert=True) for i, d in enumerate(documents)
            }
            with _backend_errors("compensating a delete"):
                bulk_insert_first(self._raw_collection(), inserts, replaces)

        uow.on_rollback(undo)
        present = list(previous)
        for start in range(0, len(present), _DELETE_CHUNK):
            with _backend_errors("deleting documents"):
                collection.delete_many({"_id": {"$in": present[start : start + _DELETE_CHUNK]}})
