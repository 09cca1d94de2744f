"""`DidmetaPlugin`: a Rucio metadata plugin (Rucio's `DidMetaPlugin` interface) backed by a didmeta server.

Runs inside a Rucio server (this module imports Rucio; didmeta's venv has no Rucio, so mypy sees it as
Any). Enable it in rucio.cfg:

    [metadata]
    plugins = didmeta.integrations.rucio.plugin.DidmetaPlugin
    [didmeta]
    server = didmeta.example.org:50051      ; HOST:PORT
    token_file = /etc/rucio/didmeta.token    ; or token = ...; optional (access control)
    plugin_name = DIDMETA                    ; the name Rucio's `get_metadata(plugin=...)` uses
    timeout = 30                             ; seconds per call
    type_strings = true                      ; type text values by the spec's rules ("5" -> 5)

Rucio's own DID_COLUMN plugin keeps the optimised columns; every other key is managed here. A DID
Rucio knows and didmeta does not yet is registered on its first write, with its Rucio type and owner
(and its scope, created on the fly). Attachments made in Rucio reach didmeta by re-running
`didmeta import rucio` (an incremental sync; docs/migrating-from-rucio.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from rucio.common import exception  # type: ignore[import-not-found]
from rucio.common.config import config_get  # type: ignore[import-not-found]
from rucio.common.types import InternalScope  # type: ignore[import-not-found]
from rucio.core.did_meta_plugins.did_meta_plugin_interface import DidMetaPlugin  # type: ignore[import-not-found]

from didmeta.attributes import INTRINSIC
from didmeta.client import Client, DidmetaError, InvalidArgument, NewDid, NotFound
from didmeta.identifiers import DidKey
from didmeta.integrations.rucio.filters import rucio_filters_to_groups
from didmeta.integrations.rucio.types import RUCIO_TYPE_NAMES, did_type, file_attributes, typed_text
from didmeta.values import Metadata, MetaValue

SECTION = "didmeta"
#: What didmeta's DID_COLUMN answers besides the intrinsic attributes: Rucio's own plugin says these.
_IDENTITY = frozenset({"scope", "name", "type", "did_type"})


def _option(name: str, default: str) -> str:
    try:
        return str(config_get(SECTION, name, raise_exception=False, default=default))
    except Exception:  # Rucio's config raises its own types when the section is missing
        return default


def _scope_text(scope: Any) -> str:
    return str(getattr(scope, "external", scope))


def _rucio_error(error: DidmetaError, did: str) -> Any:
    """The Rucio exception for a didmeta error, so Rucio's REST layer answers with its usual codes."""
    if isinstance(error, NotFound) and error.reason in ("DID_NOT_FOUND", "SCOPE_NOT_FOUND"):
        return exception.DataIdentifierNotFound(f"Data identifier '{did}' not found in didmeta")
    if isinstance(error, NotFound) and error.reason == "KEY_NOT_FOUND":
        return exception.KeyNotFound(error.message)
    if isinstance(error, InvalidArgument):
        return exception.InvalidMetadata(error.message)
    return exception.RucioException(f"didmeta: {error.code.name} {error.reason}: {error.message}")


