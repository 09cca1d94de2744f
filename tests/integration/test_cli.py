"""The `didmeta` console script against a fresh server: the seed's quickstart verbatim, NDJSON, exit codes, load."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from didmeta.client import Client, NewDid
from tests.support.checks import free_port
from tests.support.server import ServerProcess

DIDMETA = Path(sys.executable).parent / "didmeta"

# Rucio's quickstart (seeds/004, docs/operator/did_meta.md) with `didmeta` for `rucio`, after `didmeta scope add mock`.
QUICKSTART = """\
# Create a dataset to use on the Example
$ didmeta did add --type dataset mock:testing_metadata

# Add "optimized" metadata that exist as columns in the DID table
$ didmeta did metadata add mock:testing_metadata --key panda_id --value 9999

# Add "generic" metadata. If there is no custom metadata plugin,
# the plugin "JSON" will be used
$ didmeta did metadata add mock:testing_metadata --key random_key_name --value 8888

# Get the "optimized" metadata
$ didmeta did metadata list mock:testing_metadata

# Get the Generic metadata
$ didmeta did metadata list mock:testing_metadata --plugin JSON

# Get all the metadata
$ didmeta did metadata list mock:testing_metadata --plugin ALL

# List DIDs according to metadata
$ didmeta did list mock:* --filter "type=ALL,panda_id=9999"
$ didmeta did list mock:* --filter "type=ALL,random_key_name=8888"
"""


@pytest.fixture(scope="module")
def cli_server(make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server({"database": make_catalogue_url("sqlite"), "log_format": "text"})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty directory: a shell finds nothing to glob for `mock:*` here, as for a user."""
    return tmp_path_factory.mktemp("cli")


