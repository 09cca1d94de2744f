"""Generated filters on every plugin (hypothesis): each answer equals the reference evaluator's (`oracle.py`).

The hand-written cases of test_filters.py take one clause at a time. Here hypothesis combines clauses into
groups (AND, `,`), with `not` and parenthesised alternatives, and groups into alternatives (OR, `;`), over
the data set's keys, a key nobody has, and `name`: comparisons, the suffix operators (`eq` ... `prefix`,
`exists`, `in`/`not_in` lists), list quantifiers (`any`, `all`, `len`) and `type` clauses, with values
drawn from the data set itself (so clauses match something) or at the edges of each type (int64 bounds,
integers beyond 2^53, tiny and huge doubles, -0, timestamps, quoted text, wildcards), with and without
ignore_case. A filter the grammar refuses must be refused (INVALID_ARGUMENT) by the server too; any other
must list, and count, what the oracle finds.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from didmeta.errors import InvalidArgument
from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS
from didmeta.values import MetaValue, format_timestamp
from tests.conformance import dataset
from tests.conformance.conftest import SCOPE, Conformance
from tests.conformance.oracle import evaluate
from tests.property.strategies import EXAMPLES

KEYS = sorted({key for record in dataset.records(SCOPE) for key in record.metadata} | {"name", "nokey"})
OPERATORS = ["=", "!=", "<", "<=", ">", ">="]


def _text(value: MetaValue) -> str | None:
    """A scalar of the data set as filter text (None: not one a filter can spell)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, str) and value.isprintable() and not set(value) & set('",;()=<>!\\ '):
        return value
    return None


def _dataset_texts() -> list[str]:
    texts: set[str] = set()
    for record in dataset.records(SCOPE):
        for value in record.metadata.values():
            for item in value if isinstance(value, list) else [value]:
                text = _text(item)
                if text is not None:
                    texts.add(text)
    return sorted(texts)


EDGE_TEXTS = [
    "0",
    "-0",
    "-0.0",
    "9223372036854775807",
    "-9223372036854775808",
    "9007199254740993",
    "5e-324",
    "1e300",
    "4.5",
    '"5"',
    '"good"',
    "null",
    "2024-01-01",
    "2024-06-15T12:30:45.123456Z",
    "a*",
    "*b",
    "A*",
    "*",
    "é*",
]
VALUE_TEXTS = st.sampled_from(_dataset_texts()) | st.sampled_from(EDGE_TEXTS)
KEY = st.sampled_from(KEYS)
COMPARISONS = st.builds(lambda k, o, v: f"{k}{o}{v}", KEY, st.sampled_from(OPERATORS), VALUE_TEXTS)
SUFFIXED = st.builds(
    lambda k, s, v: f"{k}.{s}={v}",
    KEY,
    st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte", "contains", "prefix"]),
    VALUE_TEXTS,
)
EXISTS = st.builds(lambda k, v: f"{k}.exists={v}", KEY, st.sampled_from(["true", "false"]))
MEMBERSHIP = st.builds(
    lambda k, s, vs: f"{k}.{s}=[{', '.join(vs)}]",
    KEY,
    st.sampled_from(["in", "not_in"]),
    st.lists(VALUE_TEXTS.filter(lambda v: not v.endswith("*")), min_size=1, max_size=3),
)
QUANTIFIED = st.builds(
    lambda k, q, o, v: f"{k}.{q}{o}{v}", KEY, st.sampled_from(["any", "all"]), st.sampled_from(OPERATORS), VALUE_TEXTS
) | st.builds(lambda k, o, n: f"{k}.len{o}{n}", KEY, st.sampled_from(OPERATORS), st.integers(-1, 3))
TYPES = st.sampled_from(["type=file", "type=dataset", "type=container", "type=collection", "type=all"])
CLAUSES = st.one_of(COMPARISONS, COMPARISONS, SUFFIXED, EXISTS, MEMBERSHIP, QUANTIFIED, TYPES)
TERMS = CLAUSES | st.builds(lambda c: f"not {c}", CLAUSES) | st.builds(lambda a, b: f"({a};{b})", CLAUSES, CLAUSES)
GROUPS = st.lists(TERMS, min_size=1, max_size=3).map(",".join)
FILTERS = st.lists(GROUPS, min_size=1, max_size=2).map(";".join)
ALL_TYPES = TYPE_SELECTORS["all"]


@settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(expression=FILTERS, ignore_case=st.booleans())
def test_generated_filters_answer_as_the_oracle(conformance: Conformance, expression: str, ignore_case: bool) -> None:
    with conformance.client() as client:
        try:
            parsed = parse_filter(expression)
        except InvalidArgument:
            with pytest.raises(InvalidArgument):
                list(client.list_dids(f"{SCOPE}*", expression, type="all", ignore_case=ignore_case))
            return
        expected = evaluate(conformance.records, parsed, ALL_TYPES, ignore_case)
        assert list(client.list_dids(f"{SCOPE}*", expression, type="all", ignore_case=ignore_case)) == expected, (
            expression
        )
        assert client.count_dids(f"{SCOPE}*", expression, type="all", ignore_case=ignore_case) == len(expected), (
            expression
        )
