"""MONGO's reads: documents by id, value counts, and the sorted key stream of `select`."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pymongo import ASCENDING
from pymongo.collection import Collection

from didmeta.identifiers import DidKey
from didmeta.plugins.base import ExternalQuery, QueryText, ValueCounts
from didmeta.plugins.mongo.client import MongoConnection, _backend_errors
from didmeta.plugins.mongo.documents import META, Document, decode, did_id
from didmeta.plugins.mongo.query import select_query
from didmeta.values import Metadata

if TYPE_CHECKING:
    from sqlalchemy import Connection


#: DIDs per `$in` read.
_READ_CHUNK = 5000


class MongoReads(MongoConnection):
    """Reads of MONGO (documents by `_id`, chunked)."""

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
