"""`make generate` (tools/generate.sh) output equals the committed code of every language.

Regenerates into a scratch directory with the pinned local toolchain (tools/toolchain.sh) and compares the
Python, Go, Java and TypeScript trees file by file: a proto change without `make generate` fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATED_TREES = ("gen/python/didmeta/v1", "gen/go/didmeta", "gen/java/org", "clients/ts/src/gen")


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    result = subprocess.run(
        ["bash", str(REPO / "tools" / "generate.sh"), str(Path(sys.executable).parents[1]), str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.mark.parametrize("tree", GENERATED_TREES)
def test_committed_generated_code_is_fresh(regenerated: Path, tree: str) -> None:
    fresh = _files(regenerated / tree)
    committed = _files(REPO / tree)
    assert fresh, f"make generate wrote nothing into {tree}"
    assert sorted(fresh) == sorted(committed), f"{tree} is stale (files differ): run `make generate`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"{tree} is stale ({stale[:5]}): run `make generate`"


def test_every_proto_file_has_code_in_every_language() -> None:
    for proto in (REPO / "proto" / "didmeta" / "v1").glob("*.proto"):
        stem = proto.stem
        assert (REPO / "gen" / "go" / "didmeta" / "v1" / f"{stem}.pb.go").is_file(), f"{proto.name}: no Go code"
        assert (REPO / "clients" / "ts" / "src" / "gen" / "didmeta" / "v1" / f"{stem}_pb.ts").is_file(), proto.name
    java = REPO / "gen" / "java" / "org" / "didmeta" / "v1"
    assert (java / "MetadataServiceGrpc.java").is_file() and (java / "DidServiceGrpc.java").is_file()


def test_contract_is_compatible_with_main_and_the_last_release_tag() -> None:
    """tools/breaking.sh (`make breaking`): buf breaking against `main` and the newest v* tag that exist."""
    result = subprocess.run(
        ["bash", str(REPO / "tools" / "breaking.sh"), str(Path(sys.executable).parents[1])],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "buf breaking --against .git#" in result.stdout


def test_breaking_check_uses_the_newest_release_tag(tmp_path: Path) -> None:
    """In a clone whose only tags are v0.9.0 and v0.10.0 (no release is tagged yet), tools/breaking.sh checks the newest
    one (version order, not text order), and a field removed since the tag fails it."""
    clone = tmp_path / "clone"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(clone)]
    subprocess.run(["git", "clone", "-q", "--no-local", str(REPO), str(clone)], check=True, timeout=300)
    tags = subprocess.run([*git, "tag", "--list"], check=True, capture_output=True, text=True).stdout.split()
    if tags:  # the real releases, once there are some: only the two below count here
        subprocess.run([*git, "tag", "--delete", *tags], check=True, capture_output=True)
    subprocess.run([*git, "tag", "v0.9.0"], check=True)
    subprocess.run([*git, "tag", "v0.10.0"], check=True)
    venv = str(Path(sys.executable).parents[1])

    def breaking() -> subprocess.CompletedProcess[str]:
        command = ["bash", str(clone / "tools" / "breaking.sh"), venv]
        return subprocess.run(command, cwd=clone, capture_output=True, text=True, timeout=300, check=False)

    fine = breaking()
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "buf breaking --against .git#tag=v0.10.0" in fine.stdout
    proto = clone / "proto" / "didmeta" / "v1" / "did.proto"
    text = proto.read_text()
    field = "  google.protobuf.Timestamp created_at = 14;\n"
    assert field in text
    proto.write_text(text.replace(field, ""))
    broken = breaking()
    assert broken.returncode != 0 and "created_at" in broken.stdout + broken.stderr, broken.stdout
