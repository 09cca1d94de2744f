"""GetMetadataBulk messages cut to the byte cap (servicers/bulk_messages.py).

A batch that fits is one message, measured once; a batch over the cap is cut item by item. Either way
every found DID comes once, in order, and the missing ones come in the last message.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from didmeta.identifiers import DidKey
from didmeta.server.servicers.bulk_messages import bulk_messages
from didmeta.values import Metadata
from didmeta.wire import metadata_from_wire

names = st.text("abcdefghij._-0123456789", min_size=1, max_size=40)
keys = st.builds(DidKey, st.just("user.jdoe"), names)
values = st.one_of(
    st.integers(-(2**63), 2**63 - 1), st.text(max_size=200).filter(lambda t: "\x00" not in t), st.booleans()
)
metadatas = st.dictionaries(st.sampled_from(["run", "campaign", "energy", "note"]), values, max_size=4)


@given(st.lists(st.tuples(keys, metadatas), max_size=30), st.lists(keys, max_size=10), st.integers(1, 4000))
def test_every_did_once_in_order_and_messages_fit(
    found: list[tuple[DidKey, Metadata]], missing: list[DidKey], cap: int
) -> None:
    messages = list(bulk_messages(found, missing, cap))
    results = [(DidKey(r.did.scope, r.did.name), metadata_from_wire(r.metadata)) for m in messages for r in m.results]
    assert results == found
    assert [DidKey(k.scope, k.name) for k in messages[-1].missing] == missing
    assert all(not m.missing for m in messages[:-1])
    for message in messages:
        if message.ByteSize() > cap:  # over the cap only when one DID alone, or the missing ones alone, are larger
            assert (len(message.results) == 1 and not message.missing) or not message.results


@given(st.lists(st.tuples(keys, metadatas), min_size=1, max_size=30), st.lists(keys, max_size=10))
def test_a_batch_under_the_cap_is_one_message(found: list[tuple[DidKey, Metadata]], missing: list[DidKey]) -> None:
    (message,) = bulk_messages(found, missing, 1 << 30)
    assert len(message.results) == len(found)
    assert len(message.missing) == len(missing)
