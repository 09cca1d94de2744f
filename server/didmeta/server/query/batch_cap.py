"""How many rows an over-size listing message keeps: DID batches and Arrow batches cut alike."""

from __future__ import annotations


def fewer_rows(count: int, max_bytes: int, size: int) -> int:
    """Fewer rows than `count` (at least one), aimed 10% under `max_bytes` for a message of `size` bytes.

    The message's size is taken as proportional to its rows, so the next try usually fits; a caller
    that still finds it too large calls again with the new size, and the count falls by at least one
    each time."""
    return max(1, min(count - 1, int(count * max_bytes * 0.9 / size)))
