"""Differential proof: the same catalogue in Rucio (built by its core API on PostgreSQL) and in didmeta
(imported by `didmeta import rucio` into a SQLite and into a PostgreSQL catalogue), the same corpus of
filters (tests/rucio/corpus.json) through Rucio's `list_dids` and didmeta's ListDids, result sets and error
kinds compared.

Every difference must be listed in tests/rucio/expected_differences.json with the spec's [better]
point it follows from (the same list is in docs/migrating-from-rucio.md); any other difference fails,
and so does a listed difference that no longer occurs (the table must stay true).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from didmeta.client import Client, DidmetaError
from tests.rucio.conftest import RucioCatalogue, run_import
from tests.support.server import ServerProcess

#: Building a Rucio catalogue with Rucio's core API (once per session, in the first test that needs it)
#: takes minutes on a loaded machine: more than the suite's default per-test timeout.
pytestmark = pytest.mark.timeout(1200)


HERE = Path(__file__).parent
CORPUS: list[dict[str, Any]] = json.loads((HERE / "corpus.json").read_text())
TABLE: dict[str, Any] = json.loads((HERE / "expected_differences.json").read_text())
CATEGORIES: dict[str, dict[str, str]] = TABLE["categories"]
EXPECTED: dict[str, dict[str, str]] = TABLE["differences"]
#: didmeta's answer to bad input is one of these, never UNKNOWN or INTERNAL.
CLEAR_ERRORS = {"INVALID_ARGUMENT", "NOT_FOUND"}


def didmeta_query(client: Client, entry: dict[str, Any]) -> dict[str, Any]:
    try:
        rows = list(
            client.list_dids(
                entry["scope"],
                entry["filter"],
                type=entry["type"],
                recursive=entry["recursive"],
                limit=entry["limit"],
                ignore_case=entry["ignore_case"],
            )
        )
        return {"ok": True, "rows": rows}
    except DidmetaError as error:
        return {"ok": False, "error": error.code.name, "message": error.message}
    except ValueError as error:  # refused by the client before any call (an unknown type selector)
        return {"ok": False, "error": grpc.StatusCode.INVALID_ARGUMENT.name, "message": str(error)}


def didmeta_entry(client: Client, entry: dict[str, Any]) -> dict[str, Any]:
    result = didmeta_query(client, entry)
    if entry["limit"]:
        result["full"] = didmeta_query(client, {**entry, "limit": 0})
    return result


def limited_ok(result: dict[str, Any], limit: int) -> bool:
    """A limited answer: min(limit, |full|) distinct rows, all from the unlimited answer."""
    rows, full = result["rows"], result["full"]
    if not full["ok"]:
        return False
    return len(rows) == len(set(rows)) == min(limit, len(full["rows"])) and set(rows) <= set(full["rows"])


def difference(entry: dict[str, Any], rucio: dict[str, Any], didmeta: dict[str, Any]) -> str | None:
    """None when both agree, else the kind of difference: rows, rucio_error, didmeta_error."""
    if not rucio["ok"] and not didmeta["ok"]:
        return None
    if not rucio["ok"]:
        return "rucio_error"
    if not didmeta["ok"]:
        return "didmeta_error"
    if entry["limit"]:
        both_sound = limited_ok(rucio, entry["limit"]) and limited_ok(didmeta, entry["limit"])
        same_full = set(rucio["full"]["rows"]) == set(didmeta["full"]["rows"])
        return None if both_sound and same_full else "rows"
    return (
        None
        if sorted(rucio["rows"]) == sorted(didmeta["rows"]) and len(set(rucio["rows"])) == len(rucio["rows"])
        else "rows"
    )


@pytest.fixture(scope="module")
def rucio_side(
    rucio_catalogues: dict[str, RucioCatalogue],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[RucioCatalogue, dict[str, Any]]:
    """The PostgreSQL Rucio catalogue with JSON metadata (Rucio's JSON plugin does not run on SQLite), and
    Rucio's answer per corpus id."""
    from tests.rucio.conftest import build_catalogue

    catalogue = build_catalogue("postgresql", rucio_catalogues, request, tmp_path_factory)
    corpus_file = tmp_path_factory.mktemp("corpus") / "corpus.json"
    corpus_file.write_text(json.dumps(CORPUS))
    out = corpus_file.with_name("rucio.json")
    catalogue.env.side("query", "--corpus", str(corpus_file), "--out", str(out), timeout=900)
    return catalogue, json.loads(out.read_text())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def answers(
    request: pytest.FixtureRequest,
    rucio_side: tuple[RucioCatalogue, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    make_catalogue_url: Any,
    start_server: Any,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(Rucio's answers, didmeta's answers) per corpus id: the catalogue imported into didmeta on SQLite and
    on PostgreSQL, each compared with the same Rucio answers."""
    catalogue, rucio = rucio_side
    kind = str(request.param)
    server: ServerProcess = start_server({"database": make_catalogue_url(kind), "log_format": "text"})
    done = run_import(server, catalogue.url, "--json")
    assert done.returncode == 0, done.stdout[-3000:]
    with server.client(timeout=60) as client:
        didmeta = {entry["id"]: didmeta_entry(client, entry) for entry in CORPUS}
    (tmp_path_factory.getbasetemp() / f"differential-{kind}.json").write_text(
        json.dumps({"rucio": rucio, "didmeta": didmeta}, indent=1)
    )
    yield rucio, didmeta


def test_corpus_is_large_and_varied() -> None:
    assert len(CORPUS) >= 150
    assert len({e["id"] for e in CORPUS}) == len(CORPUS)
    text = " ".join(e["filter"] for e in CORPUS)
    for operator in ("!=", ">=", "<=", ">", "<", "=", "*", ";", ".gte=", ".ne="):
        assert operator in text
    assert {e["type"] for e in CORPUS} >= {"all", "collection", "dataset", "container", "file"}
    assert any(e["recursive"] for e in CORPUS) and any(e["limit"] for e in CORPUS)
    assert sum(e.get("note") == "bad" for e in CORPUS) >= 20
    for entry_id, expected in EXPECTED.items():
        assert entry_id in {e["id"] for e in CORPUS}, entry_id
        assert expected["kind"] in ("rows", "rucio_error", "didmeta_error")
        assert expected["category"] in CATEGORIES, entry_id
    for name, category in CATEGORIES.items():
        assert "[better" in category["spec"] and category["example"], name


def test_rucio_and_didmeta_agree_but_for_the_documented_differences(
    answers: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    rucio, didmeta = answers
    unexpected: list[str] = []
    for entry in CORPUS:
        r, d = rucio[entry["id"]], didmeta[entry["id"]]
        if not d["ok"]:
            assert d["error"] in CLEAR_ERRORS, (entry, d)
        kind = difference(entry, r, d)
        listed = EXPECTED.get(entry["id"])
        if kind != (listed["kind"] if listed else None):
            unexpected.append(
                f"{entry['id']} {entry['filter']!r} type={entry['type']} "
                f"recursive={entry['recursive']} limit={entry['limit']}: "
                f"observed {kind}, listed {listed and listed['kind']}; "
                f"rucio={summary(r)} didmeta={summary(d)}"
            )
    assert not unexpected, "\n".join(unexpected)


def summary(result: dict[str, Any]) -> str:
    if not result["ok"]:
        return f"{result['error']}({result['message'][:120]})"
    rows = result["rows"]
    return f"{len(rows)} rows {sorted(rows)[:3]}"
