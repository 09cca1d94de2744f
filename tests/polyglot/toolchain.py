"""The polyglot toolchain for tests: binaries from tools/toolchain.sh and cached builds of the example programs.

Nothing here installs anything: `tools/run_tests.sh` runs `tools/toolchain.sh install` first. A missing tool
fails the test with the command that installs it (never a skip).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("DIDMETA_CACHE") or Path.home() / ".cache" / "didmeta")
BIN = CACHE / "toolchain" / "bin"
BUILD = CACHE / "toolchain" / "build"
INSTALL_HINT = "run `bash tools/toolchain.sh install` (tools/run_tests.sh does)"


def tool(name: str) -> Path:
    """The path of a toolchain binary (grpcurl, grpc-health-probe, protoc-gen-go, ...)."""
    path = BIN / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{name} is not installed in {BIN}: {INSTALL_HINT}")
    return path


def environment() -> dict[str, str]:
    """PATH with the toolchain first, and the Go caches tools/toolchain.sh uses."""
    go = CACHE / "go"
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GOPATH": str(go),
        "GOMODCACHE": str(go / "pkg" / "mod"),
        "GOCACHE": str(CACHE / "go-build"),
        "GOFLAGS": "-modcacherw -buildvcs=false",
        "GOTOOLCHAIN": "local",
    }


def run(command: Sequence[str | Path], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a build or tool command; a failure fails the test with its output."""
    result = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _digest(*roots: Path) -> str:
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def go_example() -> list[str]:
    """The command of the Go example, built into the cache (Go's build cache makes rebuilds cheap)."""
    tool("protoc-gen-go")  # the toolchain is installed (Go module cache populated)
    binary = BUILD / "didmeta-example-go"
    run(["go", "build", "-o", binary, "./cmd/didmeta-example"], REPO / "clients" / "go")
    return [str(binary)]


def ts_example() -> list[str]:
    """The command of the TypeScript example (tsx runs the sources; `tsc` type-checks them separately)."""
    tsx = REPO / "clients" / "ts" / "node_modules" / ".bin" / "tsx"
    if not tsx.exists():
        pytest.fail(f"clients/ts/node_modules is missing: {INSTALL_HINT}")
    return [str(tsx), str(REPO / "clients" / "ts" / "src" / "example.ts")]


def java_example() -> list[str]:
    """The command of the Java example; `mvn package` runs only when the sources or generated code changed."""
    project = REPO / "clients" / "java"
    target = project / "target"
    stamp = target / ".didmeta-build"
    digest = _digest(project / "pom.xml", project / "src", REPO / "gen" / "java")
    if not (stamp.exists() and stamp.read_text() == digest and (target / "classpath.txt").exists()):
        run(["mvn", "-q", "-B", "-o", f"-Dmaven.repo.local={CACHE / 'm2'}", "-DskipTests", "package"], project)
        stamp.write_text(digest)
    classpath = f"{target / 'classes'}{os.pathsep}{(target / 'classpath.txt').read_text().strip()}"
    return ["java", "-cp", classpath, "org.didmeta.example.Example"]
