"""The didmeta Python client. `from didmeta.client import Client`."""

from didmeta.client._client import DEFAULT_SERVER, Client, as_key
from didmeta.client.credentials import TokenSource, tls_credentials
from didmeta.client.errors import from_rpc_error
from didmeta.client.models import (
    CountTotals,
    DidInfo,
    DidRow,
    EmbargoInfo,
    Facet,
    FacetResult,
    HistoryEvent,
    LoadChunk,
    LoadResult,
    NewDid,
    PluginInfo,
    Scope,
)
from didmeta.errors import (
    Aborted,
    AlreadyExists,
    DidmetaError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
    Unimplemented,
)

__all__ = [
    "DEFAULT_SERVER",
    "Aborted",
    "AlreadyExists",
    "Client",
    "CountTotals",
    "DidInfo",
    "DidRow",
    "DidmetaError",
    "EmbargoInfo",
    "Facet",
    "FacetResult",
    "FailedPrecondition",
    "HistoryEvent",
    "InvalidArgument",
    "LoadChunk",
    "LoadResult",
    "NewDid",
    "NotFound",
    "PermissionDenied",
    "PluginInfo",
    "Scope",
    "TokenSource",
    "Unavailable",
    "Unimplemented",
    "as_key",
    "from_rpc_error",
    "tls_credentials",
]
