"""SQLite long listings read a JSON key from its JSON text (`meta -> '$."key"'`): the value must be the one
the JSON plugin returns, which decodes the whole document with `json.loads` and `from_json`."""

from __future__ import annotations

import json

import pytest

from didmeta.server.query.meta_sql import json_text_value
from didmeta.values import MetaValue, dump_json, from_json, to_json

DOCUMENT_VALUES: list[MetaValue] = [
    "plain",
    "",
    "caf\u00e9",
    'quote " and back\\slash',
    "line\nbreak",
    0,
    -17,
    2**70,
    1.5,
    -2.5e-7,
    1.0e20,
    3.0,
    True,
    False,
    [1, "x", 2.5],
    [],
    {"nested": {"a": [1, 2]}},
]


@pytest.mark.parametrize("value", DOCUMENT_VALUES, ids=repr)
def test_a_json_text_reads_as_the_document_read_does(value: MetaValue) -> None:
    text = dump_json(to_json(value))  # as the JSON plugin stores it; SQLite's `->` renders the same token
    expected = from_json(json.loads(text))
    got = json_text_value(text)
    assert got == expected and type(got) is type(expected)


def test_absent_and_null_texts_have_no_value() -> None:
    assert json_text_value(None) is None and json_text_value("null") is None
