"""`didmeta did facets`, `did count --totals`, `did list --explain` and `didmeta key` against a fresh server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from didmeta.client import NewDid
from tests.integration.test_cli import ok, run
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def server(make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]) -> ServerProcess:
    started = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text"})
    with started.client() as client:
        client.add_scope("fc")
        client.add_dids(
            [
                NewDid("fc:a", "file", bytes=10, events=1, metadata={"datatype": "RAW", "run_number": 1500}),
                NewDid("fc:b", "file", bytes=20, events=2, metadata={"datatype": "RAW", "run_number": 2500}),
                NewDid("fc:c", "file", bytes=30, events=3, metadata={"datatype": "AOD", "run_number": 2600}),
                NewDid("fc:d", "file", bytes=40, events=4, metadata={"quality": "good"}),
            ]
        )
    return started


def test_facets_json(server: ServerProcess, tmp_path: Path) -> None:
    command = "--json did facets fc:* --type file --filter bytes>=20 --key datatype --key run_number:1000"
    (answer,) = [json.loads(line) for line in ok(run(server, tmp_path, command)).splitlines()]
    assert answer["count"] == 3
    datatype, run_number = answer["facets"]
    assert datatype["values"] == [{"value": "AOD", "count": 1}, {"value": "RAW", "count": 1}]
    assert datatype["missing"] == 1
    assert run_number["buckets"] == [{"lower": 2000, "count": 2}]
    assert run_number["distinct"] == 2


def test_facets_table(server: ServerProcess, tmp_path: Path) -> None:
    output = ok(run(server, tmp_path, "did facets fc:* --type file --key datatype --top 1"))
    assert "4 DIDs" in output and "datatype: 2 distinct value(s), 1 missing" in output
    assert "| RAW   | 2     |" in output and "AOD" not in output


def test_facets_bad_width_exits_2(server: ServerProcess, tmp_path: Path) -> None:
    result = run(server, tmp_path, "did facets fc:* --key run_number:abc")
    assert result.returncode == 2 and "bucket width" in result.stderr


def test_count_totals(server: ServerProcess, tmp_path: Path) -> None:
    output = ok(run(server, tmp_path, "--json did count fc:* --type file --filter datatype=RAW --totals"))
    assert json.loads(output) == {"count": 2, "bytes": 30, "events": 3}


def test_list_explain(server: ServerProcess, tmp_path: Path) -> None:
    output = ok(run(server, tmp_path, "did list fc:* --type file --filter datatype=RAW,quality=good --explain"))
    assert "datatype.eq=RAW -> DID_COLUMN" in output and "quality.eq=good -> JSON" in output
    assert "CATALOGUE (sql, all groups):" in output and "plan:" in output
    (answer,) = [json.loads(line) for line in ok(run(server, tmp_path, "--json did list fc:* --explain")).splitlines()]
    assert answer["merged"] is False and answer["queries"][0]["backend"] == "CATALOGUE"


def test_key_commands(server: ServerProcess, tmp_path: Path) -> None:
    added = run(server, tmp_path, "key add quality --type string --allowed good --allowed bad")
    assert added.returncode == 0, added.stderr
    assert "Declared quality (string)" in added.stdout
    (shown,) = [json.loads(line) for line in ok(run(server, tmp_path, "--json key show quality")).splitlines()]
    assert shown["allowed_values"] == ["good", "bad"] and shown["type"] == "string"
    assert "quality" in ok(run(server, tmp_path, "key list"))
    refused = run(server, tmp_path, "did metadata add fc:a --key quality --value fine")
    assert refused.returncode == 2 and "quality" in refused.stderr and "allowed" in refused.stderr
    run_key = run(server, tmp_path, "key add nrun --type int")
    assert run_key.returncode == 0
    bad_filter = run(server, tmp_path, "did list fc:* --type all --filter nrun=abc")
    assert bad_filter.returncode == 2 and "nrun" in bad_filter.stderr
    ok(run(server, tmp_path, "key delete quality"))
    assert run(server, tmp_path, "key show quality").returncode == 3
    ok(run(server, tmp_path, "did metadata add fc:a --key flavour --value sweet"))
    violated = run(server, tmp_path, "key add flavour --type int")
    assert violated.returncode == 0 and "1 existing DID(s) violate" in violated.stderr and "fc:a" in violated.stderr


def test_saved_query_and_freeze(server: ServerProcess, tmp_path: Path) -> None:
    ok(run(server, tmp_path, "query save bigfiles fc:* --type file --filter bytes>=20"))
    (shown,) = [json.loads(line) for line in ok(run(server, tmp_path, "--json query show bigfiles")).splitlines()]
    assert shown["filter"] == "bytes>=20" and shown["type"] == "file" and shown["account"] == "root"
    listed = ok(run(server, tmp_path, "--json did list --query bigfiles")).splitlines()
    assert [json.loads(line)["did"] for line in listed] == ["fc:b", "fc:c", "fc:d"]
    assert "bigfiles" in ok(run(server, tmp_path, "query list"))
    assert run(server, tmp_path, "query save bigfiles fc:*").returncode == 4  # exists
    frozen = json.loads(ok(run(server, tmp_path, "--json did freeze fc:big fc:* --type file --filter bytes>=20")))
    assert frozen == {"did": "fc:big", "count": 3}
    content = ok(run(server, tmp_path, "did content list fc:big"))
    assert all(name in content for name in ("fc:b", "fc:c", "fc:d")) and "fc:a" not in content
    ok(run(server, tmp_path, "query delete bigfiles"))
    assert run(server, tmp_path, "query show bigfiles").returncode == 3
