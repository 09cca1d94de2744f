"""The Rucio integration's pure parts: how Rucio rows, JSON metadata and filter dictionaries map to didmeta."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from didmeta.errors import InvalidArgument
from didmeta.filters.model import Op
from didmeta.integrations.rucio.filters import rucio_filters_to_groups
from didmeta.integrations.rucio.source import engine_url
from didmeta.integrations.rucio.types import column_metadata, did_type, file_attributes, json_metadata


def test_types() -> None:
    assert [did_type(c) for c in ("F", "D", "C", "A", "X", "DATASET")] == [
        "file",
        "dataset",
        "container",
        None,
        None,
        "dataset",
    ]


def test_json_metadata_is_typed_and_refusals_say_why() -> None:
    metadata, refusals = json_metadata(
        "s:n",
        {
            "n": 5,
            "x": 1.5,
            "flag": True,
            "none": None,
            "text": "5",
            "code": "007",
            "day": "2023-05-01",
            "tags": ["a", "2"],
            "1bad": 1,
            "has space": 2,
            "$x": 3,
            "bytes": 4,
            "big": 2**70,
        },
    )
    assert metadata == {
        "n": 5,
        "x": 1.5,
        "flag": True,
        "none": None,
        "text": 5,
        "code": "007",
        "day": datetime(2023, 5, 1, tzinfo=UTC),
        "tags": ["a", 2],
    }
    reasons = {r.key: r.reason for r in refusals}
    assert set(reasons) == {"1bad", "has space", "$x", "bytes", "big"}
    assert "reserved" in reasons["bytes"] and "int64" in reasons["big"]
    kept, none = json_metadata("s:n", '{"text": "5"}', type_strings=False)
    assert kept == {"text": "5"} and none == []
    assert json_metadata("s:n", "[1]")[1][0].reason.startswith("did_meta.meta is a JSON list")
    assert json_metadata("s:n", "{oops")[1][0].reason.startswith("did_meta.meta is not JSON")


def test_columns_and_file_attributes() -> None:
    when = datetime(2030, 1, 1)
    row = {"run_number": 7, "datatype": "RAW", "task_id": "12", "panda_id": "x", "project": None, "eol_at": when}
    metadata, refusals = column_metadata("s:n", row)
    assert metadata == {"run_number": 7, "datatype": "RAW", "task_id": 12, "eol_at": when.replace(tzinfo=UTC)}
    assert [r.key for r in refusals] == ["panda_id"]
    guid = uuid.uuid4()
    assert file_attributes({"bytes": 10, "adler32": "0000000a", "md5": None, "guid": guid, "events": None}) == {
        "bytes": 10,
        "adler32": "0000000a",
        "guid": guid.hex,
    }


def test_rucio_filter_dictionaries() -> None:
    groups = rucio_filters_to_groups(
        [{"run_number.gte": "5", "name": "*"}, {"datatype": "RAW*", "is_mc.ne": "true", "name": "ds_*"}]
    )
    assert groups == [
        [("run_number", Op.GTE, 5)],
        [("datatype", Op.EQ, "RAW*"), ("is_mc", Op.NE, True), ("name", Op.EQ, "ds_*")],
    ]
    assert rucio_filters_to_groups({"name": "*"}) == []
    assert rucio_filters_to_groups(None) == []
    assert rucio_filters_to_groups([{"energy.lt": 1.5e3}]) == [[("energy", Op.LT, 1500.0)]]
    with pytest.raises(InvalidArgument, match="unknown operator"):
        rucio_filters_to_groups([{"run.between": "1"}])


def test_engine_url() -> None:
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"
