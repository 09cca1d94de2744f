"""Spec §2, §3, §6 through a real server (SQLite and PostgreSQL): metadata writes, reads, deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest

from didmeta.client import Client, NewDid
from didmeta.identifiers import DidKey
from tests.support.checks import expect_error, snapshot

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION

WHEN = datetime(2024, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


@pytest.fixture()
def ds(client: Client, scope: str) -> str:
    did = f"{scope}:ds"
    client.add_did(did, "dataset")
    return did


# --- set / get ----------------------------------------------------------------------------------------------
def test_set_one_key(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"colour": "red"})
    assert client.get_metadata(ds, "JSON") == {"colour": "red"}


def test_set_many_keys_across_plugins(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"colour": "red", "run_number": 5, "project": "data24", "size_class": 3})
    assert client.get_metadata(ds, "JSON") == {"colour": "red", "size_class": 3}
    column = client.get_metadata(ds, "DID_COLUMN")
    assert column["run_number"] == 5 and column["project"] == "data24"
    assert "colour" not in column


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (7, int),
        (-5, int),
        (2**63 - 1, int),
        (5.0, float),
        (0.001, float),
        (True, bool),
        (False, bool),
        ("text", str),
        ("", str),
        ("5", str),
        (WHEN, datetime),
        ([1, "a", 2.5, None, True, [WHEN]], list),
        ({"inner": {"deep": 1}, "list": [1, 2], "when": WHEN, "flag": False}, dict),
    ],
)
def test_typed_values_round_trip(client: Client, ds: str, value: object, kind: type) -> None:
    client.set_metadata(ds, {"value": value})  # type: ignore[dict-item]
    back = client.get_metadata(ds, "JSON")["value"]
    assert back == value
    assert type(back) is kind


def test_double_five_is_not_returned_as_int(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"ratio": 5.0, "count": 5})
    back = client.get_metadata(ds, "JSON")
    assert isinstance(back["ratio"], float) and not isinstance(back["count"], float)


def test_timestamp_keeps_microseconds_and_is_utc(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"when": WHEN})
    back = client.get_metadata(ds, "ALL")["when"]
    assert back == WHEN
    assert isinstance(back, datetime) and back.utcoffset() == timedelta(0)


def test_optimised_columns_round_trip(client: Client, ds: str) -> None:
    values = {
        "project": "data24_13p6TeV",
        "datatype": "AOD",
        "run_number": 456789,
        "stream_name": "physics_Main",
        "prod_step": "merge",
        "version": "f1234",
        "campaign": "mc23",
        "task_id": 123,
        "panda_id": 9999,
        "lumiblocknr": 17,
        "provenance": "T0",
        "phys_group": "higgs",
    }
    client.set_metadata(ds, values)  # type: ignore[arg-type]
    column = client.get_metadata(ds)
    assert {k: column[k] for k in values} == values
    assert client.get_metadata(ds, "JSON") == {}


def test_set_is_an_upsert_and_a_shallow_merge(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"a": 1, "m": {"x": 1, "y": 1}, "run_number": 1})
    client.set_metadata(ds, {"b": 2, "m": {"z": 3}, "run_number": 2})
    assert client.get_metadata(ds, "JSON") == {"a": 1, "b": 2, "m": {"z": 3}}
    assert client.get_metadata(ds)["run_number"] == 2


def test_setting_null_removes_the_key(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"a": 1, "b": 2, "run_number": 3})
    client.set_metadata(ds, {"a": None, "run_number": None})
    assert client.get_metadata(ds, "JSON") == {"b": 2}
    assert "run_number" not in client.get_metadata(ds)


def test_initial_metadata_with_many_plugins_is_atomic(client: Client, scope: str) -> None:
    expect_error(
        lambda: client.add_dids([NewDid(f"{scope}:x", "dataset", metadata={"colour": "red", "run_number": "abc"})]),
        INVALID,
        mentions=("run_number",),
    )
    expect_error(lambda: client.get_did(f"{scope}:x"), NOT_FOUND)


def test_value_of_the_wrong_type_for_an_optimised_column_is_refused(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"colour": "blue"})
    expect_error(
        lambda: client.set_metadata(ds, {"run_number": "abc", "colour": "red"}), INVALID, mentions=("run_number",)
    )
    assert client.get_metadata(ds, "JSON") == {"colour": "blue"}


# --- recursive ------------------------------------------------------------------------------------------------
def test_recursive_set_reaches_direct_children_only(client: Client, scope: str) -> None:
    client.add_dids(
        [
            NewDid(f"{scope}:c", "container"),
            NewDid(f"{scope}:d1", "dataset"),
            NewDid(f"{scope}:d2", "dataset"),
            NewDid(f"{scope}:f", "file"),
            NewDid(f"{scope}:other", "dataset"),
        ]
    )
    client.attach(f"{scope}:c", [f"{scope}:d1", f"{scope}:d2"])
    client.attach(f"{scope}:d1", [f"{scope}:f"])
    client.set_metadata(f"{scope}:c", {"colour": "red", "run_number": 9}, recursive=True)
    for did in ("c", "d1", "d2"):
        everything = client.get_metadata(f"{scope}:{did}", "ALL")
        assert (everything.get("colour"), everything.get("run_number")) == ("red", 9), did
    for did in ("f", "other"):
        everything = client.get_metadata(f"{scope}:{did}", "ALL")
        assert "colour" not in everything and "run_number" not in everything, did


def test_recursive_bulk_set(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:d", "dataset"), NewDid(f"{scope}:f", "file")])
    client.attach(f"{scope}:d", [f"{scope}:f"])
    assert client.set_metadata_bulk([(f"{scope}:d", {"tag": "x"})], recursive=True) == 1
    assert client.get_metadata(f"{scope}:f", "JSON") == {"tag": "x"}


def test_non_recursive_set_leaves_children_alone(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:d", "dataset"), NewDid(f"{scope}:f", "file")])
    client.attach(f"{scope}:d", [f"{scope}:f"])
    client.set_metadata(f"{scope}:d", {"tag": "x"})
    assert client.get_metadata(f"{scope}:f", "JSON") == {}


# --- bulk -------------------------------------------------------------------------------------------------------
def test_bulk_set_many_dids(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:d{i}", "dataset") for i in range(3)])
    updated = client.set_metadata_bulk([(f"{scope}:d{i}", {"i": i, "run_number": 100 + i}) for i in range(3)])
    assert updated == 3
    for i in range(3):
        assert client.get_metadata(f"{scope}:d{i}", "ALL")["i"] == i
        assert client.get_metadata(f"{scope}:d{i}")["run_number"] == 100 + i


@pytest.mark.parametrize(
    "bad_item",
    [
        ("missing", {"i": 1}),  # a DID that does not exist
        ("d1", {"bytes": 1}),  # a reserved key
        ("d1", {"a.b": 1}),  # a bad key
        ("d1", {"run_number": "abc"}),  # a value of the wrong type for its column
        ("d1", {"lifetime": "soon"}),
    ],
)
def test_bulk_set_is_atomic(client: Client, scope: str, bad_item: tuple[str, dict[str, object]]) -> None:
    client.add_dids([NewDid(f"{scope}:d0", "dataset"), NewDid(f"{scope}:d1", "dataset")])
    client.set_metadata(f"{scope}:d0", {"i": 0})
    before = snapshot(client, scope)
    name, metadata = bad_item
    with pytest.raises(Exception):  # noqa: B017 - the kind is checked by test_errors; here: nothing written
        items: list[tuple[str, Any]] = [
            (f"{scope}:d0", {"i": 100, "run_number": 1, "new": "x"}),
            (f"{scope}:{name}", metadata),
        ]
        client.set_metadata_bulk(items)
    assert snapshot(client, scope) == before


def test_bulk_set_with_the_same_did_twice_is_refused(client: Client, ds: str) -> None:
    expect_error(lambda: client.set_metadata_bulk([(ds, {"a": 1}), (ds, {"b": 2})]), INVALID)
    assert client.get_metadata(ds, "JSON") == {}


# --- reserved and bad keys ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key",
    [
        "scope",
        "name",
        "account",
        "did_type",
        "type",
        "is_open",
        "bytes",
        "length",
        "md5",
        "adler32",
        "created_at",
        "updated_at",
        "suppressed",
        "closed_at",
        "expired_at",
        "created_after",
        "created_before",
    ],
)
def test_reserved_keys_are_refused(client: Client, ds: str, key: str) -> None:
    before = snapshot(client, ds.split(":", maxsplit=1)[0])
    error = expect_error(lambda: client.set_metadata(ds, {key: 1}), INVALID, reason="RESERVED_KEY")
    assert key in error.message
    assert snapshot(client, ds.split(":", maxsplit=1)[0]) == before


@pytest.mark.parametrize("key", ["a.b", "$x", "with space", "a" * 101, "1abc", "-x", "a/b", "é", "a:b", ""])
def test_bad_keys_are_refused_naming_the_key(client: Client, ds: str, key: str) -> None:
    error = expect_error(lambda: client.set_metadata(ds, {key: 1, "fine": 2}), INVALID)
    assert error.reason == "INVALID_KEY"
    assert any(key in v.field or key in v.description for v in error.field_violations)
    assert client.get_metadata(ds, "JSON") == {}


def test_key_of_100_characters_is_fine(client: Client, ds: str) -> None:
    key = "k" * 100
    client.set_metadata(ds, {key: 1})
    assert client.get_metadata(ds, "JSON") == {key: 1}


def test_bad_map_key_is_refused(client: Client, ds: str) -> None:
    expect_error(lambda: client.set_metadata(ds, {"m": {"a.b": 1}}), INVALID, mentions=("a.b",))
    assert client.get_metadata(ds, "JSON") == {}


def test_nan_is_refused(client: Client, ds: str) -> None:
    expect_error(lambda: client.set_metadata(ds, {"x": float("nan")}), INVALID, reason="INVALID_VALUE")
    expect_error(lambda: client.set_metadata(ds, {"x": [float("inf")]}), INVALID)
    assert client.get_metadata(ds, "JSON") == {}


def test_set_on_a_missing_did_is_not_found(client: Client, scope: str) -> None:
    expect_error(lambda: client.set_metadata(f"{scope}:nope", {"a": 1}), NOT_FOUND)


def test_set_without_keys_is_refused(client: Client, ds: str) -> None:
    expect_error(lambda: client.set_metadata(ds, {}), INVALID)


# --- get with plugins ---------------------------------------------------------------------------------------------
def test_get_defaults_to_did_column(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"run_number": 5, "colour": "red"})
    default = client.get_metadata(ds)
    assert default == client.get_metadata(ds, "DID_COLUMN")
    assert default["run_number"] == 5
    assert "colour" not in default
    # intrinsic attributes are shown by DID_COLUMN
    assert default["type"] == "DATASET"
    assert default["length"] == 0 and default["bytes"] == 0
    assert default["is_open"] is True


def test_get_json_shows_only_json_keys(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"run_number": 5, "colour": "red"})
    assert client.get_metadata(ds, "JSON") == {"colour": "red"}


def test_get_all_merges_every_plugin(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"run_number": 5, "colour": "red"})
    everything = client.get_metadata(ds, "ALL")
    assert everything["run_number"] == 5
    assert everything["colour"] == "red"
    assert everything["type"] == "DATASET"


@pytest.mark.parametrize("name", ["json", "Json", "all", "did_column"])
def test_plugin_names_are_case_insensitive(client: Client, ds: str, name: str) -> None:
    client.set_metadata(ds, {"colour": "red"})
    client.get_metadata(ds, name)


@pytest.mark.parametrize("name", ["NOPE", "MONGOX", "JSON2"])
def test_unknown_plugin_is_invalid_argument(client: Client, ds: str, name: str) -> None:
    error = expect_error(lambda: client.get_metadata(ds, name), INVALID, field="plugin")
    assert name in error.message


def test_get_of_a_missing_did_is_not_found(client: Client, scope: str) -> None:
    expect_error(lambda: client.get_metadata(f"{scope}:nope", "ALL"), NOT_FOUND)


# --- delete ---------------------------------------------------------------------------------------------------
def test_delete_a_json_key(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"a": 1, "b": 2, "run_number": 3})
    client.delete_metadata(ds, ["a"])
    assert client.get_metadata(ds, "JSON") == {"b": 2}
    assert client.get_metadata(ds)["run_number"] == 3


def test_delete_many_keys_across_owners(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"a": 1, "b": 2, "run_number": 3, "project": "p"})
    client.delete_metadata(ds, ["a", "run_number"])
    assert client.get_metadata(ds, "JSON") == {"b": 2}
    column = client.get_metadata(ds)
    assert "run_number" not in column and column["project"] == "p"


def test_delete_a_key_that_is_not_set_is_not_found(client: Client, ds: str) -> None:
    error = expect_error(lambda: client.delete_metadata(ds, ["absent"]), NOT_FOUND)
    assert "absent" in error.message


def test_delete_an_optimised_column_that_is_not_set_is_not_found(client: Client, ds: str) -> None:
    expect_error(lambda: client.delete_metadata(ds, ["campaign"]), NOT_FOUND)


def test_delete_with_one_missing_key_deletes_nothing(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"a": 1, "run_number": 3})
    expect_error(lambda: client.delete_metadata(ds, ["a", "run_number", "absent"]), NOT_FOUND)
    assert client.get_metadata(ds, "JSON") == {"a": 1}
    assert client.get_metadata(ds)["run_number"] == 3


def test_delete_an_optimised_column_sets_it_to_null(client: Client, ds: str) -> None:
    scope = ds.split(":", maxsplit=1)[0]
    client.set_metadata(ds, {"run_number": 3})
    client.delete_metadata(ds, ["run_number"])
    assert "run_number" not in client.get_metadata(ds)
    assert list(client.list_dids(scope, "run_number=null")) == [ds]
    assert list(client.list_dids(scope, "run_number=3")) == []


@pytest.mark.parametrize("key", ["bytes", "length", "created_at", "account", "is_open", "md5"])
def test_delete_an_intrinsic_attribute_is_failed_precondition(client: Client, ds: str, key: str) -> None:
    before = client.get_metadata(ds)
    error = expect_error(lambda: client.delete_metadata(ds, [key]), PRECONDITION)
    assert key in error.message
    assert client.get_metadata(ds) == before


def test_delete_on_a_missing_did_is_not_found(client: Client, scope: str) -> None:
    expect_error(lambda: client.delete_metadata(f"{scope}:nope", ["a"]), NOT_FOUND)


def test_delete_with_a_bad_key_is_invalid_argument(client: Client, ds: str) -> None:
    expect_error(lambda: client.delete_metadata(ds, ["a.b"]), INVALID, reason="INVALID_KEY")


def test_delete_without_keys_is_invalid_argument(client: Client, ds: str) -> None:
    expect_error(lambda: client.delete_metadata(ds, []), INVALID)


# --- lifetime and eol_at -------------------------------------------------------------------------------------------
def test_lifetime_sets_and_clears_expired_at(client: Client, ds: str) -> None:
    before = datetime.now(UTC)
    client.set_metadata(ds, {"lifetime": 3600})
    expired_at = client.get_did(ds).expired_at
    assert expired_at is not None
    assert before + timedelta(seconds=3590) <= expired_at <= datetime.now(UTC) + timedelta(seconds=3610)
    client.set_metadata(ds, {"lifetime": None})
    assert client.get_did(ds).expired_at is None


def test_lifetime_accepts_a_double(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"lifetime": 86400.5})
    expired_at = client.get_did(ds).expired_at
    assert expired_at is not None and expired_at > datetime.now(UTC) + timedelta(hours=23)


@pytest.mark.parametrize("value", ["soon", True, [1]])
def test_lifetime_takes_seconds(client: Client, ds: str, value: object) -> None:
    expect_error(lambda: client.set_metadata(ds, {"lifetime": value}), INVALID)  # type: ignore[dict-item]
    assert client.get_did(ds).expired_at is None


def test_eol_at_takes_a_timestamp(client: Client, ds: str) -> None:
    client.set_metadata(ds, {"eol_at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)})
    assert client.get_metadata(ds)["eol_at"] == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-02", datetime(2030, 1, 2, tzinfo=UTC)),
        ("2030-01-02T03:04:05Z", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_eol_at_accepts_an_iso_date(client: Client, ds: str, text: str, expected: datetime) -> None:
    # spec §1: `eol_at` accepts an ISO date or timestamp
    client.set_metadata(ds, {"eol_at": text})
    assert client.get_metadata(ds)["eol_at"] == expected


def test_eol_at_refuses_a_non_date(client: Client, ds: str) -> None:
    expect_error(lambda: client.set_metadata(ds, {"eol_at": "next tuesday"}), INVALID)
    assert "eol_at" not in client.get_metadata(ds)


# --- bulk get ------------------------------------------------------------------------------------------------------
def test_bulk_get_reports_missing_dids(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:a", "dataset"), NewDid(f"{scope}:b", "dataset")])
    client.set_metadata(f"{scope}:a", {"x": 1})
    results = dict(client.get_metadata_bulk([f"{scope}:a", f"{scope}:nope", f"{scope}:b", f"{scope}:gone"]))
    assert set(results) == {(scope, "a"), (scope, "nope"), (scope, "b"), (scope, "gone")}
    assert results[DidKey(scope, "nope")] is None and results[DidKey(scope, "gone")] is None
    assert results[DidKey(scope, "a")] == {**(results[DidKey(scope, "a")] or {}), "x": 1}
    assert "x" not in (results[DidKey(scope, "b")] or {"x": "missing result"})


def test_bulk_get_of_many_dids(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:d{i:04d}", "dataset", metadata={"i": i}) for i in range(1200)])
    results = dict(client.get_metadata_bulk([f"{scope}:d{i:04d}" for i in range(1200)], "JSON"))
    assert len(results) == 1200
    assert all(results[(scope, f"d{i:04d}")] == {"i": i} for i in range(1200))  # type: ignore[index]


def test_bulk_get_with_an_unknown_plugin_is_invalid_argument(client: Client, ds: str) -> None:
    expect_error(lambda: list(client.get_metadata_bulk([ds], "NOPE")), INVALID)


def test_bulk_get_inherits_nearest_ancestor_first_and_own_keys_win(client: Client, scope: str) -> None:
    s = scope
    client.add_dids(
        [
            NewDid(f"{s}:top", "container"),
            NewDid(f"{s}:mid", "container"),
            NewDid(f"{s}:ds", "dataset"),
            NewDid(f"{s}:f", "file"),
        ]
    )
    client.attach(f"{s}:top", [f"{s}:mid"])
    client.attach(f"{s}:mid", [f"{s}:ds"])
    client.attach(f"{s}:ds", [f"{s}:f"])
    client.set_metadata(f"{s}:top", {"a": "top", "b": "top", "c": "top", "run_number": 1})
    client.set_metadata(f"{s}:mid", {"a": "mid", "b": "mid"})
    client.set_metadata(f"{s}:ds", {"a": "ds"})
    client.set_metadata(f"{s}:f", {"own": 1})
    inherited = dict(client.get_metadata_bulk([f"{s}:f", f"{s}:mid"], inherit=True))
    file_md = inherited[DidKey(s, "f")]
    assert file_md is not None
    assert (file_md["a"], file_md["b"], file_md["c"], file_md["own"]) == ("ds", "mid", "top", 1)
    assert file_md["run_number"] == 1
    assert file_md["type"] == "FILE"  # own intrinsic attributes win
    mid_md = inherited[DidKey(s, "mid")]
    assert mid_md is not None
    assert (mid_md["a"], mid_md["b"], mid_md["c"]) == ("mid", "mid", "top")
    client.set_metadata(f"{s}:f", {"a": "mine"})
    again = dict(client.get_metadata_bulk([f"{s}:f"], inherit=True))[DidKey(s, "f")]
    assert again is not None and again["a"] == "mine"
    # without inherit: only its own keys
    plain = dict(client.get_metadata_bulk([f"{s}:f"], "JSON"))[DidKey(s, "f")]
    assert plain == {"own": 1, "a": "mine"}


def test_inherit_from_two_parents_is_deterministic(client: Client, scope: str) -> None:
    s = scope
    client.add_dids([NewDid(f"{s}:p1", "dataset"), NewDid(f"{s}:p2", "dataset"), NewDid(f"{s}:f", "file")])
    client.attach(f"{s}:p1", [f"{s}:f"])
    client.attach(f"{s}:p2", [f"{s}:f"])
    client.set_metadata(f"{s}:p1", {"only1": 1, "both": "p1"})
    client.set_metadata(f"{s}:p2", {"only2": 2, "both": "p2"})
    first = dict(client.get_metadata_bulk([f"{s}:f"], "JSON", inherit=True))[DidKey(s, "f")]
    assert first is not None and first["only1"] == 1 and first["only2"] == 2
    for _ in range(3):
        assert dict(client.get_metadata_bulk([f"{s}:f"], "JSON", inherit=True))[DidKey(s, "f")] == first
