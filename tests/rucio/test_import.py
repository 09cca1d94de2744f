"""`didmeta import rucio` against a catalogue built by Rucio's own core API (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from didmeta.client import Client
from didmeta.identifiers import DidKey
from didmeta.integrations.rucio.importer import RucioImporter
from didmeta.integrations.rucio.source import RucioSource, engine_url
from tests.rucio.conftest import RucioCatalogue, build_catalogue, expected_metadata, run_import
from tests.support.server import ServerProcess

#: Building a Rucio catalogue with Rucio's core API (once per session, in the first test that needs it)
#: takes minutes on a loaded machine: more than the suite's default per-test timeout.
pytestmark = pytest.mark.timeout(1200)


TYPES = {"F": "file", "D": "dataset", "C": "container"}


def source_counts(catalogue: RucioCatalogue) -> Counter[tuple[str, str]]:
    return Counter((d.scope, TYPES[d.type]) for d in catalogue.data.dids)


def check_catalogue(catalogue: RucioCatalogue, client: Client) -> None:
    """Counts, owners, values, attachments and closed state in didmeta equal what Rucio holds."""
    for (scope, kind), n in source_counts(catalogue).items():
        assert client.count_dids(scope, type=kind) == n, (scope, kind)
    sample = catalogue.data.dids[:: max(1, len(catalogue.data.dids) // 60)]
    got = dict(client.get_metadata_bulk([d.key for d in sample], "ALL"))
    for did in sample:
        metadata = got[DidKey(did.scope, did.name)]
        assert metadata is not None
        expected = expected_metadata(catalogue, did.key)
        assert {k: metadata.get(k) for k in expected} == expected, did.key
        info = client.get_did(did.key)
        assert info.account == ("jdoe" if did.scope.startswith("user.") else "root")
        assert info.type.lower() == TYPES[did.type]
        if did.type == "F":
            assert (info.bytes, info.adler32) == (did.bytes, did.adler32)
    children: dict[str, set[str]] = {}
    for ps, pn, cs, cn in catalogue.data.attachments:
        children.setdefault(f"{ps}:{pn}", set()).add(f"{cs}:{cn}")
    for parent in (
        "user.jdoe:user.jdoe.picks",
        "user.jdoe:user.jdoe.mixed",
        "mc23:mc23.top",
        "data23:data23.ds004_HITS",
    ):
        assert {f"{c.scope}:{c.name}" for c in client.list_content(parent)} == children[parent]
    for scope, name in catalogue.data.closed:
        assert client.get_did(f"{scope}:{name}").is_open is False
    assert client.get_did("data23:data23.ds000_RAW").is_open is True
    # A closed dataset's counters equal Rucio's (Rucio fills them on close; didmeta keeps them always).
    engine = sa.create_engine(engine_url(catalogue.url))
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT bytes, length FROM dids WHERE scope = :s AND name = :n"),
            {"s": catalogue.data.closed[0][0], "n": catalogue.data.closed[0][1]},
        ).one()
    engine.dispose()
    info = client.get_did(f"{catalogue.data.closed[0][0]}:{catalogue.data.closed[0][1]}")
    assert (info.bytes, info.length) == (row.bytes, row.length)


def test_import_command_matches_the_source(rucio_catalogue: RucioCatalogue, fresh_didmeta: ServerProcess) -> None:
    done = run_import(fresh_didmeta, rucio_catalogue.url, "--json")
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["matches"] is True and summary["refusals"] == []
    counts = {(c["scope"], c["type"]): (c["rucio"], c["didmeta"]) for c in summary["counts"]}
    assert counts == {k: (n, n) for k, n in source_counts(rucio_catalogue).items()}
    assert summary["state"]["attached"] == len(rucio_catalogue.data.attachments)
    with fresh_didmeta.client(timeout=60) as client:
        check_catalogue(rucio_catalogue, client)
    # Running it again is an incremental sync: nothing duplicated, nothing refused, same counts.
    again = run_import(fresh_didmeta, rucio_catalogue.url, "--json")
    assert again.returncode == 0, again.stdout[-3000:]
    state = json.loads(again.stdout.strip().splitlines()[-1])["state"]
    assert (state["created"], state["attached"], state["refused"]) == (0, 0, 0)


class Interrupt(Exception):
    pass


def test_import_resumes_without_duplicates(
    rucio_catalogue: RucioCatalogue, fresh_didmeta: ServerProcess, tmp_path: Path
) -> None:
    resume = tmp_path / "resume.json"
    calls = Counter[str]()

    def stop_after(phase: str, done: int, total: int) -> None:
        calls[phase] += 1
        if calls[phase] == 3:
            raise Interrupt(phase)

    with fresh_didmeta.client(timeout=60) as client:
        for phase in ("dids", "attachments"):
            source = RucioSource(rucio_catalogue.url, page=97)
            with pytest.raises(Interrupt, match=phase):
                RucioImporter(source, client, resume_file=resume, progress=stop_after).run()
            source.close()
            state = json.loads(resume.read_text())
            assert state["phase"] == phase and state["after"]
            if phase == "dids":
                assert 0 < client.count_dids("*", type="all") < len(rucio_catalogue.data.dids)
            # Lose the record of the last chunk, as if the importer died between apply and record:
            # the next run meets DID_EXISTS / ATTACHMENT_EXISTS and must skip, not duplicate or fail.
            state["after"] = None
            resume.write_text(json.dumps(state))
        source = RucioSource(rucio_catalogue.url, page=97)
        report = RucioImporter(source, client, resume_file=resume).run()
        source.close()
        assert report.refusals == [] and report.matches, report.refusals[:5]
        assert report.state.phase == "done"
        assert report.state.attached == len(rucio_catalogue.data.attachments)
        check_catalogue(rucio_catalogue, client)


def test_import_limited_to_scopes(rucio_catalogue: RucioCatalogue, fresh_didmeta: ServerProcess) -> None:
    done = run_import(fresh_didmeta, rucio_catalogue.url, "--scope", "mc23", "--scope", "data23", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    with fresh_didmeta.client(timeout=60) as client:
        assert sorted(s.name for s in client.list_scopes()) == ["data23", "mc23"]
        assert client.count_dids("mc23", type="all") == sum(1 for d in rucio_catalogue.data.dids if d.scope == "mc23")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    # The user scope's cross-scope attachments point into the imported scopes but start outside them.
    assert summary["state"]["attached"] == sum(
        1 for ps, _, cs, _ in rucio_catalogue.data.attachments if ps != "user.jdoe" and cs != "user.jdoe"
    )


def test_import_of_a_bad_source_is_a_clear_error(
    rucio_catalogue: RucioCatalogue, fresh_didmeta: ServerProcess, tmp_path: Path
) -> None:
    bad = run_import(fresh_didmeta, rucio_catalogue.url, "--scope", "nosuchscope")
    assert bad.returncode != 0 and "nosuchscope" in bad.stderr
    missing = run_import(fresh_didmeta, f"sqlite:///{tmp_path / 'missing.db'}")
    assert missing.returncode != 0 and "cannot read the Rucio database" in missing.stderr
    assert "Traceback" not in missing.stderr
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE other (x INTEGER)").connection.close()
    not_rucio = run_import(fresh_didmeta, f"sqlite:///{empty}")
    assert not_rucio.returncode != 0 and "not a Rucio database" in not_rucio.stderr


def test_import_lists_what_didmeta_cannot_store(
    rucio_catalogues: dict[str, RucioCatalogue],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    make_catalogue_url: Callable[[str], str],
    start_server: Callable[..., ServerProcess],
) -> None:
    """Keys Rucio's JSON table holds but didmeta refuses are listed with the reason; the rest goes in."""
    catalogue = build_catalogue("sqlite", rucio_catalogues, request, tmp_path_factory)
    copy = tmp_path / "rucio.db"
    shutil.copy(catalogue.url.removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as conn:  # Rucio's JSON plugin stores whatever key it is given but '.'
        conn.execute(
            "INSERT INTO did_meta (scope, name, meta, did_type, created_at, updated_at) "
            "VALUES ('mc23', 'mc23.top', ?, 'C', '2024-01-01', '2024-01-01')",
            (json.dumps({"bad key": 1, "1st": 2, "bytes": 3, "ok_key": "5", "stamp": "2024-02-03T04:05:06"}),),
        )
    conn.close()
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text"})
    refusals_file = tmp_path / "refusals.ndjson"
    done = run_import(server, f"sqlite:///{copy}", "--refusals-file", str(refusals_file))
    assert done.returncode == 1, done.stdout[-3000:]
    assert "refused (count, reason):" in done.stdout and "every count matches" not in done.stdout
    refused = [json.loads(line) for line in refusals_file.read_text().splitlines()]
    assert sorted(r["key"] for r in refused) == ["1st", "bad key", "bytes"]
    assert all(r["did"] == "mc23:mc23.top" and r["reason"] for r in refused)
    with server.client(timeout=30) as client:
        metadata = client.get_metadata("mc23:mc23.top", "ALL")
        assert metadata["ok_key"] == 5 and metadata["stamp"] == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
        assert "bad key" not in metadata and metadata["bytes"] != 3  # the intrinsic attribute, not the JSON key
        assert client.count_dids("mc23", type="all") == sum(1 for d in catalogue.data.dids if d.scope == "mc23")


def _grow(database: Path, scope: str, files: int) -> None:
    """Add scope `scope` to a Rucio SQLite database: a dataset holding `files` files, rows cloned (in SQL)
    from a dataset, a file and an attachment that Rucio's core API wrote, so every column is Rucio's."""
    with sqlite3.connect(database) as conn:

        def columns(table: str) -> list[str]:
            return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]

        def clone(table: str, source: str, values: dict[str, str], numbers: bool = False) -> None:
            names = columns(table)
            chosen = ", ".join(values.get(c, f"t.{c}") for c in names)
            prefix = f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {files - 1}) "
            rows = f"FROM n, ({source}) AS t" if numbers else f"FROM ({source}) AS t"
            conn.execute(f"{prefix if numbers else ''}INSERT INTO {table} ({', '.join(names)}) SELECT {chosen} {rows}")

        quoted = f"'{scope}'"
        clone("scopes", "SELECT * FROM scopes WHERE scope = 'mc23'", {"scope": quoted})
        clone(
            "dids",
            "SELECT * FROM dids WHERE scope = 'mc23' AND did_type = 'D' LIMIT 1",
            {"scope": quoted, "name": f"'{scope}.ds'", "is_open": "1"},
        )
        name = f"printf('{scope}.f%07d', n.i)"
        clone(
            "dids",
            "SELECT * FROM dids WHERE scope = 'mc23' AND did_type = 'F' LIMIT 1",
            {"scope": quoted, "name": name, "guid": "NULL", "bytes": "n.i + 1"},
            numbers=True,
        )
        clone(
            "contents",
            "SELECT * FROM contents WHERE scope = 'mc23' AND child_type = 'F' LIMIT 1",
            {"scope": quoted, "name": f"'{scope}.ds'", "child_scope": quoted, "child_name": name, "guid": "NULL"},
            numbers=True,
        )
    conn.close()


