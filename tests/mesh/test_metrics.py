"""Prometheus metrics (`metrics_listen`) scraped from live servers during a real workload.

Each assertion is on the difference between two scrapes around calls whose number and outcome the
test knows: RPC counts by status code, latency histograms, streamed DIDs, plugin calls and errors,
and the catalogue pool's connections in use while a listing holds one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from didmeta.client import NewDid
from didmeta.errors import NotFound
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.v1 import metadata_service_pb2_grpc
from tests.integration.test_workers import children, pids_serving
from tests.mesh.scrape import scrape, total, value
from tests.support.checks import free_port
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess

DID = "didmeta.v1.DidService"
META = "didmeta.v1.MetadataService"
LARGE = 20_000


def test_metrics_follow_a_workload(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    metrics = f"127.0.0.1:{free_port()}"
    server = start_server(
        {"database": new_sqlite_database(tmp_path), "log_format": "text", "metrics_listen": metrics, "batch_size": 100}
    )
    before = scrape(metrics)
    assert value(before, "didmeta_db_pool_size") == 5, "SQLAlchemy's QueuePool default for a SQLite file"
    with server.client(timeout=30) as client:
        client.add_scope("m")
        client.add_dids([NewDid(f"m:d{i:03}", "dataset") for i in range(250)])
        client.set_metadata_bulk([(f"m:d{i:03}", {"run": i}) for i in range(250)])
        for _ in range(3):
            with pytest.raises(NotFound):
                client.get_did("m:missing")
        with pytest.raises(NotFound):
            client.delete_metadata("m:d000", ["never_set"])  # the JSON plugin refuses: a plugin error

        client.add_dids([NewDid(f"m:e{i:05}", "dataset") for i in range(LARGE)])
    # A listing larger than the HTTP/2 window (no BDP growth): the server waits for the client to read,
    # its cursor, and so a pooled connection, stays open meanwhile.
    with grpc.insecure_channel(server.address, options=[("grpc.http2.bdp_probe", 0)]) as channel:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        listing: Any = stub.ListDids(pb.ListDidsRequest(scope="m", long=True, batch_size=500), timeout=60)
        first = next(listing)
        time.sleep(0.5)
        during = scrape(metrics)
        listed = len(first.batch.names) + sum(len(r.batch.names) for r in listing)
    after = scrape(metrics)

    assert listed == 250 + LARGE
    assert value(during, "didmeta_db_pool_checked_out") >= 1
    assert value(after, "didmeta_db_pool_checked_out") == 0, "every connection went back to the pool"

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("didmeta_rpc_requests_total", service=DID, method="AddScope", code="OK") == 1
    assert delta("didmeta_rpc_requests_total", service=DID, method="AddDids", code="OK") == 2
    assert delta("didmeta_rpc_requests_total", service=META, method="SetMetadataBulk", code="OK") == 1
    assert delta("didmeta_rpc_requests_total", service=DID, method="GetDid", code="NOT_FOUND") == 3
    assert delta("didmeta_rpc_requests_total", service=DID, method="GetDid", code="OK") == 0
    assert delta("didmeta_rpc_requests_total", service=META, method="DeleteMetadata", code="NOT_FOUND") == 1
    assert delta("didmeta_rpc_requests_total", service=META, method="ListDids", code="OK") == 1
    assert delta("didmeta_listed_dids_total") == listed

    assert delta("didmeta_rpc_duration_seconds_count", service=DID, method="GetDid") == 3
    assert delta("didmeta_rpc_duration_seconds_count", service=META, method="ListDids") == 1
    assert delta("didmeta_rpc_duration_seconds_sum", service=META, method="ListDids") > 0
    assert value(after, "didmeta_rpc_duration_seconds_bucket", service=DID, method="GetDid", le="+Inf") == 3

    assert delta("didmeta_plugin_call_duration_seconds_count", plugin="JSON", operation="set_many") == 1
    assert delta("didmeta_plugin_call_duration_seconds_count", plugin="JSON", operation="delete_keys") == 1
    assert delta("didmeta_plugin_errors_total", plugin="JSON", operation="delete_keys", error="NotFound") == 1
    assert total(after, "didmeta_plugin_errors_total", plugin="DID_COLUMN") == 0


def test_worker_processes_share_one_metrics_port(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    """`--workers 2`: the supervisor's one endpoint sums both workers' calls (prometheus multiprocess mode)."""
    metrics = f"127.0.0.1:{free_port()}"
    server = start_server(
        {"database": new_sqlite_database(tmp_path), "log_format": "text", "metrics_listen": metrics},
        extra_args=["--workers", "2"],
    )
    assert server.process is not None
    workers = children(server.process.pid)
    before = scrape(metrics)
    answered: list[int] = []
    seen: set[int] = set()
    while len(seen) < 2 and len(answered) < 200:  # one call per new connection until both workers answered
        seen |= pids_serving(server.address, 1, attempts=1)
        answered.append(1)
    assert seen == workers
    after = scrape(metrics)
    calls = value(after, "didmeta_rpc_requests_total", service=DID, method="ListScopes", code="OK") - value(
        before, "didmeta_rpc_requests_total", service=DID, method="ListScopes", code="OK"
    )
    assert calls == len(answered), "every worker's calls are counted on the supervisor's port"
    assert value(after, "didmeta_db_pool_size") == 10, "two workers' pools of 5, summed over live processes"
