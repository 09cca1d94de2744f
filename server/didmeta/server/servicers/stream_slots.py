"""How many ListDids streams hold a database connection at once in one server process.

A listing keeps its connection from its first batch to its last, across worker-thread hand-offs: each
further batch and the final close run in a thread. Without a bound, more concurrent listings than the
connection pool lends made worker threads wait in the pool's check-out (up to its 30 s timeout) for
connections held by streams whose next step, or close, was queued behind those very threads: every
listing stalled until the timeout (found with 64 concurrent small listings). `StreamSlots` makes the
extra listings wait on the event loop instead, before they take a thread or a connection, and keeps
`HEADROOM` connections for the calls that check one out within a single thread call (point reads and
writes, counts). A listing waits for a slot at most until its deadline.
"""

from __future__ import annotations

import asyncio

#: Connections of the pool left to calls that hold one within a single worker-thread call.
HEADROOM = 4


class StreamSlots:
    """A semaphore of `limit` slots, made for the running event loop (None: no bound)."""

    def __init__(self, max_connections: int | None) -> None:
        self.limit = None if max_connections is None else max(1, max_connections - HEADROOM)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None

    async def acquire(self) -> None:
        """Wait for a slot (cancellable: a cancelled wait holds none)."""
        if self.limit is None:
            return
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._loop, self._semaphore = loop, asyncio.Semaphore(self.limit)
        await self._semaphore.acquire()

    def release(self) -> None:
        """Give a slot back (from the event loop's thread)."""
        if self._semaphore is not None and self.limit is not None:
            self._semaphore.release()
