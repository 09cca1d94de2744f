"""JSON: free metadata keys in the `meta` JSON column of the DID table (JSONB + GIN on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, literal_column, select, text, update

from didmeta.errors import InvalidArgument, NotFound
from didmeta.filters.model import Clause
from didmeta.identifiers import DidKey, validate_key
from didmeta.plugins.base import RelationalPlugin, UnitOfWork, ValueCounts
from didmeta.plugins.sql_conditions import JsonConditions
from didmeta.plugins.sql_facets import json_value_counts
from didmeta.server.store.catalog import keys_in
from didmeta.server.store.schema import dids
from didmeta.values import Metadata, from_json, to_json

_CHUNK = 500


class JsonColumnPlugin(RelationalPlugin):
    """A JSON document per DID in the catalogue database; typed comparisons on every key."""

    name = "JSON"
    description = "Metadata as a JSON document in the DID table (JSONB with a GIN index on PostgreSQL)"
    options_spec = {"indexed_keys": "keys to give expression indexes (typed equality and ranges)"}

    def _conditions(self) -> JsonConditions:
        return JsonConditions(dids.c.meta, self.store.dialect)

    def start(self) -> None:
        """Expression indexes for the `indexed_keys` option: typed look-ups and ranges on those keys."""
        keys = self.options.get("indexed_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise InvalidArgument.for_field("plugin_options.JSON.indexed_keys", "a list of metadata keys")
        # An unqualified column: index expressions may not name their table.
        conditions = JsonConditions(literal_column("meta"), self.store.dialect)
        with self.store.write() as conn:
            for key in keys:
                validate_key(key, "plugin_options.JSON.indexed_keys")
                for kind, expression in (
                    ("num", conditions.number(key)),
                    ("str", conditions.text(key)),
                    ("ts", conditions.timestamp(key)),
                ):
                    # Rendered as text: an Index object would attach itself to the shared `dids` Table.
                    sql = expression.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
                    conn.execute(
                        text(f"CREATE INDEX IF NOT EXISTS dids_meta_{key}_{kind} ON dids (({sql}), scope, name)")
                    )

    def insert_values(self, metadata: Metadata) -> dict[str, Any]:
        document = {key: to_json(value) for key, value in metadata.items() if value is not None}
        return {"meta": document} if document else {}

    def _read(self, conn: Connection, keys: Sequence[DidKey], *, lock: bool) -> dict[DidKey, dict[str, Any]]:
        documents: dict[DidKey, dict[str, Any]] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            query = select(dids.c.scope, dids.c.name, dids.c.meta).where(keys_in(dids.c.scope, dids.c.name, chunk))
            if lock and self.store.dialect == "postgresql":
                query = query.order_by(dids.c.scope, dids.c.name).with_for_update(key_share=True)
            for scope, name, meta in conn.execute(query):
                documents[DidKey(scope, name)] = dict(meta or {})
        return documents

    def _write(self, conn: Connection, documents: dict[DidKey, dict[str, Any]]) -> None:
        if not documents:
            return
        statement = (
            update(dids)
            .where(dids.c.scope == bindparam("_scope"), dids.c.name == bindparam("_name"))
            .values(meta=bindparam("_meta"))
        )
        conn.execute(
            statement,
            [{"_scope": k.scope, "_name": k.name, "_meta": doc or None} for k, doc in documents.items()],
        )

    def set_many(self, uow: UnitOfWork, items: Sequence[tuple[DidKey, Metadata]]) -> None:
        documents = self._read(uow.conn, sorted(did for did, _ in items), lock=True)  # canonical order
        for did, metadata in items:
            document = documents.setdefault(did, {})
            for key, value in metadata.items():
                if value is None:
                    document.pop(key, None)
                else:
                    document[key] = to_json(value)
        self._write(uow.conn, documents)

    def delete_keys(self, uow: UnitOfWork, did: DidKey, keys: Sequence[str]) -> None:
        document = self._read(uow.conn, [did], lock=True).get(did, {})
        for key in keys:
            if key not in document:
                raise NotFound(f"key {key!r} is not set on {did}", reason="KEY_NOT_FOUND", metadata={"key": key})
        for key in keys:
            del document[key]
        self._write(uow.conn, {did: document})

    def delete_dids(self, uow: UnitOfWork, dids_: Sequence[DidKey]) -> None:
        """Nothing to do: the document goes with the catalogue row."""

    def get_many(self, conn: Connection, dids_: Sequence[DidKey]) -> dict[DidKey, Metadata]:
        return {
            did: {key: from_json(value) for key, value in document.items()}
            for did, document in self._read(conn, dids_, lock=False).items()
            if document
        }

    def condition(self, clause: Clause, ignore_case: bool) -> ColumnElement[bool]:
        return self._conditions().condition(clause, ignore_case)

    def value_counts_where(self, conn: Connection, key: str, where: ColumnElement[bool]) -> ValueCounts:
        return json_value_counts(conn, dids, dids.c.meta, key, where, self.store.dialect)
