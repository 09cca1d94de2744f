"""POSTGRES_JSON's writes: locked read-merge-write in a transaction of their own, compensated per key."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Connection, bindparam, delete, update
from sqlalchemy.dialects.postgresql import JSONB, insert

from didmeta.errors import InvalidArgument, NotFound
from didmeta.identifiers import DidKey
from didmeta.plugins.base import UnitOfWork
from didmeta.plugins.postgres_json.client import PLUGIN_NAME
from didmeta.plugins.postgres_json.reads import _CHUNK, Document, PostgresJsonReads
from didmeta.values import Metadata, MetaValue, to_json

#: A key that a document does not have (distinct from a stored JSON null).
_ABSENT: Final[Any] = object()

#: Per DID, per key: the JSON value to store, or `_ABSENT` to remove the key.
Changes = dict[DidKey, dict[str, Any]]


def _check_storable(value: MetaValue, field: str) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise InvalidArgument.for_field(
            field, f"{PLUGIN_NAME} (PostgreSQL JSONB) cannot store a NUL character", reason="INVALID_VALUE"
        )
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_storable(item, f"{field}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(item, f"{field}.{key}")


def _merge(current: Mapping[DidKey, Document], changes: Changes) -> tuple[dict[DidKey, Document], Changes]:
    """The new documents after `changes`, and the changes that undo them (the touched keys' old values)."""
    documents: dict[DidKey, Document] = {}
    undo: Changes = {}
    for did, change in changes.items():
        document = dict(current.get(did, {}))
        before = undo.setdefault(did, {})
        for key, value in change.items():
            before.setdefault(key, document.get(key, _ABSENT))
            if value is _ABSENT:
                document.pop(key, None)
            else:
                document[key] = value
        documents[did] = document
    return documents, undo


class PostgresJsonWrites(PostgresJsonReads):
    """Writes of POSTGRES_JSON, each registering a compensation that puts the touched keys back."""

    def check_values(self, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        for did, metadata in items:
            for key, value in metadata.items():
                _check_storable(value, f"{did}.{key}")

    def _insert_missing(self, conn: Connection, dids: Sequence[DidKey]) -> None:
        """Insert an empty row for each DID without one, so that it is locked like the others.

        A concurrent writer of the same new DID waits on the unique key until this transaction
        ends, then merges onto what it committed: no lost keys, whichever request comes first.
        """
        for start in range(0, len(dids), _CHUNK):
            rows = [
                {
                    self.config.scope_column: did.scope,
                    self.config.name_column: did.name,
                    self.config.meta_column: {},
                }
                for did in dids[start : start + _CHUNK]
            ]
            conn.execute(
                insert(self.table).values(rows).on_conflict_do_nothing(index_elements=[self.scope_col, self.name_col])
            )

    def _write(self, conn: Connection, documents: Mapping[DidKey, Document]) -> None:
        """Store the documents of rows that exist (locked); an empty document deletes its row."""
        updates = [
            {"_scope": did.scope, "_name": did.name, "_meta": document}
            for did, document in documents.items()
            if document
        ]
        if updates:
            statement = (
                update(self.table)
                .where(self.scope_col == bindparam("_scope"), self.name_col == bindparam("_name"))
                .values({self.meta_col: bindparam("_meta", type_=JSONB)})
            )
            conn.execute(statement, updates)
        empty = [did for did, document in documents.items() if not document]
        for start in range(0, len(empty), _CHUNK):
            conn.execute(delete(self.table).where(self._key_in(empty[start : start + _CHUNK])))

    def _prepare(self, conn: Connection, changes: Changes) -> tuple[dict[DidKey, Document], Changes]:
        """Lock the rows of the changed DIDs (creating missing ones) and merge the changes."""
        dids = sorted(changes)  # one lock order for every writer
        self._insert_missing(conn, dids)
        return _merge(self._read(conn, dids, lock=True), changes)

    def _apply(self, changes: Changes) -> None:
        """Apply changes in a transaction of their own (compensations)."""
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                documents, _undo = self._prepare(conn, changes)
                self._write(conn, documents)

    def _register_undo(self, uow: UnitOfWork, undo: Changes) -> None:
        if any(undo.values()):
            uow.on_rollback(functools.partial(self._apply, undo))

    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        changes: Changes = {}
        for did, metadata in items:
            change = changes.setdefault(DidKey(*did), {})
            for key, value in metadata.items():
                change[key] = _ABSENT if value is None else to_json(value)
        if not any(changes.values()):
            return
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                documents, undo = self._prepare(conn, changes)
                self._register_undo(uow, undo)
                self._write(conn, documents)

    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        if not keys:
            return
        did = DidKey(*did)
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                current = self._read(conn, [did], lock=True)
                document = current.get(did, {})
                for key in keys:
                    if key not in document:
                        raise NotFound(
                            f"key {key!r} is not set on {did}", reason="KEY_NOT_FOUND", metadata={"key": key}
                        )
                documents, undo = _merge(current, {did: dict.fromkeys(keys, _ABSENT)})
                self._register_undo(uow, undo)
                self._write(conn, documents)

    def delete_dids(self, uow: UnitOfWork, dids: Sequence[DidKey]) -> None:
        if not dids:
            return
        ordered = sorted({DidKey(*did) for did in dids})
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.begin() as conn:
                current = self._read(conn, ordered, lock=True)
                self._register_undo(uow, {did: dict(document) for did, document in current.items()})
                for start in range(0, len(ordered), _CHUNK):
                    conn.execute(delete(self.table).where(self._key_in(ordered[start : start + _CHUNK])))
