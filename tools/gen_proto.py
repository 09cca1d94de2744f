"""Generate the Python code of the didmeta contract.

Usage: python tools/gen_proto.py [OUT_DIR]   (default: gen/python)

Runs grpcio-tools' embedded protoc over proto/didmeta/v1/*.proto and writes
`*_pb2.py`, typed `*_pb2.pyi` and `*_pb2_grpc.py` (+ `.pyi` from mypy-protobuf)
under OUT_DIR/didmeta/v1/. The tests call this into a temporary directory and
compare with the committed copy, so a stale gen/python fails the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "proto"
PACKAGE_DIR = Path("didmeta") / "v1"
INIT_TEXT = '"""Generated protobuf and gRPC code of the didmeta.v1 contract (do not edit)."""\n'


def generate(out_dir: Path) -> list[Path]:
    """Generate into out_dir and return the files written."""
    target = out_dir / PACKAGE_DIR
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / PACKAGE_DIR).glob("*.proto"))
    # mypy-protobuf's protoc plugins live next to the interpreter: name them, so that the tool
    # works without an activated virtual environment (PATH without .venv/bin).
    scripts = Path(sys.executable).parent
    plugins = [
        f"--plugin=protoc-gen-{name}={scripts / f'protoc-gen-{name}'}"
        for name in ("mypy", "mypy_grpc")
        if (scripts / f"protoc-gen-{name}").exists()
    ]
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        *plugins,
        f"-I{PROTO_ROOT}",
        f"--python_out={out_dir}",
        f"--mypy_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        *protos,
    ]
    subprocess.run(command, check=True, cwd=PROTO_ROOT)
    (target / "__init__.py").write_text(INIT_TEXT)
    (target / "py.typed").write_text("")
    return sorted(target.iterdir())


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "gen" / "python"
    for path in generate(out_dir):
        print(path.relative_to(out_dir))


if __name__ == "__main__":
    main()
