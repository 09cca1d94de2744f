"""gRPC retries of read-only calls that failed with UNAVAILABLE (a server draining, a proxy's 502) or
with a CANCELLED the client did not ask for.

A call that fails with UNAVAILABLE did not run, or ran only as a read: retrying it is safe for the
methods below, which change nothing. CANCELLED is retried for the same methods because a server that
is shutting down answers it, not UNAVAILABLE, to a call that reached it after it stopped taking new
ones (gRPC core cancels a call no handler was matched to yet: grpc/grpc#41785, still open in the
grpcio this project uses); behind a proxy that keeps pooled connections this happens now and then
while a replica drains. A call the application cancels itself is never retried by gRPC.

Writes are never retried here: a write that failed with UNAVAILABLE behind a proxy may still have
run, and only the caller knows whether repeating it is harmless. gRPC's own retry machinery does the
work (the `retryPolicy` of the channel's service config), so a streaming read is retried only before
its first message arrived; the client's resume from the page token covers the rest
(docs/deployment.md, "Behind an L7 proxy").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

SERVICE_CONFIG_OPTION = "grpc.service_config"

READ_METHODS: dict[str, tuple[str, ...]] = {
    "didmeta.v1.DidService": (
        "ListScopes",
        "GetDid",
        "ListContent",
        "GetEmbargo",
        "ListHistory",
    ),
    "didmeta.v1.MetadataService": (
        "GetMetadata",
        "GetMetadataBulk",
        "ListDids",
        "CountDids",
        "FacetDids",
        "ExplainDids",
        "ListKeys",
        "GetKey",
        "ListSavedQueries",
        "GetSavedQuery",
        "ListPlugins",
    ),
}

# Four attempts over about 0.7 s of backoff (0.1, 0.2, 0.4 s, each jittered by gRPC): long enough for
# a proxy to move to another replica, short enough to fail fast when every replica is gone.
READ_RETRY_POLICY: dict[str, Any] = {
    "maxAttempts": 4,
    "initialBackoff": "0.1s",
    "maxBackoff": "1s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"],
}


def read_retry_method_config() -> dict[str, Any]:
    """The service config `methodConfig` entry that retries every read-only method."""
    names = [{"service": service, "method": method} for service, methods in READ_METHODS.items() for method in methods]
    return {"name": names, "retryPolicy": READ_RETRY_POLICY}


def with_read_retries(options: Sequence[tuple[str, Any]] = ()) -> list[tuple[str, Any]]:
    """Channel options with read retries added to the service config found in `options` (or a new one).

    A `methodConfig` the caller already set is kept and wins: gRPC takes the first entry that
    names a method, and the caller's entries come first.
    """
    kept = [(name, value) for name, value in options if name != SERVICE_CONFIG_OPTION]
    given = [value for name, value in options if name == SERVICE_CONFIG_OPTION]
    config: dict[str, Any] = json.loads(given[-1]) if given else {}
    config["methodConfig"] = [*config.get("methodConfig", []), read_retry_method_config()]
    return [*kept, (SERVICE_CONFIG_OPTION, json.dumps(config))]
