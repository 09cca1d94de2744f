"""The regular-expression subset of `key.regex=` / `key.iregex=` (docs/filters.md), parsed once and
written out for each engine, so that PostgreSQL, SQLite (Python `re`), MongoDB / FerretDB and
OpenSearch / Elasticsearch (Lucene) all run the same pattern natively and agree.

The subset:
    literal characters; `\\` before ASCII punctuation makes it literal (`\\.`, `\\*`, `\\(`)
    `.`            any one character, newlines included
    `[abc]` `[a-z]` `[^a-z]`   character classes (escape `]`, `\\`, `^`, `-` inside with `\\`)
    `(...)`        groups; `|` alternation
    `*` `+` `?` `{n}` `{n,m}` `{n,}`   greedy repetition
A pattern matches the WHOLE string (anchored at both ends, as Lucene's regexp is); `^` and `$`
are not in the subset. Refused: escapes such as `\\d`, `\\w`, `\\s`, `\\b`, back-references,
`(?...)` groups, lazy or possessive quantifiers, POSIX classes, empty alternatives.

Cost guard (refused, so that no engine backtracks for long): at most MAX_LENGTH characters,
MAX_NESTING levels of groups, MAX_REPETITIONS repetition operators, bounds up to MAX_BOUND, and
no repetition of a group that itself holds a repetition or an alternation (`(a+)+`, `(a|ab)*`:
write a class, `[ab]*`).

Case-insensitive matching (`iregex`, or the request's ignore_case) is the case-sensitive match of
the lower-cased pattern (Python's `str.lower` on its literal characters and class members) against
the lower-cased text, the same lower-casing every plugin already uses for ignore_case.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass

from didmeta.errors import InvalidArgument

#: The SQLite function (registered by the store on every connection) that runs `regex_matches`.
REGEX_FUNCTION = "didmeta_regex"

MAX_LENGTH = 500
MAX_NESTING = 5
MAX_REPETITIONS = 8
MAX_BOUND = 100

_PUNCTUATION = frozenset(string.punctuation)


@dataclass(frozen=True)
class Literal:
    text: str  # one character (more after lower-casing `İ`)


@dataclass(frozen=True)
class AnyChar:
    pass


@dataclass(frozen=True)
class CharClass:
    negated: bool
    ranges: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Alternation:
    branches: tuple[tuple[Piece, ...], ...]


@dataclass(frozen=True)
class Piece:
    atom: Literal | AnyChar | CharClass | Alternation
    low: int = 1
    high: int | None = 1  # None: unbounded


Pattern = Alternation


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.repetitions = 0

    def fail(self, problem: str) -> InvalidArgument:
        return InvalidArgument.for_field(
            "filter", f"regex {self.text!r}: {problem} (at character {self.pos + 1})", reason="INVALID_REGEX"
        )

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Pattern:
        if len(self.text) > MAX_LENGTH:
            raise InvalidArgument.for_field(
                "filter", f"a regex has at most {MAX_LENGTH} characters, not {len(self.text)}", reason="INVALID_REGEX"
            )
        if not self.text:
            raise self.fail("an empty pattern")
        pattern = self.alternation(0)
        if self.pos < len(self.text):
            raise self.fail("unmatched ')'")
        return pattern

    def alternation(self, depth: int) -> Alternation:
        branches = [self.sequence(depth)]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence(depth))
        if len(branches) > 1 and any(not branch for branch in branches):
            raise self.fail("an alternative is empty")
        return Alternation(tuple(branches))

    def sequence(self, depth: int) -> tuple[Piece, ...]:
        pieces: list[Piece] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom(depth)
            pieces.append(self.quantified(atom))
        return tuple(pieces)

    def atom(self, depth: int) -> Literal | AnyChar | CharClass | Alternation:
        char = self.peek()
        if char == "(":
            self.pos += 1
            if self.peek() == "?":
                raise self.fail("(?...) groups are not in the subset")
            if depth + 1 > MAX_NESTING:
                raise self.fail(f"groups nest at most {MAX_NESTING} deep")
            inner = self.alternation(depth + 1)
            if self.peek() != ")":
                raise self.fail("'(' is not closed")
            self.pos += 1
            if inner.branches == ((),):
                raise self.fail("an empty group")
            return inner
        if char == "[":
            return self.char_class()
        if char == ".":
            self.pos += 1
            return AnyChar()
        if char == "\\":
            return Literal(self.escape())
        if char in "^$":
            raise self.fail(f"{char!r} is not in the subset: a regex always matches the whole value")
        if char in "*+?{":
            raise self.fail(f"{char!r} has nothing to repeat")
        if char in "]}":
            raise self.fail(f"escape a literal {char!r} as '\\{char}'")
        self.pos += 1
        return Literal(char)

    def escape(self) -> str:
        self.pos += 1
        char = self.peek()
        if not char:
            raise self.fail("a trailing '\\'")
        if char not in _PUNCTUATION:
            raise self.fail(f"'\\{char}' is not in the subset (escape only punctuation; use [0-9] for \\d)")
        self.pos += 1
        return char

    def class_char(self) -> str:
        char = self.peek()
        if not char:
            raise self.fail("'[' is not closed")
        if char == "\\":
            return self.escape()
        if char in "[]^":
            raise self.fail(f"escape {char!r} inside a class as '\\{char}'")
        self.pos += 1
        return char

    def char_class(self) -> CharClass:
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges: list[tuple[str, str]] = []
        while self.peek() != "]":
            low = self.class_char()
            high = low
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self.class_char()
                if high < low:
                    raise self.fail(f"the range {low}-{high} is reversed")
            ranges.append((low, high))
        self.pos += 1
        if not ranges:
            raise self.fail("an empty class")
        return CharClass(negated, tuple(ranges))

    def quantified(self, atom: Literal | AnyChar | CharClass | Alternation) -> Piece:
        char = self.peek()
        if char not in ("*", "+", "?", "{"):
            return Piece(atom)
        if char == "{":
            low, high = self.bounds()
        else:
            self.pos += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        self.repetitions += 1
        if self.repetitions > MAX_REPETITIONS:
            raise self.fail(f"at most {MAX_REPETITIONS} repetition operators")
        if self.peek() in ("*", "+", "?", "{"):
            raise self.fail("lazy, possessive or repeated repetitions are not in the subset")
        if isinstance(atom, Alternation) and _repeats_or_branches(atom):
            raise self.fail("a repeated group may not hold a repetition or '|' (use a class: [ab]*)")
        return Piece(atom, low, high)

    def bounds(self) -> tuple[int, int | None]:
        end = self.text.find("}", self.pos)
        found = re.fullmatch(r"(\d{1,3})(,(\d{0,3}))?", self.text[self.pos + 1 : end] if end > 0 else "")
        if found is None:
            raise self.fail("a bound is {n}, {n,m} or {n,}")
        self.pos = end + 1
        low = int(found.group(1))
        high: int | None = low if found.group(2) is None else (int(found.group(3)) if found.group(3) else None)
        if (high is not None and high < low) or max(low, high or 0) > MAX_BOUND:
            raise self.fail(f"bounds are 0 <= n <= m <= {MAX_BOUND}")
        return low, high


def _repeats_or_branches(group: Alternation) -> bool:
    if len(group.branches) > 1:
        return True
    return any(
        piece.high != 1 or piece.low != 1 or (isinstance(piece.atom, Alternation) and _repeats_or_branches(piece.atom))
        for piece in group.branches[0]
    )


@functools.lru_cache(maxsize=256)
def parse_regex(text: str) -> Pattern:
    """The pattern's syntax tree; INVALID_ARGUMENT (reason INVALID_REGEX) outside the subset."""
    return _Parser(text).parse()


