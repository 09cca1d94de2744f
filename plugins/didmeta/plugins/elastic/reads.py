"""ELASTIC's reads: real-time document reads (mget) and value counts by aggregation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from didmeta.identifiers import DidKey
from didmeta.plugins.base import ValueCounts
from didmeta.plugins.elastic.client import ElasticConnection
from didmeta.plugins.elastic.mapping import _bucket_value, _doc_id, _metadata_of
from didmeta.values import Metadata

if TYPE_CHECKING:
    from sqlalchemy import Connection


_MGET_CHUNK: Final = 1000
_FACET_CHUNK: Final = 2000  # DIDs per aggregation: 5 typed terms aggregations stay under search.max_buckets


@dataclass
class _Stored:
    """A document as read: its source and its optimistic-concurrency tokens."""

    source: dict[str, Any]
    seq_no: int
    primary_term: int


class ElasticReads(ElasticConnection):
    """Reads of ELASTIC by document id, in chunks."""

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
