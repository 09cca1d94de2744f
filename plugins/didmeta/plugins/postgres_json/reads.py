"""POSTGRES_JSON's reads: documents by DID (optionally locked) and value counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Connection, select

from didmeta.identifiers import DidKey
from didmeta.plugins.base import ValueCounts
from didmeta.plugins.postgres_json.schema import PostgresJsonSchema
from didmeta.plugins.sql_facets import json_value_counts
from didmeta.server.store.catalog import keys_in
from didmeta.values import Metadata, from_json

_CHUNK: Final = 500
_FACET_CHUNK: Final = 5000

Document = dict[str, Any]


class PostgresJsonReads(PostgresJsonSchema):
    """Reads of POSTGRES_JSON in chunks of DIDs, on the external database."""

    def _key_in(self, chunk: Sequence[DidKey]) -> ColumnElement[bool]:
        # Per-scope `name IN (...)`: PostgreSQL plans row-value IN lists of parameters badly.
        return cast(ColumnElement[bool], keys_in(self.scope_col, self.name_col, chunk))

    def _read(self, conn: Connection, dids: Sequence[DidKey], *, lock: bool) -> dict[DidKey, Document]:
        """The documents of the DIDs that have a row (a non-object document reads as empty)."""
        documents: dict[DidKey, Document] = {}
        for start in range(0, len(dids), _CHUNK):
            query = (
                select(self.scope_col, self.name_col, self.meta_col)
                .where(self._key_in(dids[start : start + _CHUNK]))
                .order_by(self.scope_col.collate("C"), self.name_col.collate("C"))
            )
            if lock:
                query = query.with_for_update()
            for scope, name, meta in conn.execute(query):
                documents[DidKey(scope, name)] = dict(meta) if isinstance(meta, dict) else {}
        return documents

    def get_many(self, conn: Connection, dids: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        """`conn` is the catalogue's connection and is not used: the data lives in the external database."""
        if not dids:
            return {}
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.connect() as external:
                documents = self._read(external, list(dids), lock=False)
        return {
            did: {key: from_json(value) for key, value in document.items()}
            for did, document in documents.items()
            if document
        }

    def value_counts(self, conn: Connection, key: str, dids: Sequence[DidKey]) -> ValueCounts:
        """One GROUP BY per chunk of DIDs on the external table (`conn`, the catalogue's, is not used)."""
        result = ValueCounts()
        if not dids:
            return result
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.connect() as external:
                for start in range(0, len(dids), _FACET_CHUNK):
                    where = self._key_in(dids[start : start + _FACET_CHUNK])
                    result.add(json_value_counts(external, self.table, self.meta_col, key, where, "postgresql"))
        return result
