"""Property: a clause without double quotes is split by the regular expression exactly as the
character-by-character tokenizer splits it (didmeta.filters.grammar._tokenize's fast case)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from didmeta.filters import grammar
from tests.property.strategies import EXAMPLES

#: Operator characters, their neighbours in real clauses, and text.
_CHARACTERS = "<=>!.*_ -1a9"


@settings(max_examples=EXAMPLES * 8)
@given(st.text(alphabet=_CHARACTERS, max_size=24))
def test_regex_split_matches_the_character_loop(clause: str) -> None:
    assert grammar._tokenize(clause) == grammar._tokenize_by_char(clause)


def test_every_symbol_is_found_longest_first() -> None:
    tokens = grammar._tokenize("a<=1>=b==c!=d<e>f=g")
    assert [t for kind, t in tokens if kind == "op"] == [s for _, s in grammar._SYMBOLS]
    assert tokens == grammar._tokenize_by_char("a<=1>=b==c!=d<e>f=g")