# --- lower-casing ------------------------------------------------------------------------------------
def _lower_char(char: str) -> str:
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def lowered(pattern: Pattern) -> Pattern:
    """The pattern with its literal characters and class members lower-cased (for iregex)."""

    def atom(node: Literal | AnyChar | CharClass | Alternation) -> Literal | AnyChar | CharClass | Alternation:
        if isinstance(node, Literal):
            return Literal(node.text.lower())
        if isinstance(node, CharClass):
            return CharClass(node.negated, tuple((_lower_char(a), _lower_char(b)) for a, b in node.ranges))
        if isinstance(node, Alternation):
            return lowered(node)
        return node

    return Alternation(tuple(tuple(Piece(atom(p.atom), p.low, p.high) for p in branch) for branch in pattern.branches))


# --- writers -------------------------------------------------------------------------------------------
def _escaped(text: str) -> str:
    return "".join("\\" + c if c in _PUNCTUATION else c for c in text)


def _write(pattern: Pattern, any_char: str) -> str:
    def atom(node: Literal | AnyChar | CharClass | Alternation) -> str:
        if isinstance(node, Literal):
            return _escaped(node.text)
        if isinstance(node, AnyChar):
            return any_char
        if isinstance(node, CharClass):
            members = "".join(_escaped(a) if a == b else f"{_escaped(a)}-{_escaped(b)}" for a, b in node.ranges)
            return f"[{'^' if node.negated else ''}{members}]"
        return f"({_write(node, any_char)})"

    def piece(p: Piece) -> str:
        text = atom(p.atom)
        if isinstance(p.atom, Literal) and len(p.atom.text) > 1 and (p.low, p.high) != (1, 1):
            text = f"({text})"
        if (p.low, p.high) == (1, 1):
            return text
        if (p.low, p.high) == (0, None):
            return text + "*"
        if (p.low, p.high) == (1, None):
            return text + "+"
        if (p.low, p.high) == (0, 1):
            return text + "?"
        upper = "" if p.high is None else str(p.high)
        return f"{text}{{{p.low},{upper}}}"

    return "|".join("".join(piece(p) for p in branch) for branch in pattern.branches)


def python_regex(pattern: Pattern) -> str:
    """For `re.fullmatch(..., flags=re.DOTALL)` (SQLite's registered function, the oracle)."""
    return _write(pattern, ".")


def postgres_regex(pattern: Pattern) -> str:
    """For PostgreSQL's `~` (ARE; `.` and `$` are not newline-sensitive by default)."""
    return "^(" + _write(pattern, ".") + ")$"


def mongo_regex(pattern: Pattern) -> str:
    """For `$regex` (PCRE on MongoDB, RE2 on FerretDB): `[\\s\\S]` is any character in both."""
    return "^(" + _write(pattern, r"[\s\S]") + r")\z"


def lucene_regex(pattern: Pattern) -> str:
    """For the `regexp` query (Lucene; always anchored; send with flags NONE)."""
    return _write(pattern, ".")


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> re.Pattern[str]:
    return re.compile(text, re.DOTALL)


def regex_matches(pattern_text: str, value: object) -> bool:
    """Whether a stored value is a string the pattern (in Python's form) matches as a whole."""
    return isinstance(value, str) and _compiled(pattern_text).fullmatch(value) is not None
