"""The transport ceiling: a bare grpc.aio server that streams pre-built columnar ListDids batches.

It reads the rows of one scope once at start (plain sqlite3 / psycopg), builds and serializes
ListDidsResponse messages of 1,000 DIDs (short and long form), then answers
`didmeta.v1.MetadataService/ListDids` by writing those bytes: no query, no message building at
request time. What a client measures against it is the cost of gRPC + parsing on its side.

    python -m bench.bare_server --database URL --scope SCOPE --port-file F
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

import grpc

from didmeta.v1 import metadata_service_pb2 as pb

BATCH = 1000
_WIRE_TYPES = {"F": 1, "D": 2, "C": 3}
QUERY = (
    "SELECT scope, name, did_type, bytes, length FROM dids WHERE scope = {p} AND suppressed = {f} ORDER BY scope, name"
)


def read_rows(database: str, scope: str) -> list[tuple[Any, ...]]:
    if database.startswith("sqlite"):
        import sqlite3

        lite = sqlite3.connect(database.split("///", 1)[1])
        try:
            return lite.execute(QUERY.format(p="?", f="0"), (scope,)).fetchall()
        finally:
            lite.close()
    import psycopg

    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(QUERY.format(p="%s", f="false"), (scope,)).fetchall()


def build(rows: list[tuple[Any, ...]], long: bool) -> list[bytes]:
    messages: list[bytes] = []
    for start in range(0, len(rows), BATCH):
        scopes, names, types, sizes, lengths = zip(*rows[start : start + BATCH], strict=True)
        response = pb.ListDidsResponse()
        batch = response.batch
        batch.scopes.extend(scopes)
        batch.names.extend(names)
        if long:
            batch.types.extend([_WIRE_TYPES[t] for t in types])  # type: ignore[misc]
            batch.bytes.extend(sizes)
            batch.lengths.extend(lengths)
        response.next_page_token = "x" * 60  # about the size of a real resume token
        messages.append(response.SerializeToString())
    return messages


async def serve(database: str, scope: str, port_file: Path) -> None:
    rows = read_rows(database, scope)
    prebuilt = {False: build(rows, False), True: build(rows, True)}

    async def list_dids(request: pb.ListDidsRequest, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        for message in prebuilt[request.long]:
            yield message

    handler = grpc.method_handlers_generic_handler(
        "didmeta.v1.MetadataService",
        {
            "ListDids": grpc.unary_stream_rpc_method_handler(
                list_dids, request_deserializer=pb.ListDidsRequest.FromString, response_serializer=None
            )
        },
    )
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    port_file.write_text(f"{port}\n")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await server.stop(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--scope", required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.database, args.scope, args.port_file))


if __name__ == "__main__":
    main()