def _peak_rss_mib(command: list[str], log: Path) -> tuple[float, str]:
    """Run a command to its end; its peak resident memory (MiB) and its stderr."""
    with log.open("w") as err:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, log.read_text()[-3000:]
    return usage.ru_maxrss / 1024, log.read_text()


def test_import_memory_does_not_grow_with_the_catalogue(
    rucio_catalogues: dict[str, RucioCatalogue],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    make_catalogue_url: Callable[[str], str],
    start_server: Callable[..., ServerProcess],
) -> None:
    """Importing 20 times more DIDs and attachments costs the importer no more memory (keyset pages, one
    LoadDids chunk at a time), and the progress on stderr reaches the totals."""
    catalogue = build_catalogue("sqlite", rucio_catalogues, request, tmp_path_factory)
    copy = tmp_path / "rucio.db"
    shutil.copy(catalogue.url.removeprefix("sqlite:///"), copy)
    sizes = {"small": 2_000, "large": 40_000}
    for scope, files in sizes.items():
        _grow(copy, scope, files)
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text"})
    command = [str(Path(sys.executable).with_name("didmeta")), "--server", server.address, "import", "rucio"]
    peaks: dict[str, float] = {}
    for scope, files in sizes.items():
        peak, stderr = _peak_rss_mib(
            [*command, "--database", f"sqlite:///{copy}", "--scope", scope], tmp_path / f"{scope}.log"
        )
        peaks[scope] = peak
        assert f"dids: {files + 1:,}/{files + 1:,}" in stderr and f"attachments: {files:,}/{files:,}" in stderr
        with server.client(timeout=60) as client:
            assert client.count_dids(scope, type="file") == files
            assert client.get_did(f"{scope}:{scope}.ds").length == files
    print(f"importer peak RSS: {peaks}")
    assert peaks["large"] - peaks["small"] < 16, peaks
