"""ELASTIC's writes: read, change and write documents with optimistic concurrency, compensated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from didmeta.errors import DidmetaError, InvalidArgument, NotFound, Unavailable
from didmeta.identifiers import DidKey
from didmeta.plugins.base import UnitOfWork
from didmeta.plugins.elastic.mapping import (
    MAX_TERM_BYTES,
    PLUGIN_NAME,
    _canonical,
    _doc_id,
    _document,
    _dumps,
    _metadata_of,
)
from didmeta.plugins.elastic.reads import ElasticReads, _Stored
from didmeta.values import Metadata

_BULK_DOCS: Final = 500
_BULK_BYTES: Final = 5 * 1024 * 1024
_WRITE_ATTEMPTS: Final = 8


@dataclass
class _Undo:
    """What a compensation restores: each touched DID's source before the write (None: no document)."""

    before: dict[DidKey, dict[str, Any] | None] = field(default_factory=dict)
    touched: set[DidKey] = field(default_factory=set)


class ElasticWrites(ElasticReads):
    """Writes of ELASTIC (bulk API, `if_seq_no`/`if_primary_term`), each undone by a compensation."""

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
