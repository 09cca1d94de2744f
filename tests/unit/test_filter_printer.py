"""`format_normal_clause`: a clause of the normal form in the grammar, as ExplainDids shows it and
FreezeDids records it in `frozen_query`; parsing the text gives the same clause back."""

from __future__ import annotations

import pytest

from didmeta.filters import parse_filter
from didmeta.filters.printer import format_normal_clause


@pytest.mark.parametrize(
    ("expression", "printed"),
    [
        ("not mix>4", "not mix.gt=4"),
        ("quality.not_in=[good,bad]", "not quality.in=[good,bad]"),
        ("not label.regex=a.b", "not label.regex=a.b"),
        ("not label.prefix=a", "not label.prefix=a"),
        ("vals.any>5", "vals.any>5"),
        ("not vals.all>5", "not vals.all>5"),
        ("vals.any!=x", "not vals.any=x"),
        ("tags.len>=2", "tags.len>=2"),
        ("label=a*", "label.eq=a*"),
        ('label="A*B"', 'label.eq="A*B"'),
        ('vals.any="a*b"', 'vals.any="a*b"'),
        ('k.in=["a*", b]', 'k.in=["a*",b]'),
        ("label!=a*", "label.ne=a*"),
        ("mix.exists=false", "mix.exists=false"),
        ('run="12"', 'run.eq="12"'),
    ],
)
def test_normal_clause_prints_negation_and_list_operators(expression: str, printed: str) -> None:
    ((clause,),) = [g.clauses for g in parse_filter(expression).groups]
    text = format_normal_clause(clause)
    assert text == printed
    assert parse_filter(text) == parse_filter(expression)
