"""POSTGRES_JSON's query translation and listing: a filter as one SQL statement on the external table
(the JSON plugin's conditions), streamed in (scope, name) order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal, select, true, tuple_

from didmeta.identifiers import DidKey
from didmeta.plugins.base import ExternalQuery, QueryText
from didmeta.plugins.postgres_json.schema import PostgresJsonSchema
from didmeta.plugins.sql_conditions import pattern_match
from didmeta.plugins.sql_explain import explain_sql


class PostgresJsonListing(PostgresJsonSchema):
    """`select` and `explain_select` of POSTGRES_JSON."""

    def _scope_condition(self, pattern: str) -> ColumnElement[bool]:
        scope = self.scope_col.collate("C")
        if pattern.strip("*") == "":
            return true()
        if "*" in pattern:
            return pattern_match(scope, pattern, dialect="postgresql", ignore_case=False)
        return scope == pattern

    def _select_statement(self, query: ExternalQuery) -> Select[Any]:
        scope, name = self.scope_col.collate("C"), self.name_col.collate("C")
        conditions = [self._scope_condition(query.scope_pattern)]
        conditions.extend(self.conditions.condition(clause, query.ignore_case) for clause in query.clauses)
        if query.after is not None:
            conditions.append(tuple_(scope, name) > tuple_(literal(query.after.scope), literal(query.after.name)))
        return select(self.scope_col, self.name_col).where(and_(*conditions)).order_by(scope, name)

    def explain_select(self, query: ExternalQuery) -> QueryText:
        """The SQL on the external table, with PostgreSQL's plan for it."""
        statement = self._select_statement(query)
        with self._backend_errors():
            self._ensure_ready()
            with self.engine.connect() as external:
                return explain_sql(external, statement)

    def select(self, query: ExternalQuery) -> Iterator[list[DidKey]]:
        statement = self._select_statement(query)
        batch_size = max(1, query.batch_size)
        with self._backend_errors():
            self._ensure_ready()
            conn = self.engine.connect()
        try:
            with self._backend_errors():
                result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(statement)
                partitions = result.partitions()
            try:
                while True:
                    with self._backend_errors():
                        rows = next(partitions, None)
                    if not rows:
                        return
                    yield [DidKey(row[0], row[1]) for row in rows]
            finally:
                result.close()
        finally:
            conn.close()
