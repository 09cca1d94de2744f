"""Issue 11: a 1,000-value `in` is an ordinary query on every backend, with the reference answer.

The lists mix every value stored under a key (and their numeric, text and case variants) with
filler, so the set-membership form of a long `in` (one bound array instead of an OR per value) is
checked against the reference evaluator for every value type, with and without ignore_case.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from didmeta.filters import Op, parse_filter
from didmeta.filters.printer import Unprintable, format_filter_value
from didmeta.values import MetaValue
from tests.conformance.conftest import SCOPE, Conformance
from tests.conformance.dataset import T0, T1, records
from tests.conformance.oracle import evaluate
from tests.conformance.test_filters import ALL_TYPES

KEYS = ["mix", "quality", "energy", "run_number", "datatype", "when", "flag", "label", "campaign"]


def candidates(key: str) -> list[MetaValue]:
    """Every scalar stored under `key`, with variants, then filler: 1,000 printable values."""
    values: list[MetaValue] = []
    for record in records(SCOPE):
        stored = record.metadata.get(key)
        for value in stored if isinstance(stored, list) else [stored]:
            if isinstance(value, bool | int | float) and not isinstance(value, bool):
                values += [value, float(value), str(value)]
            elif isinstance(value, str):
                values += [value, value.upper(), value.lower()]
            elif value is not None and not isinstance(value, dict):
                values.append(value)
    values += [True, False, T0, T1 + timedelta(microseconds=1), 5, "5", 4.5]
    printable: list[MetaValue] = []
    for value in dict.fromkeys(values, None):
        try:
            format_filter_value(value)
        except Unprintable:
            continue
        if not (isinstance(value, str) and "*" in value):
            printable.append(value)
    filler = [f"zz{i}" if i % 2 else 10**6 + i for i in range(1000 - len(printable))]
    return printable + filler


@pytest.mark.parametrize("ignore_case", [False, True], ids=["exact", "ignore_case"])
@pytest.mark.parametrize("key", KEYS)
def test_a_thousand_value_in_matches_the_reference(conformance: Conformance, key: str, ignore_case: bool) -> None:
    values = candidates(key)
    assert len(values) == 1000
    expression = f"{key}.{Op.IN.value}={format_filter_value(values)}"
    expected = evaluate(conformance.records, parse_filter(expression), ALL_TYPES, ignore_case)
    with conformance.client() as client:
        got = list(client.list_dids(f"{SCOPE}*", expression, type="all", ignore_case=ignore_case))
        assert got == expected
        assert expected, "the list holds stored values: something must match"
        negated = f"{key}.ne=zzz,{expression}"
        assert client.count_dids(f"{SCOPE}*", negated, type="all", ignore_case=ignore_case) == len(expected)
