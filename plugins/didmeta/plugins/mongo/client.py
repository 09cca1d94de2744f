"""MONGO's client lifecycle: options, the MongoClient, indexes, health, and the one place that maps
pymongo errors."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pymongo
from pymongo import ASCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.errors import ConfigurationError, PyMongoError

from didmeta.errors import DidmetaError, InvalidArgument, Unavailable
from didmeta.identifiers import KEY_RE
from didmeta.plugins.base import ExternalPlugin
from didmeta.plugins.mongo.documents import META, PLUGIN_NAME, Document

if TYPE_CHECKING:
    from didmeta.server.store.engine import Store

log = logging.getLogger("didmeta.plugins.mongo")  # the name it had as one module

SCOPE_NAME_INDEX = "scope_name"
_HEALTH_TIMEOUT_S = 2.0
_MESSAGE_LIMIT = 500


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


class MongoConnection(ExternalPlugin):
    """The options and the connection of MONGO: client, collection (indexes created once), lifecycle."""

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
