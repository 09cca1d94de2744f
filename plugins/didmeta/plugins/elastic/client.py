"""ELASTIC's client lifecycle: options, the client library of each flavor, connecting (flavor and
point-in-time detection), the index and its mapping, health, and the one mapping of client errors."""

from __future__ import annotations

import importlib
import logging
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from didmeta.errors import DidmetaError, FailedPrecondition, InternalError, InvalidArgument, Unavailable
from didmeta.plugins.base import ExternalPlugin
from didmeta.plugins.elastic.mapping import MAPPING, PLUGIN_NAME

if TYPE_CHECKING:
    from didmeta.server.store.engine import Store

log = logging.getLogger("didmeta.plugins.elastic")  # the name it had as one module
T = TypeVar("T")

FLAVORS: Final = ("auto", "opensearch", "elasticsearch")
REFRESH_POLICIES: Final = ("wait_for", "true", "false")
_HEALTH_TIMEOUT_S: Final = 2.0
_UNAVAILABLE_STATUSES: Final = frozenset({408, 429, 502, 503, 504})
#: Errors of a cluster that lost a node or has not placed a shard yet: transient, so UNAVAILABLE. Item
#: errors inside an mget or bulk answer carry these types without an HTTP status.
_UNAVAILABLE_TYPES: Final = frozenset(
    {
        "no_shard_available_action_exception",
        "unavailable_shards_exception",
        "primary_missing_action_exception",
        "node_not_connected_exception",
        "node_disconnected_exception",
        "connect_transport_exception",
        "node_closed_exception",
    }
)
_INDEX_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,254}")
_OBJECT_REPR: Final = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>: ")
_OPTION_ERROR: Final = "INVALID_PLUGIN_OPTION"


# --- client libraries --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Library:
    """One client library: its client class and the exception classes to translate."""

    flavor: str
    client_class: Any
    base_error: type[Exception]
    connection_error: type[Exception]


