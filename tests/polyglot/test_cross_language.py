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

from didmeta.client import NewDid
from didmeta.client.retries import READ_METHODS
from tests.polyglot import toolchain
from tests.polyglot.cutting_proxy import cutting_proxy
from tests.polyglot.flaky_gateway import flaky_gateway
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


def _transcript(language: str, scenario: Path, address: str, scope: str) -> str:
    """What one client prints running `scenario` against `address` in `scope` (python: in this process)."""
    if language == "python":
        lines: list[str] = []
        run_python(json.loads(scenario.read_text()), address, scope, lines.append)
        return "".join(f"{line}\n" for line in lines)
    result = subprocess.run(
        [*EXAMPLES[language](), str(scenario), address, scope],
        cwd=HERE,
        env=toolchain.environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def python_transcript(polyglot_server: ServerProcess) -> str:
    scope = _scope("py")
    return _normalised(_transcript("python", SCENARIO, polyglot_server.address, scope), scope)


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
    scope = _scope(language)
    output = _transcript(language, SCENARIO, polyglot_server.address, scope)
    assert _normalised(output, scope) == python_transcript


def test_typescript_client_type_checks() -> None:
    toolchain.ts_example()  # node_modules present
    tsc = toolchain.REPO / "clients" / "ts" / "node_modules" / ".bin" / "tsc"
    toolchain.run([tsc, "-p", "."], toolchain.REPO / "clients" / "ts")


def test_go_client_vets_and_passes_its_unit_tests() -> None:
    toolchain.tool("protoc-gen-go")
    toolchain.run(["go", "vet", "./..."], toolchain.REPO / "clients" / "go")
    tested = toolchain.run(["go", "test", "-count=1", "./..."], toolchain.REPO / "clients" / "go").stdout
    assert "ok  \tgithub.com/didmeta/didmeta/clients/go" in tested, tested
    unformatted = toolchain.run(["gofmt", "-l", "."], toolchain.REPO / "clients" / "go").stdout
    assert unformatted == "", f"gofmt would change: {unformatted}"


RESUME_SCENARIO = HERE / "resume_scenario.json"
RESUME_DIDS = 3000


@pytest.fixture(scope="module")
def resume_scope(polyglot_server: ServerProcess) -> str:
    """A scope with 3000 files: a listing of ~60 KB in batches of 100, long enough to be cut in the middle."""
    scope = _scope("resume")
    with polyglot_server.client(timeout=60) as client:
        client.add_scope(scope)
        client.add_dids(NewDid(f"{scope}:f_{i:05d}", "FILE") for i in range(RESUME_DIDS))
    return scope


@pytest.fixture(scope="module")
def uncut_listing(polyglot_server: ServerProcess, resume_scope: str) -> str:
    transcript = _transcript("python", RESUME_SCENARIO, polyglot_server.address, resume_scope)
    assert transcript.startswith(f'list_dids filter="": {RESUME_DIDS} DID(s)\n')
    return transcript


@pytest.mark.parametrize("language", ["python", *sorted(EXAMPLES)])
def test_listing_resumes_after_a_dropped_connection(
    language: str, polyglot_server: ServerProcess, resume_scope: str, uncut_listing: str
) -> None:
    """The proxy resets the first connection after 20 KB of the stream; the client reconnects and resumes from
    its page token: every DID exactly once, in order, as in an uncut listing."""
    with cutting_proxy(polyglot_server.address, cut_after=20_000) as proxy:
        output = _transcript(language, RESUME_SCENARIO, proxy.address, resume_scope)
        assert proxy.cuts == 1, "the stream was not cut: the test proves nothing"
        assert proxy.connections >= 2, f"the client did not reconnect: {output[:300]}"
    assert output == uncut_listing


@pytest.mark.parametrize("language", ["python", *sorted(EXAMPLES)])
def test_reads_are_retried_after_unavailable(
    language: str, polyglot_server: ServerProcess, python_transcript: str
) -> None:
    """Behind a gateway that answers the first call of every read method UNAVAILABLE (a replica draining
    behind a proxy), each client retries its reads (never its writes) and prints the same transcript."""
    scope = _scope(language)
    with flaky_gateway(polyglot_server.address) as gateway:
        output = _transcript(language, SCENARIO, gateway.address, scope)
    assert _normalised(output, scope) == python_transcript
    refused = {path.rsplit("/", 1)[1] for path in gateway.failed}
    assert {"GetMetadata", "GetDid", "ListDids"} <= refused, gateway.failed  # each refused once, then retried
    assert refused <= {method for methods in READ_METHODS.values() for method in methods}
    assert len(gateway.failed) == len(refused)  # no read refused twice: the retry went through
