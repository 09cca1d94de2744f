"""One didmeta server per plugin under test, with the conformance data set loaded once.

Backends: the relational JSON plugin on SQLite and on PostgreSQL (plain, and hash-partitioned by scope
with `database_partitions`: JSON-postgresql-partitioned), POSTGRES_JSON (a second real
PostgreSQL database), MONGO (FerretDB), ELASTIC on OpenSearch 2.x and on Elasticsearch 7.10 OSS.
Every backend server is a real process on 127.0.0.1 started by tools/backends/. The suite prints
a plugin x feature matrix at the end of the run (and writes it to $DIDMETA_MATRIX_FILE if set).
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from didmeta.client import Client, LoadChunk, NewDid
from tests.conformance import dataset
from tests.conformance.oracle import Record
from tests.support.backends import RunningBackend, start_backend, stop_backend
from tests.support.databases import new_postgres_database
from tests.support.server import ServerProcess

BACKENDS = [
    "JSON-sqlite",
    "JSON-postgresql",
    "JSON-postgresql-partitioned",
    "POSTGRES_JSON",
    "MONGO",
    "ELASTIC-opensearch",
    "ELASTIC-elasticsearch",
]
SCOPE, OTHER_SCOPE = "cf", "cfx"
#: database_partitions of JSON-postgresql-partitioned (the whole suite: ~1,000 cases, under 2 minutes).
PARTITIONS = 4
_unique = itertools.count()


def _session_backend(kind: str) -> Callable[[pytest.TempPathFactory], Iterator[RunningBackend]]:
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBackend]:
        backend = start_backend(kind, tmp_path_factory.mktemp(kind))  # type: ignore[arg-type]
        try:
            yield backend
        finally:
            stop_backend(backend)

    return fixture


ferretdb_server = pytest.fixture(scope="session")(_session_backend("ferretdb"))
opensearch_server = pytest.fixture(scope="session")(_session_backend("opensearch"))
elasticsearch_server = pytest.fixture(scope="session")(_session_backend("elasticsearch"))


@dataclass
class Conformance:
    """A server whose metadata keys (except DID_COLUMN's) live in the plugin under test."""

    backend: str
    server: ServerProcess
    records: list[Record]
    make_settings: Callable[..., dict[str, Any]]

    def client(self) -> Client:
        return self.server.client(timeout=60)


def plugin_settings(
    request: pytest.FixtureRequest, backend: str, keys: list[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """(plugin name, options) of a fresh store of `backend`."""
    n = next(_unique)
    options: dict[str, Any]
    if backend.startswith("JSON"):
        name, options = "JSON", {}
    elif backend == "POSTGRES_JSON":
        pg: RunningBackend = request.getfixturevalue("postgres_server")
        name, options = "POSTGRES_JSON", {"url": new_postgres_database(pg.url, "ext"), "table": f"meta_{n}"}
    elif backend == "MONGO":
        mongo: RunningBackend = request.getfixturevalue("ferretdb_server")
        name, options = "MONGO", {"url": mongo.url, "database": f"conf{n}", "collection": "did_meta"}
    else:
        flavor = backend.split("-", 1)[1]
        search: RunningBackend = request.getfixturevalue(f"{flavor}_server")
        name, options = (
            "ELASTIC",
            {"url": search.url, "index": f"conf{n}", "flavor": flavor, "refresh": "wait_for"},
        )
    if keys is not None:
        options["keys"] = keys
    return name, options


@pytest.fixture(scope="session", params=BACKENDS)
def conformance(
    request: pytest.FixtureRequest,
    make_catalogue_url: Callable[[str], str],
    start_server: Callable[..., ServerProcess],
) -> Conformance:
    backend = str(request.param)

    def make_settings(keys: list[str] | None = None, extra: list[tuple[str, dict[str, Any]]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        kind = "postgresql" if backend.startswith("JSON-postgresql") else "sqlite"
        name, options = plugin_settings(request, backend, keys)
        plugins = ["DID_COLUMN", name, *(n for n, _ in extra)]
        plugin_options = {name: options, **dict(extra)} if (options or extra) else {}
        settings: dict[str, Any] = {
            "database": make_catalogue_url(kind),
            "plugins": plugins,
            "plugin_options": plugin_options,
            "log_format": "text",
        }
        if backend == "JSON-postgresql-partitioned":
            settings["database_partitions"] = PARTITIONS
        return settings

    server = start_server(make_settings())
    records = dataset.records(SCOPE) + dataset.other_records(OTHER_SCOPE)
    with server.client(timeout=120) as client:
        client.add_scope(SCOPE)
        client.add_scope(OTHER_SCOPE)
        new = [NewDid(f"{r.scope}:{r.name}", r.type.name.lower(), metadata=r.metadata) for r in records]
        client.load([LoadChunk(dids=new, attachments=dataset.hierarchy(SCOPE, OTHER_SCOPE))])  # type: ignore[arg-type]
    return Conformance(backend, server, records, make_settings)


# --- the plugin x feature matrix ---------------------------------------------------------------------
_matrix: dict[tuple[str, str], list[bool]] = defaultdict(list)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.failed):
        return
    if "tests/conformance" not in report.nodeid:
        return
    feature = report.nodeid.split("::")[-1].split("[")[0].removeprefix("test_")
    backend = next(  # longest name first: JSON-postgresql-partitioned is not JSON-postgresql
        (
            b
            for b in sorted(BACKENDS, key=len, reverse=True)
            if f"[{b}" in report.nodeid or f"-{b}" in report.nodeid or f"{b}]" in report.nodeid
        ),
        "?",
    )
    _matrix[(backend, feature)].append(report.passed)


def render_matrix() -> str:
    backends = [b for b in BACKENDS if any(k[0] == b for k in _matrix)]
    features = sorted({f for _, f in _matrix})
    lines = ["| feature | " + " | ".join(backends) + " |", "|---|" + "---|" * len(backends)]
    for feature in features:
        cells = []
        for backend in backends:
            results = _matrix.get((backend, feature), [])
            cells.append("" if not results else f"{sum(results)}/{len(results)}" + ("" if all(results) else " ✗"))
        lines.append(f"| {feature} | " + " | ".join(cells) + " |")
    totals = [sum(sum(v) for (b, _), v in _matrix.items() if b == backend) for backend in backends]
    counts = [sum(len(v) for (b, _), v in _matrix.items() if b == backend) for backend in backends]
    lines.append(
        "| **total passed** | " + " | ".join(f"**{t}/{c}**" for t, c in zip(totals, counts, strict=True)) + " |"
    )
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _matrix:
        return
    text = render_matrix()
    terminalreporter.write_sep("=", "conformance matrix (cases passed per plugin and feature)")
    terminalreporter.write_line(text)
    target = os.environ.get("DIDMETA_MATRIX_FILE")
    if target:
        with open(target, "w") as out:
            out.write(text + "\n")
