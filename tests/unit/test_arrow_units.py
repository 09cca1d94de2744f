"""Arrow pieces without a server: typed metadata columns, cross-batch unification, the Flight settings guard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from pydantic import ValidationError

from didmeta.client.arrow import to_table
from didmeta.identifiers import DidKey
from didmeta.server.config import Settings
from didmeta.server.query.arrow import JSON_FALLBACK, metadata_array, record_batch
from didmeta.values import MetaValue

T = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, None, 3], pa.int64()),
        ([1, 2.5], pa.float64()),
        ([True, False], pa.bool_()),
        (["a", None], pa.string()),
        ([T, None], pa.timestamp("us", tz="UTC")),
        ([[1, 2], [], None], pa.list_(pa.int64())),
        ([["a"], [1]], pa.list_(pa.string())),
        ([1, "a"], pa.string()),
        ([{"x": 1}], pa.string()),
        ([None, None], pa.null()),
    ],
)
def test_metadata_column_types(values: list[MetaValue], expected: pa.DataType) -> None:
    assert metadata_array(pa, values).type == expected


def _batch(values: Sequence[MetaValue]) -> pa.RecordBatch:
    rows = [("s", f"n{i}", "F", 1, 0, None, "2024-01-02 03:04:05.678901") for i in range(len(values))]

    def lookup(keys: Sequence[DidKey], wanted: Sequence[str]) -> dict[str, list[MetaValue]]:
        return {"k": list(values)}

    return record_batch(rows, ["k"], lookup)


def test_record_batch_core_columns() -> None:
    batch = _batch([1])
    assert batch.column("type").to_pylist() == ["FILE"]
    assert batch.column("created_at").to_pylist() == [T]
    assert batch.schema.field("scope").type == pa.dictionary(pa.int32(), pa.string())


def test_mixed_values_fall_back_to_json_text() -> None:
    batch = _batch([1, "1", T, [1, "a"]])
    assert batch.schema.field("k").metadata == JSON_FALLBACK
    assert batch.column("k").to_pylist() == ["1", '"1"', '{"$ts":"2024-01-02T03:04:05.678901Z"}', '[1,"a"]']


def test_batches_of_other_types_unify_like_one_batch() -> None:
    values: list[MetaValue] = [None, 1, 2.5, "x", [1], None]
    whole = to_table([_batch(values)], ["k"])
    parts = to_table([_batch(values[i : i + 2]) for i in range(0, len(values), 2)], ["k"])
    assert parts.schema == whole.schema
    assert parts.column("k").to_pylist() == whole.column("k").to_pylist()
    numbers = to_table([_batch([None]), _batch([1]), _batch([2.5])], ["k"])
    assert numbers.schema.field("k").type == pa.float64() and numbers.column("k").to_pylist() == [None, 1.0, 2.5]


def test_empty_listing_has_the_columns() -> None:
    assert to_table([], ["k"]).column_names == ["scope", "name", "type", "bytes", "length", "events", "created_at", "k"]


def test_flight_needs_local_auth_on_loopback_or_tokens() -> None:
    assert Settings.model_validate({"flight_listen": "127.0.0.1:0"}).flight_listen == "127.0.0.1:0"
    with pytest.raises(ValidationError, match="flight_listen"):
        Settings.model_validate({"flight_listen": "0.0.0.0:5000"})
    token = {"mode": "token", "hs256_secret": "s" * 32, "issuers": ["i"]}
    assert Settings.model_validate({"flight_listen": "0.0.0.0:5000", "auth": token}).flight_listen == "0.0.0.0:5000"
    with pytest.raises(ValidationError, match="flight_listen"):
        Settings.model_validate({"flight_listen": "127.0.0.1:5000", "auth": {"mode": "mtls"}})
    with pytest.raises(ValidationError, match="HOST:PORT"):
        Settings.model_validate({"flight_listen": "nowhere"})


def test_server_without_pyarrow_is_failed_precondition(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from didmeta.errors import FailedPrecondition
    from didmeta.server.query import arrow

    real = importlib.import_module

    def without_pyarrow(name: str, package: str | None = None) -> object:
        if name == "pyarrow":
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_pyarrow)
    with pytest.raises(FailedPrecondition, match=r"didmeta\[arrow\]") as raised:
        arrow.require_pyarrow()
    assert raised.value.reason == "ARROW_UNAVAILABLE"


@pytest.mark.parametrize("absent", [None, "null"])  # a missing key, a JSON null
def test_json_columns_with_absent_values_are_cast_as_a_whole(
    absent: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key missing on some DIDs is typed by the kernels (no per-value decoding) on both databases."""
    from didmeta.server.query import arrow_convert

    def refuse(*args: object) -> list[MetaValue]:
        raise AssertionError("values decoded one by one")

    monkeypatch.setattr(arrow_convert, "_decoded", refuse)
    cases = {
        "timestamp": ['{"$ts": "2024-10-18T05:39:52.231000Z"}', '{"$ts":"2022-03-09T10:21:17.403000Z"}'],
        "int": ["3", "4"],
        "double": ["3.5", "4.25"],
        "string": ['"a"', '"b"'],
    }
    for name, texts in cases.items():
        column, fallback = arrow_convert.json_column(pa, pa.array([texts[0], absent, texts[1]], pa.string()))
        assert not fallback and column.null_count == 1, name
    stamps, _ = arrow_convert.json_column(pa, pa.array([cases["timestamp"][0], absent], pa.string()))
    assert stamps.type == pa.timestamp("us", tz="UTC") and stamps.to_pylist()[1] is None


