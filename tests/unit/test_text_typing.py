"""Spec §2: the one text-typing rule set, value validation, and the wire form of values.

Every example the spec names is here; each expectation is written from the spec, not from the code.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from google.protobuf import struct_pb2

from didmeta.errors import InvalidArgument
from didmeta.v1 import value_pb2
from didmeta.values import (
    INT64_MAX,
    INT64_MIN,
    MetaValue,
    check_value,
    format_timestamp,
    format_value,
    from_json,
    parse_text_value,
    to_json,
    type_name,
)
from didmeta.wire import metadata_from_wire, metadata_to_wire, value_from_wire, value_to_wire


def _typed(text: str) -> tuple[str, object]:
    value = parse_text_value(text)
    return type_name(value), value


# --- booleans and null ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["true", "TRUE", "True", "tRuE"])
def test_true_in_any_case_is_bool(text: str) -> None:
    assert _typed(text) == ("bool", True)


@pytest.mark.parametrize("text", ["false", "FALSE", "False", "fAlSe"])
def test_false_in_any_case_is_bool(text: str) -> None:
    assert _typed(text) == ("bool", False)


@pytest.mark.parametrize("text", ["untrue", "truest", "falsey", "true1", "yes", "no", "t", "f"])
def test_bool_only_as_whole_word(text: str) -> None:
    assert _typed(text) == ("string", text)


@pytest.mark.parametrize("text", ["null", "NULL", "Null", "none", "None", "NONE"])
def test_null_and_none_are_null(text: str) -> None:
    assert _typed(text) == ("null", None)


@pytest.mark.parametrize("text", ["nil", "nullable", "nones", "N/A"])
def test_null_only_as_whole_word(text: str) -> None:
    assert _typed(text) == ("string", text)


# --- integers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("5", 5),
        ("-5", -5),
        ("+5", 5),
        ("-0", 0),
        ("1_000", 1000),
        ("-1_000_000", -1_000_000),
        ("123456789", 123456789),
        (str(INT64_MAX), INT64_MAX),
        (str(INT64_MIN), INT64_MIN),
    ],
)
def test_integer_literals_are_int(text: str, expected: int) -> None:
    kind, value = _typed(text)
    assert kind == "int"
    assert value == expected
    assert not isinstance(value, bool)


def test_minus_five_is_an_int_not_text() -> None:
    # Rucio compares `-5` as text; the spec calls it out explicitly.
    assert _typed("-5") == ("int", -5)


@pytest.mark.parametrize("text", ["007", "00", "0123", "-007", "+01"])
def test_leading_zeros_stay_strings(text: str) -> None:
    assert _typed(text) == ("string", text)


@pytest.mark.parametrize("text", ["1__0", "_1", "1_", "1,000", "0x10", "1 000", "--5", "+-5"])
def test_malformed_integers_stay_strings(text: str) -> None:
    assert _typed(text) == ("string", text)


@pytest.mark.parametrize("text", [str(INT64_MAX + 1), str(INT64_MIN - 1), "1" * 30])
def test_integers_outside_int64_are_not_ints(text: str) -> None:
    kind, _ = _typed(text)
    assert kind != "int"


# --- decimals and exponents ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", 0.5),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("5.0", 5.0),
        ("1e-3", 0.001),
        ("1E3", 1000.0),
        ("-1.5e+2", -150.0),
        ("+2.5", 2.5),
        ("1_000.5", 1000.5),
    ],
)
def test_decimal_and_exponent_literals_are_doubles(text: str, expected: float) -> None:
    kind, value = _typed(text)
    assert kind == "double"
    assert value == pytest.approx(expected)


def test_one_e_minus_three_is_a_number_not_text() -> None:
    kind, value = _typed("1e-3")
    assert kind == "double"
    assert value == pytest.approx(0.001)


@pytest.mark.parametrize("text", ["1.5.5", "1e", "e3", ".", "-", "+", "1e3.5", "nan", "NaN", "inf", "Infinity"])
def test_non_numbers_stay_strings(text: str) -> None:
    assert _typed(text) == ("string", text)


@pytest.mark.parametrize("text", ["1e400", "-1e400", "9" * 400 + ".0"])
def test_a_literal_too_large_for_a_double_is_not_an_infinity(text: str) -> None:
    # Infinities cannot be stored (spec §2); typing must never produce one.
    value = parse_text_value(text)
    assert not (isinstance(value, float) and not math.isfinite(value))
    check_value(value, "value")  # storable as typed


# --- timestamps --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02", datetime(2024, 1, 2, tzinfo=UTC)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04", datetime(2024, 1, 2, 3, 4, tzinfo=UTC)),
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05+02:00", datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05-05:30", datetime(2024, 1, 2, 8, 34, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.5", datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)),
        ("2024-01-02T03:04:05.123456+00:00", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    ],
)
def test_iso_8601_dates_and_date_times(text: str, expected: datetime) -> None:
    kind, value = _typed(text)
    assert kind == "timestamp"
    assert value == expected
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(0)


def test_date_only_means_midnight_utc() -> None:
    value = parse_text_value("2024-06-30")
    assert isinstance(value, datetime)
    assert (value.year, value.month, value.day, value.hour, value.minute, value.second) == (2024, 6, 30, 0, 0, 0)
    assert value.utcoffset() == timedelta(0)


def test_a_date_time_without_zone_is_utc() -> None:
    value = parse_text_value("2024-06-30T12:00:00")
    assert value == datetime(2024, 6, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # %Y-%m-%d %H:%M:%S
        ("2024-01-02 03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        # %Y-%m-%dT%H:%M:%S
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        # %Y-%m-%d %H:%M:%S.%fZ
        ("2024-01-02 03:04:05.123456Z", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        # %Y-%m-%dT%H:%M:%S.%fZ
        ("2024-01-02T03:04:05.123456Z", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2024-01-02T03:04:05.1Z", datetime(2024, 1, 2, 3, 4, 5, 100000, tzinfo=UTC)),
        # %a, %d %b %Y %H:%M:%S UTC
        ("Tue, 02 Jan 2024 03:04:05 UTC", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("Sat, 29 Feb 2020 23:59:59 UTC", datetime(2020, 2, 29, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_rucio_date_formats(text: str, expected: datetime) -> None:
    assert _typed(text) == ("timestamp", expected)


@pytest.mark.parametrize(
    "text",
    [
        "2024-13-01",
        "2024-02-30",
        "2024-01-02T25:00:00",
        "2024-1-2",
        "Tue, 02 Jan 2024 03:04:05 GMT",
        "02/01/2024",
        "2024-01-02T03:04:05.1234567Z",
    ],
)
def test_impossible_or_foreign_dates_stay_strings(text: str) -> None:
    assert _typed(text) == ("string", text)


# --- quoted strings and the rest --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"5"', "5"),
        ('"-5"', "-5"),
        ('"true"', "true"),
        ('"null"', "null"),
        ('"1e-3"', "1e-3"),
        ('"2024-01-02"', "2024-01-02"),
        ('"007"', "007"),
        ('"a, b; c = d"', "a, b; c = d"),
        ('""', ""),
    ],
)
def test_double_quoted_text_is_that_string(text: str, expected: str) -> None:
    assert _typed(text) == ("string", expected)


@pytest.mark.parametrize("text", ["hello", "mc23_13p6TeV", "a b", "x*", "'5'", "user.jdoe", "/path/to", '"', 'a"b'])
def test_anything_else_is_the_string_unchanged(text: str) -> None:
    assert _typed(text) == ("string", text)


def test_typing_does_not_trim_or_alter_other_text() -> None:
    assert parse_text_value(" 5") == " 5"
    assert parse_text_value("True ") == "True "


# --- value validation --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinities_are_refused(value: float) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_value(value, "metadata.x")
    assert info.value.reason == "INVALID_VALUE"
    assert info.value.field_violations[0].field == "metadata.x"


@pytest.mark.parametrize("value", [INT64_MAX + 1, INT64_MIN - 1, 10**30])
def test_ints_outside_int64_are_refused(value: int) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_value(value, "metadata.n")
    assert info.value.field_violations[0].field == "metadata.n"


@pytest.mark.parametrize("value", [INT64_MAX, INT64_MIN, 0, -1])
def test_int64_bounds_are_accepted(value: int) -> None:
    assert check_value(value, "v") == value


def test_nested_values_are_checked_with_their_path() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_value({"inner": [1, float("nan")]}, "metadata.m")
    assert info.value.field_violations[0].field == "metadata.m.inner[1]"


@pytest.mark.parametrize("key", ["a.b", "$x", "with space", "", "1abc", "a" * 101, "é"])
def test_map_keys_follow_the_metadata_key_rules(key: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_value({key: 1}, "metadata.m")
    assert info.value.reason == "INVALID_KEY"


def test_valid_map_keys_are_accepted() -> None:
    value = {"a": 1, "_b-c": [True, None], "x" * 100: {"y": "z"}}
    assert check_value(value, "m") == value


def test_naive_timestamps_are_taken_as_utc_and_aware_ones_converted() -> None:
    assert check_value(datetime(2024, 1, 1, 12), "t") == datetime(2024, 1, 1, 12, tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    assert check_value(datetime(2024, 1, 1, 12, tzinfo=plus_two), "t") == datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_unsupported_python_types_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        check_value(object(), "v")
    with pytest.raises(InvalidArgument):
        check_value(b"bytes", "v")


# --- JSON storage form -----------------------------------------------------------------------------------------
SAMPLES: list[object] = [
    None,
    True,
    False,
    0,
    -5,
    INT64_MAX,
    5.0,
    -0.001,
    "",
    "text",
    datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    [1, "a", None, 2.5, [True]],
    {"k": 1, "nested": {"t": datetime(2000, 1, 1, tzinfo=UTC)}, "l": []},
]


@pytest.mark.parametrize("value", SAMPLES)
def test_json_storage_round_trip_keeps_type(value: object) -> None:
    back = from_json(to_json(value))  # type: ignore[arg-type]
    assert back == value
    assert type_name(back) == type_name(value)  # type: ignore[arg-type]


def test_timestamps_sort_as_text_in_storage() -> None:
    early = format_timestamp(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = format_timestamp(datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=UTC))
    assert early < late


# --- wire round trips --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", SAMPLES)
def test_wire_round_trip_keeps_value_and_type(value: object) -> None:
    message = value_to_wire(value)  # type: ignore[arg-type]
    again = value_pb2.Value.FromString(message.SerializeToString())
    back = value_from_wire(again)
    assert back == value
    assert type_name(back) == type_name(value)  # type: ignore[arg-type]


def test_wire_kinds_are_explicit() -> None:
    assert value_to_wire(5).WhichOneof("kind") == "int_value"
    assert value_to_wire(5.0).WhichOneof("kind") == "double_value"
    assert value_to_wire(True).WhichOneof("kind") == "bool_value"
    assert value_to_wire("5").WhichOneof("kind") == "string_value"
    assert value_to_wire(None).WhichOneof("kind") == "null_value"
    assert value_to_wire(datetime(2024, 1, 1, tzinfo=UTC)).WhichOneof("kind") == "timestamp_value"
    assert value_to_wire([]).WhichOneof("kind") == "list_value"
    assert value_to_wire({}).WhichOneof("kind") == "map_value"


def test_double_five_stays_a_double_on_the_wire() -> None:
    back = value_from_wire(value_to_wire(5.0))
    assert isinstance(back, float)
    assert back == 5.0


def test_empty_list_and_map_keep_their_kind() -> None:
    assert value_from_wire(value_to_wire([])) == []
    assert value_from_wire(value_to_wire({})) == {}


def test_naive_datetime_goes_on_the_wire_as_utc() -> None:
    back = value_from_wire(value_to_wire(datetime(2024, 5, 6, 7, 8, 9)))
    assert back == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_unset_wire_value_is_refused() -> None:
    with pytest.raises(InvalidArgument) as info:
        value_from_wire(value_pb2.Value(), "metadata.x")
    assert info.value.reason == "INVALID_VALUE"
    assert info.value.field_violations[0].field == "metadata.x"


def test_unset_value_inside_a_list_is_refused_with_its_path() -> None:
    message = value_pb2.Value()
    message.list_value.values.add(int_value=1)
    message.list_value.values.add()
    with pytest.raises(InvalidArgument) as info:
        value_from_wire(message, "metadata.l")
    assert info.value.field_violations[0].field == "metadata.l[1]"


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_doubles_from_the_wire_are_refused(number: float) -> None:
    with pytest.raises(InvalidArgument):
        value_from_wire(value_pb2.Value(double_value=number))


def test_non_finite_double_inside_a_list_from_the_wire_is_refused() -> None:
    message = value_pb2.Value()
    message.list_value.values.add(double_value=float("nan"))
    with pytest.raises(InvalidArgument):
        value_from_wire(message)


@pytest.mark.parametrize("key", ["a.b", "$x", "a b", ""])
def test_bad_map_keys_from_the_wire_are_refused(key: str) -> None:
    message = value_pb2.Value()
    message.map_value.fields[key].int_value = 1
    with pytest.raises(InvalidArgument) as info:
        value_from_wire(message, "metadata.m")
    assert info.value.reason == "INVALID_KEY"


def test_null_value_on_the_wire() -> None:
    message = value_pb2.Value(null_value=struct_pb2.NULL_VALUE)
    assert value_from_wire(message) is None


def test_metadata_map_round_trip() -> None:
    metadata: dict[str, Any] = {
        "run": 5,
        "ratio": 0.5,
        "ok": True,
        "when": datetime(2024, 1, 1, tzinfo=UTC),
        "tags": ["a"],
    }
    message = value_pb2.MapValue()
    metadata_to_wire(metadata, message.fields)
    assert metadata_from_wire(message.fields) == metadata


def test_cli_text_of_an_object_has_its_keys_sorted() -> None:
    """One text whatever order a backend hands the keys over in (PostgreSQL's jsonb orders them by length)."""
    written: MetaValue = {"zeta": 1, "a": {"yy": [True, None], "b": "x"}}
    reordered: MetaValue = {"a": {"b": "x", "yy": [True, None]}, "zeta": 1}
    assert format_value(written) == format_value(reordered) == "{a: {b: x, yy: [true, null]}, zeta: 1}"
