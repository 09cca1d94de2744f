"""OpenTelemetry tracing with an in-memory span exporter on an in-process server.

A ListDids call that carries a W3C `traceparent` gives a server span in the client's trace, whose
children are the catalogue's SQL statements (run in worker threads).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import grpc
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from didmeta.server.app import start_server, stop_server
from didmeta.server.config import Settings
from didmeta.v1 import did_pb2, did_service_pb2, did_service_pb2_grpc, metadata_service_pb2_grpc
from didmeta.v1 import metadata_service_pb2 as pb
from tests.support.databases import new_sqlite_database

LIST_DIDS = "/didmeta.v1.MetadataService/ListDids"


async def test_list_dids_gives_a_server_span_with_database_children_in_the_clients_trace(tmp_path: Path) -> None:
    values: dict[str, Any] = {
        "listen": "127.0.0.1:0",
        "database": new_sqlite_database(tmp_path),
        "tracing": {"exporter": "none"},
        "readiness_interval_seconds": None,
        "log_format": "text",
    }
    settings = Settings(**values)
    running = await start_server(settings)
    assert running.telemetry is not None and running.telemetry.tracing is not None
    exporter = InMemorySpanExporter()
    running.telemetry.tracing.provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace_id, parent_id = secrets.randbits(128), secrets.randbits(64)
    traceparent = (("traceparent", f"00-{trace_id:032x}-{parent_id:016x}-01"),)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            dids = did_service_pb2_grpc.DidServiceStub(channel)
            await dids.AddScope(did_service_pb2.AddScopeRequest(scope="t"), timeout=30)
            new = [did_pb2.NewDid(scope="t", name=f"d{i}", type=did_pb2.DID_TYPE_DATASET) for i in range(30)]
            await dids.AddDids(did_service_pb2.AddDidsRequest(dids=new), timeout=30)
            exporter.clear()
            listing = metadata_service_pb2_grpc.MetadataServiceStub(channel).ListDids(
                pb.ListDidsRequest(scope="t", batch_size=10), timeout=30, metadata=traceparent
            )
            names = [name async for response in listing for name in response.batch.names]
    finally:
        await stop_server(running, 0)
    assert len(names) == 30

    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    servers = [s for s in spans if s.kind == SpanKind.SERVER]
    assert [s.name for s in servers] == [LIST_DIDS], [s.name for s in spans]
    server = servers[0]
    assert server.context is not None and server.parent is not None
    assert server.context.trace_id == trace_id, "the server span continues the client's trace"
    assert server.parent.span_id == parent_id
    children = [s for s in spans if s.parent is not None and s.parent.span_id == server.context.span_id]
    statements = [s for s in children if s.kind == SpanKind.CLIENT and (s.attributes or {}).get("db.system")]
    assert statements, f"database spans under the server span: {[(s.name, s.kind) for s in spans]}"
    assert all(s.context is not None and s.context.trace_id == trace_id for s in statements)
    assert any("SELECT" in str((s.attributes or {}).get("db.statement", "")) for s in statements)