def test_json_texts_are_typed_by_their_first_character(monkeypatch: pytest.MonkeyPatch) -> None:
    """A JSON key's texts (SQLite `meta -> '$."key"'`, PostgreSQL `CAST(meta -> 'key' AS TEXT)`): the types
    SQLite's json_type would give, strings unquoted, escapes decoded, each column typed by the kernels."""
    from didmeta.server.query import arrow_convert

    stamp = '{"$ts":"2024-01-02T03:04:05.678901Z"}'
    raw = ['"a,b"', None, "null", "12", "-3.5", "1e3", "true", "false", stamp, "[1,2]", '"caf\\u00e9 \\"x\\""', '""']
    texts = pa.array(raw, pa.string())
    kinds, values = arrow_convert.json_text_kinds(pa, texts)
    assert kinds.to_pylist() == [
        "text",
        None,
        "null",
        "number",
        "number",
        "number",
        "true",
        "false",
        "object",
        "array",
        "text",
        "text",
    ]
    assert values.to_pylist()[0] == "a,b" and values.to_pylist()[10:] == ['café "x"', ""]

    def refuse(*args: object) -> list[MetaValue]:
        raise AssertionError("values decoded one by one")

    monkeypatch.setattr(arrow_convert, "_decoded", refuse)
    columns = {
        "integers": (["12", None, "null", "-4"], pa.int64(), [12, None, None, -4]),
        "doubles": (["2", "2.5", None, "1e3"], pa.float64(), [2.0, 2.5, None, 1000.0]),
        "doubles first": (["2.5", "3", "-1E-2"], pa.float64(), [2.5, 3.0, -0.01]),
        "strings": (['"x"', None, '"\\u00e9"', '"NULL"'], pa.string(), ["x", None, "é", "NULL"]),
        "booleans": (["true", "false", None, "null"], pa.bool_(), [True, False, None, None]),
        "timestamps": (['{"$ts":"2024-01-02T03:04:05.678901Z"}', None], pa.timestamp("us", tz="UTC"), [T, None]),
    }
    for name, (column_texts, expected_type, expected) in columns.items():
        column, fallback = arrow_convert.json_column(pa, pa.array(column_texts, pa.string()))
        assert (column.type, column.to_pylist(), fallback) == (expected_type, expected, False), name


@pytest.mark.parametrize(
    "values",
    [
        [1, "1", T, [1, "a"], None],  # mixed types: the JSON-text fallback
        [[1, 2], None, []],  # lists: typed from the decoded values
        [{"x": 1, "t": T}, None],  # objects other than a timestamp
        ['caf\u00e9 "q"', 2**62],  # an escaped string beside an int: mixed
        [2**63 - 1, -(2**63), 0.5],  # int64 bounds beside a double: double, as json.loads reads them
    ],
)
def test_json_columns_decoded_one_by_one_match_the_row_built_column(values: list[MetaValue]) -> None:
    """What the kernels cannot type is decoded text by text (`json_text_value`) into the column the
    row-built batches make from the same values (`metadata_array`), fallback flag included."""
    from didmeta.server.query import arrow_convert
    from didmeta.values import dump_json, to_json

    texts = pa.array([None if v is None else dump_json(to_json(v)) for v in values], pa.string())
    column, fallback = arrow_convert.json_column(pa, texts)
    expected = metadata_array(pa, values)
    assert (column.type, column.to_pylist()) == (expected.type, expected.to_pylist())
    assert fallback == (expected.type == pa.string() and any(not isinstance(v, str | None) for v in values))


def test_an_objects_fallback_text_has_its_keys_sorted() -> None:
    """Backends keep an object's keys in their own order (PostgreSQL's jsonb by length): the fallback text
    sorts them, nested objects and objects in lists too, so every backend gives one text."""
    column = metadata_array(pa, [{"b": 1, "aa": {"y": 2, "x": [{"d": 1, "c": 2}]}}, 5])
    assert column.to_pylist() == ['{"aa":{"x":[{"c":2,"d":1}],"y":2},"b":1}', "5"]
