"""ExplainDids: how a listing would run, without running it (docs/filters.md#explain).

The answer is built from the same pieces the listing uses: the planner's split of each OR group
into the catalogue's SQL condition and the external plugins' positive/complement clauses
(`plan.Planner.plan_group`), the statement of a pure-SQL listing (`Planner.select_page`), the
per-group catalogue statement of a merged listing (`merge.MergedStream`), and each external
plugin's own rendering of its `select` (`ExternalPlugin.explain_select`). The catalogue's plan
comes from the database (`EXPLAIN`, `EXPLAIN QUERY PLAN`), on exactly those statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import false, select

from didmeta.filters.model import Clause, Group, Op
from didmeta.filters.printer import Unprintable, format_normal_clause
from didmeta.plugins.base import ExternalPlugin, ExternalQuery, QueryText
from didmeta.plugins.sql_explain import explain_sql
from didmeta.server.access.embargo import Viewer
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.schema import dids

if TYPE_CHECKING:
    from didmeta.server.dispatcher import Dispatcher

CATALOGUE = "CATALOGUE"


@dataclass(frozen=True)
class ClauseRoute:
    clause: str
    plugin: str
    complement: bool = False


@dataclass
class GroupRoute:
    types: list[str]
    clauses: list[ClauseRoute] = field(default_factory=list)


@dataclass(frozen=True)
class BackendStep:
    backend: str
    group: int
    text: QueryText


@dataclass
class Explanation:
    groups: list[GroupRoute]
    merged: bool
    steps: list[BackendStep]


def clause_text(clause: Clause) -> str:
    """The clause in the grammar's `key.op=value` form, negation and list operator included
    (`not quality.in=[good]`, `vals.any>5`); a wildcard is bare, a literal `*` double-quoted, so
    the text parses back to the same clause (`Clause.describe()` for the rare unprintable value)."""
    try:
        return format_normal_clause(clause)
    except Unprintable:
        return clause.describe()


def _complement_of(clause: Clause) -> bool:
    """An external plugin answers the positive form and the server subtracts (plan.Planner.plan_group)."""
    return clause.negated or clause.op is Op.NE or (clause.op is Op.EXISTS and clause.value is False)


class Explainer:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.planner = dispatcher.planner

    def routes(self, query: ListQuery) -> list[GroupRoute]:
        routes: list[GroupRoute] = []
        for group in query.filter.groups or (Group(),):
            types = group.types if group.types is not None else query.types
            route = GroupRoute(sorted(t.name for t in types), [])
            for clause in group.clauses:
                owner = self.planner.owner_for_filter(clause.key)
                external = isinstance(owner, ExternalPlugin)
                route.clauses.append(ClauseRoute(clause_text(clause), owner.name, external and _complement_of(clause)))
            routes.append(route)
        return routes

    def explain(self, query: ListQuery) -> Explanation:
        routes = self.routes(query)
        plans = self.planner.plan(query.filter, query.types, query.ignore_case)
        merged = any(p.external for p in plans)
        steps: list[BackendStep] = []
        with self.dispatcher.store.read() as conn:
            if not merged:
                listing = self.planner.select_page(query, long=False, after=None, limit=None)
                steps.append(BackendStep(CATALOGUE, -1, explain_sql(conn, listing)))
                return Explanation(routes, merged, steps)
            viewer = Viewer(self.dispatcher.store.dialect)
            for index, plan in enumerate(plans):
                statement = (
                    select(dids.c.scope, dids.c.name)
                    .where(
                        dids.c.suppressed == false(),
                        self.planner.visible(query),
                        viewer.visible(dids.c.scope, dids.c.name),
                        self.planner.scope_condition(query.scope_pattern),
                        plan.condition,
                    )
                    .order_by(dids.c.scope, dids.c.name)
                )
                steps.append(BackendStep(CATALOGUE, index, explain_sql(conn, statement)))
                for part in plan.external:
                    asked = [part.required] if part.required else []
                    asked += [[clause] for clause in part.excluded]
                    for clauses in asked:
                        external = ExternalQuery(query.scope_pattern, tuple(clauses), query.ignore_case)
                        text = part.plugin.explain_select(external) or QueryText("", "(not described by the plugin)")
                        steps.append(BackendStep(part.plugin.name, index, text))
        return Explanation(routes, merged, steps)