def run(server: ServerProcess, cwd: Path, command: str, *, shell: bool = False) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIDMETA_")}
    environment["DIDMETA_SERVER"] = server.address
    environment["PATH"] = f"{DIDMETA.parent}{os.pathsep}{environment.get('PATH', '')}"
    args: str | list[str] = command if shell else [str(DIDMETA), *shlex.split(command)]
    return subprocess.run(
        args,
        shell=shell,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        executable="/bin/bash" if shell else None,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def metadata_lines(output: str) -> dict[str, str]:
    """`key: value` lines of `did metadata list`."""
    values: dict[str, str] = {}
    for line in output.splitlines():
        name, sep, rest = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            values[name.strip()] = rest.strip()
    return values


@pytest.fixture(scope="module")
def quickstart(cli_server: ServerProcess, workdir: Path) -> list[tuple[str, str]]:
    """Run the quickstart line by line through bash, verbatim; (command, stdout) of each."""
    ok(run(cli_server, workdir, "didmeta scope add mock", shell=True))
    outputs: list[tuple[str, str]] = []
    for line in QUICKSTART.splitlines():
        if line.startswith("$ "):
            command = line[2:]
            outputs.append((command, ok(run(cli_server, workdir, command, shell=True))))
    return outputs


def output_of(quickstart: list[tuple[str, str]], command: str) -> str:
    matches = [out for cmd, out in quickstart if cmd == command]
    assert len(matches) == 1, command
    return matches[0]


def test_quickstart_runs_verbatim(quickstart: list[tuple[str, str]]) -> None:
    assert len(quickstart) == 8


def test_quickstart_optimised_metadata(quickstart: list[tuple[str, str]]) -> None:
    values = metadata_lines(output_of(quickstart, "didmeta did metadata list mock:testing_metadata"))
    assert values["panda_id"] == "9999"
    assert "random_key_name" not in values
    assert values.get("type") == "DATASET"


def test_quickstart_generic_metadata(quickstart: list[tuple[str, str]]) -> None:
    values = metadata_lines(output_of(quickstart, "didmeta did metadata list mock:testing_metadata --plugin JSON"))
    assert values == {"random_key_name": "8888"}


def test_quickstart_all_metadata(quickstart: list[tuple[str, str]]) -> None:
    values = metadata_lines(output_of(quickstart, "didmeta did metadata list mock:testing_metadata --plugin ALL"))
    assert values["panda_id"] == "9999"
    assert values["random_key_name"] == "8888"


@pytest.mark.parametrize("key", ["panda_id=9999", "random_key_name=8888"])
def test_quickstart_listing_finds_the_dataset(quickstart: list[tuple[str, str]], key: str) -> None:
    output = output_of(quickstart, f'didmeta did list mock:* --filter "type=ALL,{key}"')
    assert "mock:testing_metadata" in output


def test_quickstart_listing_does_not_find_other_values(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path
) -> None:
    output = ok(run(cli_server, workdir, 'didmeta did list mock:* --filter "type=ALL,panda_id=9998"', shell=True))
    assert "testing_metadata" not in output


def test_quickstart_values_are_typed(quickstart: list[tuple[str, str]], cli_server: ServerProcess) -> None:
    with cli_server.client(timeout=30) as client:
        everything = client.get_metadata("mock:testing_metadata", "ALL")
    assert everything["panda_id"] == 9999
    assert everything["random_key_name"] == 8888 and isinstance(everything["random_key_name"], int)


# --- NDJSON --------------------------------------------------------------------------------------------------
def ndjson(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_json_metadata_list(quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path) -> None:
    (record,) = ndjson(ok(run(cli_server, workdir, "--json did metadata list mock:testing_metadata --plugin ALL")))
    assert record["panda_id"] == 9999 and record["random_key_name"] == 8888
    assert record["scope"] == "mock" and record["name"] == "testing_metadata"


def test_json_did_list_long(quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path) -> None:
    records = ndjson(
        ok(run(cli_server, workdir, "--json did list mock:* --type all --long --key panda_id --key random_key_name"))
    )
    assert {
        "did": "mock:testing_metadata",
        "type": "DATASET",
        "bytes": 0,
        "length": 0,
        "metadata": {"panda_id": 9999, "random_key_name": 8888},
    } in records


def test_json_did_list_short(quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path) -> None:
    records = ndjson(ok(run(cli_server, workdir, '--json did list mock:* --filter "panda_id>=9999"')))
    assert records == [{"did": "mock:testing_metadata"}]


def test_json_did_show_and_scope_list(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path
) -> None:
    (shown,) = ndjson(ok(run(cli_server, workdir, "--json did show mock:testing_metadata")))
    assert shown["type"] == "DATASET" and shown["is_open"] is True
    scopes = ndjson(ok(run(cli_server, workdir, "--json scope list")))
    assert {"mock"} <= {s["scope"] for s in scopes}


def test_cli_value_typing(cli_server: ServerProcess, workdir: Path) -> None:
    ok(run(cli_server, workdir, "scope add typing"))
    ok(run(cli_server, workdir, "did add --type dataset typing:d"))
    for key, text in [
        ("as_int", "-5"),
        ("as_string", '"5"'),
        ("as_double", "1e-3"),
        ("as_bool", "TRUE"),
        ("leading_zero", "007"),
        ("as_date", "2024-01-02"),
    ]:
        ok(run(cli_server, workdir, f"did metadata add typing:d --key {key} --value {shlex.quote(text)}"))
    with cli_server.client(timeout=30) as client:
        values = client.get_metadata("typing:d", "JSON")
    assert values["as_int"] == -5 and isinstance(values["as_int"], int)
    assert values["as_string"] == "5"
    assert values["as_double"] == pytest.approx(0.001)
    assert values["as_bool"] is True
    assert values["leading_zero"] == "007"
    assert str(values["as_date"]).startswith("2024-01-02 00:00:00")
    assert "typing:d" in ok(run(cli_server, workdir, 'did list typing:* --filter "as_int<0"'))


# --- exit codes ---------------------------------------------------------------------------------------------
def test_not_found_exits_3(quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path) -> None:
    result = run(cli_server, workdir, "did show mock:does_not_exist")
    assert result.returncode == 3, result.stderr
    assert "NOT_FOUND" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        "did metadata list mock:testing_metadata --plugin NOPE",
        'did list mock:* --filter "a=b=c"',
        "did metadata add mock:testing_metadata --key a.b --value 1",
        "did list mock:* --limit -1",
    ],
)
def test_invalid_argument_exits_2(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path, command: str
) -> None:
    result = run(cli_server, workdir, command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip()


def test_already_exists_exits_4(quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path) -> None:
    result = run(cli_server, workdir, "did add --type dataset mock:testing_metadata")
    assert result.returncode == 4, result.stderr


def test_unreachable_server_exits_7(workdir: Path) -> None:
    nowhere = ServerProcess(workdir, {})
    nowhere.address = f"127.0.0.1:{free_port()}"
    result = run(nowhere, workdir, "--timeout 5 scope list")
    assert result.returncode == 7, result.stdout + result.stderr


# --- bulk load --------------------------------------------------------------------------------------------------
def test_did_load_of_an_ndjson_file(cli_server: ServerProcess, workdir: Path) -> None:
    ok(run(cli_server, workdir, "scope add loaded"))
    records = [
        {"did": "loaded:ds", "type": "dataset", "metadata": {"run_number": 7, "colour": "red"}},
        *(
            {"did": f"loaded:f{i}", "type": "file", "bytes": 100 + i, "parent": "loaded:ds", "metadata": {"i": i}}
            for i in range(5)
        ),
        {"did": "loaded:f0", "metadata": {"checked": True}},
    ]
    path = workdir / "records.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    summary = ndjson(ok(run(cli_server, workdir, f"--json did load {path} --chunk-size 2")))[-1]
    assert summary["created"] == 6 and summary["attached"] == 5 and summary["updated"] == 1
    with cli_server.client(timeout=30) as client:
        info = client.get_did("loaded:ds")
        assert (info.length, info.bytes) == (5, sum(100 + i for i in range(5)))
        assert client.get_metadata("loaded:ds")["run_number"] == 7
        assert client.get_metadata("loaded:f0", "JSON") == {"i": 0, "checked": True}
        assert [c.name for c in client.list_content("loaded:ds")] == [f"f{i}" for i in range(5)]


@pytest.mark.parametrize(
    "bad_line",
    [
        "not json",
        "[1, 2]",
        '{"type": "dataset"}',
        '{"did": "no-colon"}',
        '{"did": "loaded:y", "type": "bogus"}',
        '{"did": "loaded:y", "type": "file", "bytes": "many"}',
        '{"did": "loaded:y", "metadata": [1]}',
    ],
)
def test_did_load_of_a_malformed_file_exits_2_naming_the_line(
    cli_server: ServerProcess, workdir: Path, bad_line: str
) -> None:
    path = workdir / "bad.ndjson"
    path.write_text('{"did": "loaded:x", "type": "dataset"}\n' + bad_line + "\n")
    result = run(cli_server, workdir, f"did load {path}")
    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert error.startswith("Error (INVALID_ARGUMENT, INVALID_RECORD): "), result.stderr
    assert "bad.ndjson:2" in error
    assert "Traceback" not in result.stderr


# --- issue 10: what a newcomer types ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_scope(cli_server: ServerProcess) -> str:
    with cli_server.client(timeout=60) as client:
        client.add_scope("big")
        client.add_dids([NewDid(f"big:d{i:05d}", "dataset") for i in range(20_000)])
    return "big"


@pytest.mark.parametrize("verb", ["did list 'big:*' --type all", "did list 'big:*' --long", "did count 'big:*'"])
def test_timeout_is_a_deadline_for_listings(
    cli_server: ServerProcess, workdir: Path, big_scope: str, verb: str
) -> None:
    result = run(cli_server, workdir, f"--timeout 0.001 {verb}")
    assert result.returncode == 7, result.stdout[-300:] + result.stderr
    assert "DEADLINE_EXCEEDED" in result.stderr
    assert "big:d00001" not in result.stdout


def test_timeout_is_a_deadline_for_a_load(cli_server: ServerProcess, workdir: Path) -> None:
    path = workdir / "slow.ndjson"
    path.write_text("".join(json.dumps({"did": f"loaded:slow{i}", "type": "file"}) + "\n" for i in range(20_000)))
    result = run(cli_server, workdir, f"--timeout 0.001 did load {path} --chunk-size 500")
    assert result.returncode == 7, result.stdout + result.stderr
    assert "DEADLINE_EXCEEDED" in result.stderr


def test_timeout_0_means_no_deadline(cli_server: ServerProcess, workdir: Path, big_scope: str) -> None:
    (counted,) = ndjson(ok(run(cli_server, workdir, "--timeout 0 --json did count 'big:*'")))
    assert counted == {"count": 20_000}


def test_an_unreachable_server_fails_at_once_naming_its_address(workdir: Path) -> None:
    nowhere = ServerProcess(workdir, {})
    nowhere.address = f"127.0.0.1:{free_port()}"
    for verb in ("did list 'x:*'", "scope list"):
        started = time.monotonic()
        result = run(nowhere, workdir, f"--timeout 30 {verb}")
        elapsed = time.monotonic() - started
        assert result.returncode == 7, result.stdout + result.stderr
        assert f"the didmeta server at {nowhere.address} is unreachable" in result.stderr, result.stderr
        assert "BACKEND_UNAVAILABLE" not in result.stderr
        assert elapsed < 5, f"{verb}: {elapsed:.1f} s before failing"


def test_server_without_a_port_uses_the_default_port_50051(workdir: Path) -> None:
    nowhere = ServerProcess(workdir, {})
    nowhere.address = "localhost"
    result = run(nowhere, workdir, "--timeout 5 scope list")
    assert "localhost:50051" in result.stderr or result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        "did list 'mock:*' --type all --json",
        "did list 'mock:*' --json --type all",
        "--json did list 'mock:*' --type all",
    ],
)
def test_json_is_accepted_before_and_after_the_subcommand(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path, command: str
) -> None:
    assert {"did": "mock:testing_metadata"} in ndjson(ok(run(cli_server, workdir, command)))


