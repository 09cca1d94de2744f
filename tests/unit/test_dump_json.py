"""`dump_json` takes the C encoder when it can; its text must equal the reference encoder's."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from didmeta.values import _encode, dump_json


def reference(value: Any) -> str:
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


CASES: list[Any] = [
    None,
    True,
    0,
    -(2**63),
    'héllo "wörld" \\ \n \u2028',
    0.0,
    -0.0,
    5.0,
    0.1,
    1e-4,
    9.999999999999999e-05,
    1e15,
    9999999999999998.0,
    1e16,
    -1e16,
    1e300,
    5e-324,
    123456789.123,
    [1, "two", 3.5, False, None, [1e20]],
    {"a": {"$ts": "2024-01-01T00:00:00.000000Z"}, "b": [0.5, {"c": 1e-7}], "d": {}},
    {"energy": 13999.999, "tags": ["calib", "grl"], "run": 4242},
]


@pytest.mark.parametrize("value", CASES, ids=[str(i) for i in range(len(CASES))])
def test_same_text_as_the_reference_encoder(value: Any) -> None:
    text = dump_json(value)
    assert text == reference(value)
    assert json.loads(text) == json.loads(reference(value))


def test_doubles_keep_a_decimal_point() -> None:
    assert dump_json([1e16, 1e-7]) == "[10000000000000000.0,0.0000001]"


@pytest.mark.parametrize("bad", [math.nan, math.inf, [1, -math.inf]])
def test_non_finite_doubles_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        dump_json(bad)
