"""The Go, TypeScript and Java clients run tests/polyglot/scenario.json against one live server and print
transcripts byte-identical to the Python client's (and the Python one matches the committed expectation)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.polyglot import toolchain
from tests.polyglot.transcript import run as run_python
from tests.support.server import ServerProcess

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenario.json"
EXPECTED = HERE / "expected_transcript.txt"
_runs = itertools.count()


def _scope(language: str) -> str:
    """A fresh scope per run (the server is shared): `pg<pid><n><language>`, at most 25 characters."""
    return f"pg{os.getpid()}x{next(_runs)}{language}"


def _normalised(transcript: str, scope: str) -> str:
    """The transcript with the run's scope replaced by SCOPE (the only difference allowed between runs)."""
    return transcript.replace(scope, "SCOPE")


@pytest.fixture(scope="module")
def python_transcript(polyglot_server: ServerProcess) -> str:
    scope = _scope("py")
    lines: list[str] = []
    run_python(json.loads(SCENARIO.read_text()), polyglot_server.address, scope, lines.append)
    return _normalised("".join(f"{line}\n" for line in lines), scope)


def test_python_transcript_is_the_expected_one(python_transcript: str) -> None:
    assert python_transcript == EXPECTED.read_text()


def test_the_scenario_covers_the_contract(python_transcript: str) -> None:
    """Guard against a scenario that silently stops exercising something."""
    for needle in (
        "add_dids: created 6",
        "big_count=int:9007199254740993",
        "energy=double:13.6",
        "scale=double:3.0",
        "valid=bool:true",
        "taken_at=timestamp:2024-05-01T12:30:45.123000Z",
        'tags=[string:"a", int:2, double:-1.25, bool:false]',
        "conditions={beam=",
        "(stopped early)",
        "resume_list_dids",
        "error NOT_FOUND reason=DID_NOT_FOUND",
        "error ALREADY_EXISTS reason=SCOPE_EXISTS",
    ):
        assert needle in python_transcript, needle


EXAMPLES: dict[str, Callable[[], list[str]]] = {
    "go": toolchain.go_example,
    "ts": toolchain.ts_example,
    "java": toolchain.java_example,
}


@pytest.mark.parametrize("language", sorted(EXAMPLES))
def test_client_transcript_is_identical_to_python(
    language: str, polyglot_server: ServerProcess, python_transcript: str
) -> None:
    command = EXAMPLES[language]()
    scope = _scope(language)
    result = subprocess.run(
        [*command, str(SCENARIO), polyglot_server.address, scope],
        cwd=HERE,
        env=toolchain.environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _normalised(result.stdout, scope) == python_transcript, result.stderr


def test_typescript_client_type_checks() -> None:
    toolchain.ts_example()  # node_modules present
    tsc = toolchain.REPO / "clients" / "ts" / "node_modules" / ".bin" / "tsc"
    toolchain.run([tsc, "-p", "."], toolchain.REPO / "clients" / "ts")


def test_go_client_vets() -> None:
    toolchain.tool("protoc-gen-go")
    toolchain.run(["go", "vet", "./..."], toolchain.REPO / "clients" / "go")
    unformatted = toolchain.run(["gofmt", "-l", "."], toolchain.REPO / "clients" / "go").stdout
    assert unformatted == "", f"gofmt would change: {unformatted}"
