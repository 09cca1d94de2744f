"""A SQL statement as text with its bound parameters, and the database's plan for it (ExplainDids).

`EXPLAIN` wraps the statement as a construct of its own, so the plan is made from exactly the
statement a listing runs, bound parameters and all (SQLite: `EXPLAIN QUERY PLAN`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement

from didmeta.plugins.base import QueryText
from didmeta.values import format_value


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(_Explain)
def _render_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if compiler.dialect.name == "sqlite" else "EXPLAIN "
    return prefix + str(compiler.process(element.statement, **kw))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else format_value(value) if value is not None else "NULL"


def explain_sql(conn: Connection, statement: Any) -> QueryText:
    """The statement's SQL in `conn`'s dialect, its parameters and the plan."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    parameters = {name: _text(value) for name, value in compiled.params.items()}
    rows = conn.execute(_Explain(statement)).all()
    if conn.dialect.name == "sqlite":  # (id, parent, notused, detail): indent by depth
        depth: dict[int, int] = {}
        lines = []
        for row in rows:
            depth[row[0]] = depth.get(row[1], -1) + 1
            lines.append("  " * depth[row[0]] + str(row[3]))
        plan = "\n".join(lines)
    else:
        plan = "\n".join(str(row[0]) for row in rows)
    return QueryText("sql", str(compiled), parameters, plan)
