"""ExplainDids on every plugin: clauses routed to their plugins, the queries each backend runs, plans."""

from __future__ import annotations

import json

import pytest

from didmeta.errors import InvalidArgument
from didmeta.filters import parse_filter
from tests.conformance.conftest import SCOPE, Conformance

EXTERNAL = {
    "POSTGRES_JSON": "sql",
    "MONGO": "mongodb",
    "ELASTIC-opensearch": "search",
    "ELASTIC-elasticsearch": "search",
}


def _plugin(conformance: Conformance) -> str:
    return conformance.backend.split("-")[0]


def test_explain_column_filter_is_one_statement_with_a_plan(conformance: Conformance) -> None:
    with conformance.client() as client:
        explained = client.explain_dids(f"{SCOPE}*", "run_number>=200", type="all")
    assert not explained.merged
    assert explained.groups == [(["CONTAINER", "DATASET", "FILE"], explained.groups[0][1])]
    (clause,) = explained.groups[0][1]
    assert (clause.clause, clause.plugin, clause.complement) == ("run_number.gte=200", "DID_COLUMN", False)
    (query,) = explained.queries
    assert (query.backend, query.group, query.language) == ("CATALOGUE", -1, "sql")
    assert "FROM dids" in query.query and "run_number" in query.query
    assert "200" in query.parameters.values()
    assert query.plan.strip()


@pytest.mark.parametrize("expression", ["quality=good,run_number>=200", "quality!=good;label=a*", "tags.contains=5"])
def test_explain_routes_plugin_keys(conformance: Conformance, expression: str) -> None:
    plugin = _plugin(conformance)
    with conformance.client() as client:
        explained = client.explain_dids(f"{SCOPE}*", expression, type="all")
        listed = list(client.list_dids(f"{SCOPE}*", expression, type="all"))
    assert listed is not None  # the explained filter is a valid listing
    routed = {c.clause.split(".")[0]: c for _, clauses in explained.groups for c in clauses}
    for key, clause in routed.items():
        assert clause.plugin == ("DID_COLUMN" if key == "run_number" else plugin), (key, clause)
        assert clause.complement == (plugin != "JSON" and ".ne=" in clause.clause)
    if plugin == "JSON":
        assert not explained.merged
        assert [q.backend for q in explained.queries] == ["CATALOGUE"]
        assert "meta" in explained.queries[0].query and explained.queries[0].plan.strip()
        return
    assert explained.merged
    catalogue = [q for q in explained.queries if q.backend == "CATALOGUE"]
    backend = [q for q in explained.queries if q.backend == plugin]
    assert len(catalogue) == len(explained.groups) and all(q.plan.strip() for q in catalogue)
    assert backend and all(q.language == EXTERNAL[conformance.backend] for q in backend)
    text = " ".join(q.query + " " + " ".join(q.parameters.values()) for q in backend)
    assert ("quality" in text) or ("tags" in text)
    if plugin == "POSTGRES_JSON":
        assert all(q.plan.strip() for q in backend)
    else:
        for q in backend:
            json.loads(q.query)  # a document as sent


def test_explain_shows_negated_and_list_clauses(conformance: Conformance) -> None:
    """`not` and list operators are shown (and parse back); an external plugin answers a negated clause
    by its positive form, subtracted (`complement`)."""
    plugin = _plugin(conformance)
    expression = "not mix>4,vals.any>5,quality.not_in=[good]"
    with conformance.client() as client:
        explained = client.explain_dids(f"{SCOPE}*", expression, type="all")
    ((_, clauses),) = explained.groups
    external = plugin != "JSON"
    assert {c.clause: (c.plugin, c.complement) for c in clauses} == {
        "not mix.gt=4": (plugin, external),
        "vals.any>5": (plugin, False),
        "not quality.in=[good]": (plugin, external),
    }
    assert parse_filter(",".join(c.clause for c in clauses)) == parse_filter(expression)
    if external:  # the required clause, then one query per subtracted clause
        assert len([q for q in explained.queries if q.backend == plugin]) == 3


def test_explain_refuses_a_bad_filter(conformance: Conformance) -> None:
    with conformance.client() as client, pytest.raises(InvalidArgument):
        client.explain_dids(f"{SCOPE}*", "run_number>", type="all")