def test_json_after_a_nested_subcommand(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path
) -> None:
    (record,) = ndjson(ok(run(cli_server, workdir, "did metadata list mock:testing_metadata --json")))
    assert record["panda_id"] == 9999


def test_json_metadata_list_keys_are_sorted_like_the_table(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path
) -> None:
    for plugin in ("DID_COLUMN", "ALL"):
        command = f"did metadata list mock:testing_metadata --plugin {plugin}"
        (record,) = ndjson(ok(run(cli_server, workdir, f"--json {command}")))
        assert list(record) == sorted(record)
        table = ok(run(cli_server, workdir, command))
        assert list(metadata_lines(table)) == list(record)


def test_pattern_name_is_added_only_to_groups_without_a_name_clause(cli_server: ServerProcess, workdir: Path) -> None:
    ok(run(cli_server, workdir, "scope add pat"))
    ok(run(cli_server, workdir, "did add --type dataset pat:a.RAW pat:b.AOD.x pat:c.RAW"))
    ok(run(cli_server, workdir, "did metadata add pat:c.RAW --key run --value 1"))
    listed = ndjson(ok(run(cli_server, workdir, "--json did list 'pat:*.RAW' --filter 'name=*.AOD.*'")))
    assert listed == [{"did": "pat:b.AOD.x"}]
    # One group with its own name clause, one without: the pattern applies to the second only.
    listed = ndjson(ok(run(cli_server, workdir, "--json did list 'pat:*.RAW' --filter 'name=b*;run=1'")))
    assert listed == [{"did": "pat:b.AOD.x"}, {"did": "pat:c.RAW"}]
    assert ndjson(ok(run(cli_server, workdir, "--json did list 'pat:*.RAW'"))) == [
        {"did": "pat:a.RAW"},
        {"did": "pat:c.RAW"},
    ]


