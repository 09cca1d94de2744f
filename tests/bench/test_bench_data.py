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


def test_unary_set_requests_write_new_values_in_every_measurement() -> None:
    """SetMetadata measurements never rewrite a value: each has its own values, on as many different DIDs as
    it makes calls (plus the Python client's warm-up, which takes the last requests)."""
    from bench.scenarios import WARM_UP_CALLS, unary_cases
    from didmeta.wire import metadata_from_wire

    dids = list(generate(3000))
    (case,) = [c for c in unary_cases(dids, ("DID_COLUMN",), writes=True, calls=300) if c.method == "SetMetadata"]
    assert case.renew is not None
    first, second = case.renew(0), case.renew(1)
    assert len(first) == len(second) == 300 + WARM_UP_CALLS
    keys = [(r.did.scope, r.did.name) for r in first]
    assert len(set(keys)) == len(keys) and keys == [(r.did.scope, r.did.name) for r in second]
    notes = [metadata_from_wire(r.metadata)["bench_note"] for r in first + second]
    assert len(set(notes)) == len(notes)
