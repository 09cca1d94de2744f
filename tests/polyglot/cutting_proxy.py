"""A TCP proxy that cuts its first connection in the middle of a server stream, once.

It forwards 127.0.0.1:<port> to a target; on the first connection, after `cut_after` bytes have gone from
the server to the client, it resets both sides. Later connections are forwarded untouched. A client that
resumes a ListDids from its page token sees UNAVAILABLE, reconnects and completes the listing.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator


class CuttingProxy:
    def __init__(self, target: str, cut_after: int) -> None:
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.cut_after = cut_after
        self.connections = 0
        self.cuts = 0
        self.address = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        cut = self.connections == 1
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        writers = (client_writer, server_writer)

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: bool) -> None:
            sent = 0
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while data := await reader.read(4096):
                    if count and cut and sent + len(data) > self.cut_after:
                        self.cuts += 1
                        for w in (client_writer, server_writer):  # RST, not FIN: a dropped connection
                            sock = w.get_extra_info("socket")
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                            w.close()
                        return
                    sent += len(data)
                    writer.write(data)
                    await writer.drain()
            with contextlib.suppress(Exception):
                writer.close()

        try:
            await asyncio.gather(
                pump(client_reader, server_writer, count=False), pump(server_reader, client_writer, count=True)
            )
        finally:
            for w in writers:
                w.close()

    def start(self) -> CuttingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        self._thread.join(10)
        self._loop.close()


@contextlib.contextmanager
def cutting_proxy(target: str, cut_after: int) -> Iterator[CuttingProxy]:
    proxy = CuttingProxy(target, cut_after).start()
    try:
        yield proxy
    finally:
        proxy.stop()
