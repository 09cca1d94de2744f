"""The contract: proto lint, generated Python code up to date, and the fast protobuf backend."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "gen" / "python" / "didmeta" / "v1"
VENV_BIN = Path(sys.executable).parent


def _user_environment() -> dict[str, str]:
    """The environment of someone who runs `.venv/bin/python tools/gen_proto.py` without activating the venv."""
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p).resolve() != VENV_BIN.resolve()]
    return {**os.environ, "PATH": os.pathsep.join(path)}


def test_buf_lint_passes() -> None:
    buf = VENV_BIN / "buf"
    assert buf.exists(), "buf is a dev dependency (buf-bin); run tools/setup_venv.sh"
    result = subprocess.run([str(buf), "lint"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "gen_proto.py"), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_user_environment(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    fresh = tmp_path / "didmeta" / "v1"
    fresh_files = sorted(p.name for p in fresh.iterdir() if p.is_file())
    committed_files = sorted(p.name for p in GENERATED.iterdir() if p.is_file() and p.suffix != ".pyc")
    assert fresh_files == committed_files, "gen/python is stale: run `make proto`"
    _, mismatch, errors = filecmp.cmpfiles(fresh, GENERATED, fresh_files, shallow=False)
    assert not mismatch and not errors, f"gen/python is stale ({mismatch or errors}): run `make proto`"


def test_every_proto_file_has_generated_modules() -> None:
    for proto in (REPO / "proto" / "didmeta" / "v1").glob("*.proto"):
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            assert (GENERATED / f"{proto.stem}{suffix}").is_file(), f"{proto.name}: no {proto.stem}{suffix}"


def test_protobuf_backend_is_upb() -> None:
    from google.protobuf.internal import api_implementation

    assert api_implementation.Type() == "upb"


def test_services_in_the_generated_code_match_the_proto() -> None:
    from didmeta.v1 import did_service_pb2, metadata_service_pb2

    did_service = did_service_pb2.DESCRIPTOR.services_by_name["DidService"]
    metadata_service = metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"]
    assert did_service.full_name == "didmeta.v1.DidService"
    assert metadata_service.full_name == "didmeta.v1.MetadataService"
    list_dids = metadata_service.methods_by_name["ListDids"]
    assert list_dids.server_streaming and not list_dids.client_streaming
    load = metadata_service.methods_by_name["LoadDids"]
    assert load.client_streaming and not load.server_streaming


def _buf_breaking(module: Path, against: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "buf"), "breaking", str(module), "--against", str(against)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _module_copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(REPO / "proto", target / "proto")
    shutil.copy(REPO / "buf.yaml", target / "buf.yaml")
    return target


def test_buf_breaking_passes_against_itself_and_catches_a_break(tmp_path: Path) -> None:
    """The breaking-change check is wired up: an unchanged contract passes, a changed field type fails."""
    base = _module_copy(tmp_path, "base")
    same = _module_copy(tmp_path, "same")
    assert _buf_breaking(same, base).returncode == 0
    changed = _module_copy(tmp_path, "changed")
    proto = changed / "proto" / "didmeta" / "v1" / "metadata_service.proto"
    proto.write_text(proto.read_text().replace("int64 limit = 6;", "int32 limit = 6;"))
    result = _buf_breaking(changed, base)
    assert result.returncode != 0
    assert "limit" in result.stdout + result.stderr


def test_buf_breaking_against_the_committed_contract() -> None:
    """The working tree's contract is compatible with the last commit's (a no-op on a clean checkout)."""
    assert (REPO / ".git").exists(), "the contract test needs the git checkout"
    result = _buf_breaking(REPO, ".git#ref=HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
