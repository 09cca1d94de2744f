"""The bench's data recipe helpers that stream (bench.data): same answers as their whole-list versions."""

from __future__ import annotations

import pytest

from bench.data import batched, collection_sizes, generate, streamed_collection_sizes


@pytest.mark.parametrize("n", [1, 50, 2_000, 7_777])
def test_streamed_collection_sizes_equal_the_whole_list_ones(n: int) -> None:
    expected = collection_sizes(list(generate(n)))
    assert streamed_collection_sizes(n) == expected
    assert all(length > 0 for _, length in expected.values()) or n < 100


def test_batched_keeps_order_and_cuts_the_last_chunk() -> None:
    chunks = list(batched(generate(1_003), 250))
    assert [len(c) for c in chunks] == [250, 250, 250, 250, 3]
    assert [d.index for c in chunks for d in c] == list(range(1_003))