class DidmetaPlugin(DidMetaPlugin):  # type: ignore[misc]
    """Rucio's metadata plugin interface over didmeta's Python client."""

    def __init__(self) -> None:
        super().__init__()
        self._plugin_name = _option("plugin_name", "DIDMETA")
        self.server = _option("server", "127.0.0.1:50051")
        self.token = _option("token", "") or None
        self.token_file = _option("token_file", "") or None
        self.timeout = float(_option("timeout", "30"))
        self.type_strings = _option("type_strings", "true").lower() in ("1", "true", "yes", "on")
        self._client: Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Client:
        """One client per plugin instance, created on first use (Rucio instantiates plugins at import)."""
        with self._lock:
            if self._client is None:
                self._client = Client(self.server, timeout=self.timeout, token=self.token, token_file=self.token_file)
            return self._client

    def get_plugin_name(self) -> str:
        return str(self._plugin_name)

    # --- reads ------------------------------------------------------------------------------------
    def get_metadata(self, scope: Any, name: str, *, session: Any = None) -> dict[str, Any]:
        did = f"{_scope_text(scope)}:{name}"
        try:
            metadata = self.client.get_metadata(did, "ALL")
        except NotFound:
            return {}  # Rucio knows the DID (its own plugin checked); didmeta has no metadata for it yet
        except DidmetaError as error:
            raise _rucio_error(error, did) from None
        # The intrinsic attributes are Rucio's own DID_COLUMN plugin's answer, not this plugin's.
        return {k: v for k, v in metadata.items() if k not in INTRINSIC and k not in _IDENTITY}

    def manages_key(self, key: str, *, session: Any = None) -> bool:
        """Every key Rucio's DID_COLUMN plugin (asked first) does not take, like Rucio's JSON plugin."""
        return "." not in key

    # --- writes -----------------------------------------------------------------------------------
    def set_metadata(
        self, scope: Any, name: str, key: str, value: Any, recursive: bool = False, *, session: Any = None
    ) -> None:
        self.set_metadata_bulk(scope, name, {key: value}, recursive, session=session)

    def set_metadata_bulk(
        self, scope: Any, name: str, metadata: dict[str, Any], recursive: bool = False, *, session: Any = None
    ) -> None:
        """Rucio's core passes the keys as `metadata=` (its interface's docstring says `meta`)."""
        did = f"{_scope_text(scope)}:{name}"
        values: Metadata = {k: self._typed(v) for k, v in metadata.items()}
        try:
            try:
                self.client.set_metadata(did, values, recursive=recursive)
            except NotFound as missing:
                if missing.reason not in ("DID_NOT_FOUND", "SCOPE_NOT_FOUND"):
                    raise
                self._register(scope, name, session)
                self.client.set_metadata(did, values, recursive=recursive)
        except DidmetaError as error:
            raise _rucio_error(error, did) from None

    def _typed(self, value: Any) -> MetaValue:
        return typed_text(value, self.type_strings) if isinstance(value, str) else value

    def _register(self, scope: Any, name: str, session: Any) -> None:
        """Create in didmeta the DID (and its scope) that Rucio knows, with its Rucio type and owner."""
        from rucio.core.did import get_did  # type: ignore[import-not-found]

        row = get_did(scope, name, session=session)
        kind = did_type(row["type"])
        if kind is None:
            raise exception.UnsupportedOperation(f"didmeta has no DID type for Rucio's {row['type']!r}")
        scope_name = _scope_text(scope)
        account = _scope_text(row["account"])
        try:
            self.client.add_scope(scope_name, account)
        except DidmetaError as error:
            if error.reason != "SCOPE_EXISTS":
                raise
        attributes = file_attributes(row) if kind == "file" else {}
        try:
            self.client.add_dids([NewDid(DidKey(scope_name, name), kind, account=account, **attributes)])
        except DidmetaError as error:
            if error.reason != "DID_EXISTS":  # a concurrent first write registered it
                raise

    def delete_metadata(self, scope: Any, name: str, key: str, *, session: Any = None) -> None:
        did = f"{_scope_text(scope)}:{name}"
        try:
            self.client.delete_metadata(did, [key])
        except DidmetaError as error:
            raise _rucio_error(error, did) from None

    # --- listing ----------------------------------------------------------------------------------
    def list_dids(
        self,
        scope: Any,
        filters: Any,
        did_type: str = "collection",
        ignore_case: bool = False,
        limit: int | None = None,
        offset: int | None = None,
        long: bool = False,
        recursive: bool = False,
        ignore_dids: set[str] | None = None,
        *,
        session: Any = None,
    ) -> Iterator[str | dict[str, Any]]:
        """Rucio's filters through didmeta's ListDids: a name per DID, or with `long` Rucio's dict."""
        ignore = ignore_dids if ignore_dids is not None else set()
        try:
            groups = rucio_filters_to_groups(filters)
            options: dict[str, Any] = {
                "type": did_type or "collection",
                "recursive": recursive,
                "limit": limit or 0,
                "ignore_case": ignore_case,
            }
            rows = self.client.list_dids_long(_scope_text(scope), groups, **options)
            for row in rows:
                key = f"{row.scope}:{row.name}"
                if key in ignore:
                    continue
                ignore.add(key)
                if long:
                    yield {
                        "scope": InternalScope(row.scope),
                        "name": row.name,
                        "did_type": RUCIO_TYPE_NAMES[row.type.lower()],
                        "bytes": row.bytes,
                        "length": None if row.type.lower() == "file" else row.length,
                    }
                else:
                    yield row.name
        except DidmetaError as error:
            raise _rucio_error(error, f"{_scope_text(scope)}:*") from None
