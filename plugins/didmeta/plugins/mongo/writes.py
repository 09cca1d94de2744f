"""MONGO's writes: upserts by one unordered bulk write, deletes, and their compensations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from didmeta.errors import InvalidArgument, NotFound
from didmeta.identifiers import KEY_RE, DidKey
from didmeta.plugins.base import UnitOfWork
from didmeta.plugins.mongo.client import _backend_errors
from didmeta.plugins.mongo.documents import LOWER, META, Document, _check_map_keys, did_id, encode, new_document
from didmeta.plugins.mongo.reads import MongoReads
from didmeta.values import Metadata, MetaValue

Write: TypeAlias = "InsertOne[Document] | UpdateOne | DeleteOne | ReplaceOne[Document]"

#: ids per delete_many (FerretDB/SQLite fails above 32 766 deletions).
_DELETE_CHUNK = 30000
_DUPLICATE_KEY = 11000


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


class MongoWrites(MongoReads):
    """Writes of MONGO: each registers a compensation that restores exactly the keys it touched."""

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