def test_cli_and_client_see_the_same_catalogue(quickstart: list[tuple[str, str]], cli_server: ServerProcess) -> None:
    with cli_server.client(timeout=30) as client:
        assert isinstance(client, Client)
        assert "mock:testing_metadata" in list(client.list_dids("mock", type="all"))


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        ("mock:testing_*", True),
        ("mock:testing_metadata", True),
        ("mock:*metadata", True),
        ("mock:nothing*", False),
        ("mock:testing", False),
        ("m*:testing_metadata", True),
    ],
)
def test_did_list_name_patterns(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path, pattern: str, found: bool
) -> None:
    output = ok(run(cli_server, workdir, f"--json did list {pattern} --type all"))
    assert ({"did": "mock:testing_metadata"} in ndjson(output)) is found


def test_did_count_matches_did_list(
    quickstart: list[tuple[str, str]], cli_server: ServerProcess, workdir: Path
) -> None:
    listed = ndjson(ok(run(cli_server, workdir, '--json did list mock:* --filter "type=ALL,panda_id>=1"')))
    (counted,) = ndjson(ok(run(cli_server, workdir, '--json did count mock:* --filter "type=ALL,panda_id>=1"')))
    assert counted == {"count": len(listed)} and len(listed) >= 1


def test_a_file_shows_no_length(cli_server: ServerProcess, workdir: Path) -> None:
    ok(run(cli_server, workdir, "scope add lengths"))
    ok(run(cli_server, workdir, "did add --type dataset lengths:ds"))
    ok(run(cli_server, workdir, "did add --type file lengths:f --bytes 5"))
    ok(run(cli_server, workdir, "did attach lengths:ds lengths:f"))
    (shown,) = ndjson(ok(run(cli_server, workdir, "--json did show lengths:f")))
    assert "length" not in shown and shown["bytes"] == 5
    table_lines = ok(run(cli_server, workdir, "did show lengths:f")).splitlines()
    attributes = [line.strip("|").split("|")[0].strip() for line in table_lines]
    assert "bytes" in attributes and "length" not in attributes
    (dataset,) = ndjson(ok(run(cli_server, workdir, "--json did show lengths:ds")))
    assert dataset["length"] == 1
    rows = {r["did"]: r for r in ndjson(ok(run(cli_server, workdir, "--json did list 'lengths:*' --type all --long")))}
    assert rows["lengths:f"]["length"] is None and rows["lengths:ds"]["length"] == 1
    (content,) = ndjson(ok(run(cli_server, workdir, "--json did content list lengths:ds")))
    assert content["length"] is None
    table = ok(run(cli_server, workdir, "did list 'lengths:*' --type all --long"))
    (file_row,) = [line for line in table.splitlines() if "lengths:f" in line]
    assert [cell.strip() for cell in file_row.strip("|").split("|")] == ["lengths:f", "FILE", "5", ""]
