"""Path templates of `google.api.http` rules (google/api/http.proto): parse them and match request paths.

Grammar: `Template = "/" Segments [ ":" Verb ]`; a segment is a literal, `*` (one segment), `**` (the
rest of the path) or a variable `{field.path}` / `{field.path=sub/pattern/**}`. Variables capture what
their pattern matched; a one-segment value is percent-decoded, a multi-segment value too except `%2F`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

ONE = "*"
REST = "**"


@dataclass(frozen=True)
class Variable:
    """A `{field.path=...}` variable: the field it binds and how many template segments it spans."""

    field_path: tuple[str, ...]
    start: int  # index of its first segment in PathTemplate.segments
    end: int  # one past its last segment

    @property
    def name(self) -> str:
        return ".".join(self.field_path)

    @property
    def parameter(self) -> str:
        """The OpenAPI path parameter name: `did_scope` for `did.scope` (dots confuse URI-template tools)."""
        return "_".join(self.field_path)


@dataclass(frozen=True)
class PathTemplate:
    """One parsed template: literal segments, `*`/`**` wildcards, the variables over them, the verb."""

    text: str
    segments: tuple[str, ...]
    variables: tuple[Variable, ...]
    verb: str

    @classmethod
    def parse(cls, text: str) -> PathTemplate:
        if not text.startswith("/"):
            raise ValueError(f"a path template starts with '/': {text!r}")
        body, verb = _split_verb(text[1:])
        segments: list[str] = []
        variables: list[Variable] = []
        for token in _tokens(body):
            if token.startswith("{"):
                name, _, pattern = token[1:-1].partition("=")
                parts = (pattern or ONE).split("/")
                start = len(segments)
                segments.extend(parts)
                variables.append(Variable(tuple(name.split(".")), start, len(segments)))
            else:
                segments.append(token)
        if segments.count(REST) > 1 or (REST in segments and segments[-1] != REST):
            raise ValueError(f"`**` may only be the last segment of a template: {text!r}")
        return cls(text, tuple(segments), tuple(variables), verb)

    def match(self, path: str) -> dict[str, str] | None:
        """The variables' values if `path` (raw, still percent-encoded, no query) matches, else None."""
        body, verb = _split_path_verb(path[1:] if path.startswith("/") else path, self.verb)
        if body is None or verb != self.verb:
            return None
        parts = body.split("/") if body else []
        spans: list[tuple[int, int]] = []
        position = 0
        for segment in self.segments:
            if segment == REST:
                spans.append((position, len(parts)))
                position = len(parts)
                continue
            if position >= len(parts):
                return None
            if segment != ONE and unquote(parts[position]) != segment:
                return None
            spans.append((position, position + 1))
            position += 1
        if position != len(parts):
            return None
        values: dict[str, str] = {}
        for variable in self.variables:
            first, last = spans[variable.start][0], spans[variable.end - 1][1]
            taken = parts[first:last]
            if variable.end - variable.start == 1 and self.segments[variable.start] == ONE:
                values[variable.name] = unquote(taken[0])
            else:
                values[variable.name] = "/".join(
                    unquote(p.replace("%2F", "%252F").replace("%2f", "%252f")) for p in taken
                )
        return values

    def openapi_path(self) -> str:
        """The template as an OpenAPI path: each variable becomes `{field_path}` (`Variable.parameter`)."""
        out: list[str] = []
        index = 0
        by_start = {v.start: v for v in self.variables}
        while index < len(self.segments):
            variable = by_start.get(index)
            if variable is not None:
                out.append("{" + variable.parameter + "}")
                index = variable.end
            else:
                out.append(self.segments[index])
                index += 1
        return "/" + "/".join(out) + (f":{self.verb}" if self.verb else "")


def _split_verb(text: str) -> tuple[str, str]:
    depth = 0
    for index, char in enumerate(text):
        depth += char == "{"
        depth -= char == "}"
        if char == ":" and depth == 0:
            return text[:index], text[index + 1 :]
    return text, ""


def _tokens(body: str) -> list[str]:
    tokens: list[str] = []
    current = ""
    depth = 0
    for char in body:
        if char == "/" and depth == 0:
            tokens.append(current)
            current = ""
            continue
        depth += char == "{"
        depth -= char == "}"
        current += char
    tokens.append(current)
    if any(not t for t in tokens):
        raise ValueError(f"empty segment in path template /{body}")
    return tokens


def _split_path_verb(path: str, verb: str) -> tuple[str | None, str]:
    """(path without verb, verb): a verb is `:name` after the last `/`; only split off the expected one."""
    if not verb:
        return path, ""
    suffix = ":" + verb
    last = path.rsplit("/", 1)[-1]
    if not last.endswith(suffix):
        return None, ""
    return path[: -len(suffix)], verb
