"""ListDids messages cut to the byte cap (servicers/listing_messages.py).

The cap is checked against an upper bound of the batch's size when the batch has no metadata values,
and measured (`ByteSize()`) only when that bound is over the cap. The bound must therefore never be
below the encoded size, whatever the characters and integers; and it must be close enough to it that a
batch of ordinary names under the default cap is not measured.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from didmeta.server.query.batch_cap import fewer_rows
from didmeta.server.servicers.listing_messages import bytes_bound, capped_message
from didmeta.v1 import metadata_service_pb2 as pb

# Any character protobuf can carry (no surrogates), some of them 2, 3 and 4 bytes in UTF-8.
texts = st.text(st.characters(codec="utf-8"), max_size=300)
int64s = st.integers(-(2**63), 2**63 - 1)
rows = st.lists(st.tuples(texts, texts, st.sampled_from("FDC"), int64s, int64s), max_size=40)


@given(rows, st.booleans())
def test_the_bound_is_never_below_the_encoded_size(listed: list[tuple[Any, ...]], long: bool) -> None:
    response, count = capped_message(listed, long, [], 2**40) if listed else (pb.ListDidsResponse(), 0)
    assert count == len(listed)
    scopes = [r[0] for r in listed]
    names = [r[1] for r in listed]
    assert bytes_bound(scopes, names, long) >= response.ByteSize()


def test_ordinary_ascii_names_are_bounded_closely() -> None:
    listed = [("data18_13TeV", f"DAOD_PHYS.{i:010d}._000001.pool.root.1", "F", 10**9, 1) for i in range(1000)]
    for long in (False, True):
        response, _ = capped_message(listed, long, [], 2**40)
        actual = response.ByteSize()
        bound = bytes_bound([r[0] for r in listed], [r[1] for r in listed], long)
        assert actual <= bound <= actual + 40 * len(listed) + 24


@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=60), st.integers(64, 4000))
def test_a_capped_message_fits_or_holds_one_row(listed: list[tuple[str, str]], cap: int) -> None:
    response, count = capped_message(listed, False, [], cap)
    assert 1 <= count <= len(listed)
    assert list(response.batch.names) == [r[1] for r in listed[:count]]
    assert list(response.batch.scopes) == [r[0] for r in listed[:count]]
    assert count == 1 or response.ByteSize() <= cap


def test_rows_over_the_cap_are_cut_by_their_measured_size() -> None:
    """Bound over the cap (non-ASCII names count four bytes a character): the message is measured and cut
    to what really fits, not to what the bound says."""
    listed = [("s", f"é{i:05d}" + "x" * 90) for i in range(400)]  # ~100 bytes a row, bound ~4x that
    cap = 16 * 1024
    response, count = capped_message(listed, False, [], cap)
    assert response.ByteSize() <= cap
    assert count > cap // (4 * 100)  # more rows than the bound alone would let through
    assert count < len(listed)


@given(st.integers(2, 10**6), st.integers(1, 2**31), st.integers(1, 2**40))
def test_an_over_size_message_always_keeps_fewer_rows_and_at_least_one(count: int, cap: int, extra: int) -> None:
    kept = fewer_rows(count, cap, cap + extra)
    assert 1 <= kept < count
