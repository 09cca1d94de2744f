"""ELASTIC's listing: `select` as search_after pages on (scope, name), inside a point in time when
the server has one (see the package docstring)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Final

from didmeta.errors import InternalError
from didmeta.identifiers import DidKey
from didmeta.plugins.base import ExternalQuery, QueryText
from didmeta.plugins.elastic.client import ElasticConnection, _client_errors, _Connected, _error_type
from didmeta.plugins.elastic.query import search_body

log = logging.getLogger("didmeta.plugins.elastic")  # the name it had as one module

_PIT_KEEP_ALIVE: Final = "2m"


class ElasticPaging(ElasticConnection):
    """The sorted key stream of ELASTIC (`select`) and its explanation."""

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