def _import(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@cache
def _library(flavor: str) -> _Library | None:
    """The client library of a flavor, or None if it is not installed."""
    if flavor == "opensearch":
        package, exceptions = _import("opensearchpy"), _import("opensearchpy.exceptions")
        if package is None or exceptions is None:
            return None
        return _Library(
            flavor,
            package.OpenSearch,
            exceptions.OpenSearchException,
            exceptions.ConnectionError,
        )
    package, exceptions = _import("elasticsearch"), _import("elasticsearch.exceptions")
    if package is None or exceptions is None:
        return None
    return _Library(
        flavor,
        package.Elasticsearch,
        exceptions.ElasticsearchException,
        exceptions.ConnectionError,
    )


def _installed_libraries() -> list[_Library]:
    return [lib for lib in (_library("opensearch"), _library("elasticsearch")) if lib is not None]


def _client_errors() -> tuple[type[Exception], ...]:
    """Every exception class a client call may raise that must not leave the plugin."""
    return tuple(lib.base_error for lib in _installed_libraries())


def _error_detail(exc: Exception) -> str:
    """A short text for a client exception: status, error type and reason when the server sent them."""
    info = getattr(exc, "info", None)
    status = getattr(exc, "status_code", None)
    if isinstance(info, Mapping) and isinstance(info.get("error"), Mapping):
        error = info["error"]
        cause = error.get("caused_by") if isinstance(error.get("caused_by"), Mapping) else error
        return f"{status} {error.get('type')}: {cause.get('reason') or error.get('reason')}"
    if isinstance(status, int):
        return f"{status} {getattr(exc, 'error', '')}"
    text = _OBJECT_REPR.sub("", str(exc)).split(") caused by: ")[0]  # urllib3 objects say nothing useful
    return text if len(text) <= 300 else text[:300] + "..."


#: Error types that decide the answer even when they are only the cause of a wrapping error (a search
#: phase failing because a node is gone is 500 search_phase_execution_exception on the outside).
_TELLING_TYPES: Final = frozenset(
    {"index_not_found_exception", "search_context_missing_exception", *_UNAVAILABLE_TYPES}
)


def _error_type(exc: Exception) -> str | None:
    info = getattr(exc, "info", None)
    if isinstance(info, Mapping) and isinstance(info.get("error"), Mapping):
        error = info["error"]
        shards = error.get("failed_shards") or []
        failed_shards = [shard.get("reason") for shard in shards if isinstance(shard, Mapping)]
        causes = [error, error.get("caused_by") or {}, *(error.get("root_cause") or []), *failed_shards]
        for cause in causes:
            if isinstance(cause, Mapping) and cause.get("type") in _TELLING_TYPES:
                return str(cause["type"])
        return str(error.get("type"))
    error_text = getattr(exc, "error", None)
    return error_text if isinstance(error_text, str) else None


@dataclass
class _Connected:
    """The client in use, and whether listings run inside a point in time."""

    library: _Library
    client: Any
    use_pit: bool


def _version(number: object) -> tuple[int, ...]:
    """A version number as a tuple: (7, 10, 2) for "7.10.2"; () if it does not start with digits."""
    parts = []
    for part in str(number).split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def _option_text(options: Mapping[str, Any], name: str, default: str | None) -> str:
    value = options.get(name, default)
    if isinstance(value, bool):  # YAML reads refresh: true / false as booleans
        value = "true" if value else "false"
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument.for_field(
            f"plugin_options.{PLUGIN_NAME}.{name}",
            "required" if value is None else f"not a text: {value!r}",
            reason=_OPTION_ERROR,
        )
    return value.strip()


class ElasticConnection(ExternalPlugin):
    """The options and the connection of ELASTIC: client, index, lifecycle, error translation."""

    def __init__(self, options: Mapping[str, Any], store: Store) -> None:
        super().__init__(options, store)

        def refuse(option: str, description: str) -> InvalidArgument:
            return InvalidArgument.for_field(
                f"plugin_options.{PLUGIN_NAME}.{option}", description, reason=_OPTION_ERROR
            )

        self.url = _option_text(options, "url", None)
        self.hosts = [host.strip() for host in (self.url or "").split(",") if host.strip()]
        self.index_settings: dict[str, int] = {}
        for option, setting, least in (("shards", "number_of_shards", 1), ("replicas", "number_of_replicas", 0)):
            if option in options:
                count = options[option]
                if isinstance(count, bool) or not isinstance(count, int) or count < least:
                    raise refuse(option, f"expected a whole number >= {least}, got {count!r}")
                self.index_settings[setting] = count
        self.index = _option_text(options, "index", "didmeta")
        if not _INDEX_NAME_RE.fullmatch(self.index):
            raise refuse("index", f"invalid index name {self.index!r}: lower case letters, digits, '.', '_', '-'")
        self.flavor_option = _option_text(options, "flavor", "auto").lower()
        if self.flavor_option not in FLAVORS:
            raise refuse("flavor", f"expected one of {', '.join(FLAVORS)}")
        self.refresh = _option_text(options, "refresh", "wait_for").lower()
        if self.refresh not in REFRESH_POLICIES:
            raise refuse("refresh", f"expected one of {', '.join(REFRESH_POLICIES)}")
        timeout = options.get("timeout_seconds", 10)
        try:
            self.timeout = math.nan if isinstance(timeout, bool) else float(timeout)
        except (TypeError, ValueError):
            self.timeout = math.nan
        if not (self.timeout > 0 and math.isfinite(self.timeout)):
            raise refuse("timeout_seconds", f"not a positive number of seconds: {timeout!r}")
        if self.flavor_option != "auto" and _library(self.flavor_option) is None:
            package = "opensearch-py" if self.flavor_option == "opensearch" else "elasticsearch"
            raise refuse("flavor", f"flavor {self.flavor_option} needs the {package} package (the `search` extra)")
        if not _installed_libraries():
            raise refuse("flavor", "neither opensearch-py nor elasticsearch is installed (the `search` extra)")
        self._lock = threading.Lock()
        self._connected: _Connected | None = None
        self._ready = False

    # --- connection, errors, index -------------------------------------------------------------------
    @property
    def flavor(self) -> str | None:
        """The flavor in use ("opensearch" / "elasticsearch"), None until detected."""
        return self._connected.library.flavor if self._connected else None

    def _new_client(self, library: _Library) -> Any:
        # One retry per other node: a connection error on one node moves the request to the next.
        return library.client_class(
            hosts=self.hosts, timeout=self.timeout, max_retries=max(1, len(self.hosts)), retry_on_timeout=False
        )

    def _translate(self, exc: Exception, action: str) -> DidmetaError:
        """The one mapping of client exceptions to didmeta errors (no client exception leaves the plugin)."""
        meta = {"plugin": PLUGIN_NAME}
        detail = _error_detail(exc)
        connection_errors = tuple(lib.connection_error for lib in _installed_libraries())
        status = getattr(exc, "status_code", None)
        transient = status in _UNAVAILABLE_STATUSES or _error_type(exc) in _UNAVAILABLE_TYPES
        if isinstance(exc, connection_errors) or transient:
            return Unavailable(f"ELASTIC backend unavailable: {action}: {detail}", metadata=meta)
        if _error_type(exc) == "index_not_found_exception":
            self._ready = False  # recreated by the next call
            return Unavailable(f"ELASTIC backend unavailable: {action}: index {self.index!r} is missing", metadata=meta)
        return InternalError(f"ELASTIC backend error: {action}: {detail}", metadata=meta)

    def _call(self, action: str, call: Callable[..., T], **kwargs: Any) -> T:
        """`call(**kwargs)` with client exceptions translated."""
        try:
            return call(**kwargs)
        except _client_errors() as exc:
            raise self._translate(exc, action) from exc

    def _connect(self, request_timeout: float | None) -> _Connected:
        """Read `GET /` once: the flavor (if "auto"), and whether the server has a point in time."""
        if self._connected is not None:
            return self._connected
        auto = self.flavor_option == "auto"
        library = _installed_libraries()[0] if auto else _library(self.flavor_option)
        assert library is not None  # checked in __init__
        client = self._new_client(library)
        try:
            params = {"request_timeout": request_timeout} if request_timeout else {}
            version = self._call("read the server version", client.info, params=params).get("version") or {}
            distribution = "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"
            flavor = distribution if auto else self.flavor_option
            if flavor != distribution:
                log.warning("ELASTIC: flavor %s configured, but %s reports %s", flavor, self.url, distribution)
            if library.flavor != flavor:
                client.close()
                library = _library(flavor)
                if library is None:
                    raise FailedPrecondition(
                        f"ELASTIC: the server at {self.url} is {flavor}, whose client library is not installed",
                        reason="CLIENT_MISSING",
                        metadata={"plugin": PLUGIN_NAME},
                    )
                client = self._new_client(library)
        except BaseException:
            client.close()
            raise
        number = _version(version.get("number"))
        if flavor != distribution:
            use_pit = False
        elif flavor == "opensearch":
            use_pit = number >= (2, 4)  # OpenSearch's point in time API
        else:  # X-Pack's point in time; not in the OSS build (where `/<index>/_pit` answers 400)
            use_pit = number >= (7, 10) and version.get("build_flavor") != "oss"
        log.info("ELASTIC: %s %s at %s, point in time: %s", flavor, version.get("number"), self.url, use_pit)
        self._connected = _Connected(library, client, use_pit)
        return self._connected

    def _ensure_ready(self, request_timeout: float | None = None) -> _Connected:
        """Connected, and the index exists with this plugin's mapping (created if missing)."""
        if self._ready and self._connected is not None:
            return self._connected
        with self._lock:
            connected = self._connect(request_timeout)
            if self._ready:
                return connected
            client = connected.client
            params: dict[str, Any] = {"request_timeout": request_timeout} if request_timeout else {}
            exists = self._call("check the index", lambda: client.indices.exists(index=self.index, params=params))
            if not exists:
                try:
                    body: dict[str, Any] = {"mappings": MAPPING}
                    if self.index_settings:
                        body["settings"] = {"index": self.index_settings}
                    client.indices.create(index=self.index, body=body, params=params)
                    log.info("ELASTIC: created index %s", self.index)
                except _client_errors() as exc:
                    if _error_type(exc) != "resource_already_exists_exception":  # else: created meanwhile
                        raise self._translate(exc, "create the index") from exc
            self._check_mapping(client, params)
            self._ready = True
            return connected

    def _check_mapping(self, client: Any, params: dict[str, Any]) -> None:
        answer = self._call(
            "read the index mapping", lambda: client.indices.get_mapping(index=self.index, params=params)
        )
        for mapping in answer.values():
            meta = (mapping.get("mappings") or {}).get("_meta") or {}
            if meta.get("didmeta") != MAPPING["_meta"]["didmeta"]:
                raise FailedPrecondition(
                    f"ELASTIC: index {self.index!r} exists but does not have the layout of this plugin "
                    f"(_meta {meta!r}); use another index or reindex it",
                    reason="INCOMPATIBLE_INDEX",
                    metadata={"plugin": PLUGIN_NAME, "index": self.index},
                )

    def start(self) -> None:
        try:
            self._ensure_ready()
        except Unavailable as exc:
            log.warning("ELASTIC: %s; will retry on the next call", exc)

    def close(self) -> None:
        with self._lock:
            connected, self._connected, self._ready = self._connected, None, False
        if connected is not None:
            try:
                connected.client.close()
            except _client_errors():
                log.debug("ELASTIC: error while closing the client", exc_info=True)

    def check_health(self) -> bool:
        try:
            connected = self._ensure_ready(_HEALTH_TIMEOUT_S)
            health = self._call(
                "check cluster health",
                lambda: connected.client.cluster.health(
                    index=self.index, params={"timeout": "1s", "request_timeout": _HEALTH_TIMEOUT_S}
                ),
            )
        except DidmetaError:
            return False
        return health.get("status") in ("green", "yellow")

    def _item_error(self, item: Mapping[str, Any], action: str) -> DidmetaError:
        error = item.get("error")
        status = item.get("status")
        error_type = error.get("type") if isinstance(error, Mapping) else str(error)
        reason = error.get("reason") if isinstance(error, Mapping) else ""
        detail = f"{status} {error_type}: {reason} (document {item.get('_id')})"
        meta = {"plugin": PLUGIN_NAME}
        if status in _UNAVAILABLE_STATUSES or error_type in {"index_not_found_exception", *_UNAVAILABLE_TYPES}:
            if error_type == "index_not_found_exception":
                self._ready = False
            return Unavailable(f"ELASTIC backend unavailable: {action}: {detail}", metadata=meta)
        return InternalError(f"ELASTIC backend error: {action}: {detail}", metadata=meta)
