"""ARROW listings on every plugin: the same DIDs as the DID listing, typed values equal to GetMetadata's."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from tests.conformance import dataset
from tests.conformance.conftest import OTHER_SCOPE, SCOPE, Conformance
from tests.conformance.test_filters import COMPARISONS
from tests.conformance.test_listing import FILTERS
from tests.property.arrow_values import JSON_FALLBACK, cell

KEYS = sorted({key for record in dataset.records(SCOPE) for key in record.metadata})


def _dids(table: Any) -> list[str]:
    return [
        f"{s}:{n}" for s, n in zip(table.column("scope").to_pylist(), table.column("name").to_pylist(), strict=True)
    ]


@pytest.mark.parametrize("expression", [*FILTERS, *COMPARISONS[:6]])
def test_same_dids_as_the_did_listing(conformance: Conformance, expression: str) -> None:
    with conformance.client() as client:
        expected = list(client.list_dids(f"{SCOPE}*", expression, type="all"))
        table = client.list_dids_table(f"{SCOPE}*", expression, type="all", batch_size=3)
    assert _dids(table) == expected
    assert table.column_names == ["scope", "name", "type", "bytes", "length", "events", "created_at"]


@pytest.mark.parametrize("expression", ["name=cont.mc", "quality=good"])
def test_recursive_and_ignore_case(conformance: Conformance, expression: str) -> None:
    with conformance.client() as client:
        for options in ({"recursive": True}, {"ignore_case": True}):
            expected = list(client.list_dids(SCOPE, expression, type="all", **options))
            table = client.list_dids_table(SCOPE, expression, type="all", **options)
            assert _dids(table) == expected, options


@pytest.mark.parametrize("limit", [1, 4])
def test_limit_and_resume_tokens(conformance: Conformance, limit: int) -> None:
    with conformance.client() as client:
        expected = list(client.list_dids(f"{SCOPE}*", "", type="all"))
        assert _dids(client.list_dids_table(f"{SCOPE}*", "", type="all", limit=limit, batch_size=3)) == expected[:limit]
        got: list[str] = []
        token = ""
        while True:
            responses = client.list_dids_batches(
                f"{SCOPE}*", "", type="all", batch_size=limit, page_token=token, arrow=True
            )
            first = next(responses, None)
            if first is None:
                break
            responses.close()  # type: ignore[attr-defined]
            assert not first.batch.names and first.batch.arrow_ipc
            got.extend(_dids(pa.ipc.open_stream(first.batch.arrow_ipc).read_all()))
            token = first.next_page_token
        assert got == expected


def test_typed_values_equal_get_metadata(conformance: Conformance) -> None:
    """One message (the first batch holds the whole scope): each key's column is typed by the server."""
    with conformance.client() as client:
        table = client.list_dids_table(SCOPE, "", type="all", metadata_keys=KEYS)
        stored = dict(client.get_metadata_bulk([f"{SCOPE}:{n}" for n in table.column("name").to_pylist()], "ALL"))
        info = {n: client.get_did(f"{SCOPE}:{n}") for n in table.column("name").to_pylist()}
    assert table.num_rows == len(dataset.records(SCOPE))
    types = {key: table.schema.field(key).type for key in KEYS}
    assert types["run_number"] == pa.int64() and types["energy"] == pa.float64()
    assert types["when"] == pa.timestamp("us", tz="UTC") and types["flag"] == pa.bool_()
    assert types["label"] == pa.string() and table.schema.field("label").metadata != JSON_FALLBACK
    assert types["mix"] == pa.string() and table.schema.field("mix").metadata == JSON_FALLBACK
    assert types["tags"] == pa.list_(pa.string()) and table.schema.field("tags").metadata == JSON_FALLBACK
    rows = table.to_pylist()
    for row in rows:
        key = next(k for k in stored if k.name == row["name"])
        metadata = stored[key] or {}
        for name in KEYS:
            assert row[name] == cell(metadata.get(name), table.schema.field(name)), (row["name"], name)
        assert type(row["run_number"]) is (int if "run_number" in metadata else type(None))
        assert row["type"] == info[row["name"]].type
        assert row["bytes"] == info[row["name"]].bytes and row["length"] == info[row["name"]].length
        assert row["created_at"] == info[row["name"]].created_at


def test_batches_unify_into_the_one_message_table(conformance: Conformance) -> None:
    """Tables of 2-DID messages (types decided per message) equal the one-message table."""
    # mix, vals: int and double (vals: inside one list) promoted per message, see docs/arrow.md
    keys = [k for k in KEYS if k not in ("mix", "vals")]
    with conformance.client() as client:
        whole = client.list_dids_table(f"{SCOPE}*", "", type="all", metadata_keys=keys)
        pieces = client.list_dids_table(f"{SCOPE}*", "", type="all", metadata_keys=keys, batch_size=2)
    assert pieces.schema == whole.schema
    assert pieces.to_pylist() == whole.to_pylist()
    assert {OTHER_SCOPE, SCOPE} == set(whole.column("scope").to_pylist())


def test_integers_beyond_2_to_the_53_beside_doubles(conformance: Conformance) -> None:
    """An int64 a double cannot hold exactly, beside a double, makes a double column (docs/arrow.md: the
    nearest double, as float() gives it) in one message and across messages; before, pyarrow refused the
    conversion and the listing failed."""
    big = 2**62 + 1  # float(big) == 2.0**62: not exact
    with conformance.client() as client:
        client.add_scope("bigints")
        client.add_did("bigints:a", "dataset", metadata={"n": big, "l": [big, 0.5]})
        client.add_did("bigints:b", "dataset", metadata={"n": 0.5, "l": [big]})
        client.add_did("bigints:c", "dataset", metadata={"n": big})
        whole = client.list_dids_table("bigints", "", type="all", metadata_keys=["n", "l"])
        pieces = client.list_dids_table("bigints", "", type="all", metadata_keys=["n", "l"], batch_size=1)
    assert whole.schema.field("n").type == pa.float64() and whole.schema.field("l").type == pa.list_(pa.float64())
    assert whole.column("n").to_pylist() == [float(big), 0.5, float(big)]
    assert whole.column("l").to_pylist() == [[float(big), 0.5], [float(big)], None]
    assert pieces.schema == whole.schema and pieces.to_pylist() == whole.to_pylist()
