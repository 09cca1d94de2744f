"""ghz (a Go gRPC load generator) as a second unary client, so that the client does not hide the server's limit.

ghz cannot use the Python server's reflection for methods (shared/notes/toolchain.md section 6), so it
gets a protoset: a FileDescriptorSet written from the same generated descriptors the server uses
(MetadataService and grpc.health.v1 with their imports). The requests are a JSON array that ghz sends
round-robin; `-n` bounds the calls exactly, `--connections` spreads them over several HTTP/2
connections (with worker processes the kernel balances connections, not calls: docs/deployment.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.json_format import MessageToDict

from bench.procs import REPO_ROOT

#: Full gRPC method names ghz calls, by the bench's method label.
METHODS = {
    "Health.Check": "grpc.health.v1.Health/Check",
    "GetMetadata": "didmeta.v1.MetadataService/GetMetadata",
    "SetMetadata": "didmeta.v1.MetadataService/SetMetadata",
}


def find_ghz() -> str | None:
    """The ghz binary: on PATH, or where tools/toolchain.sh installs it."""
    found = shutil.which("ghz")
    if found:
        return found
    try:
        done = subprocess.run(
            ["bash", str(REPO_ROOT / "tools" / "toolchain.sh"), "bin"], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    candidate = Path(done.stdout.strip()) / "ghz"
    return str(candidate) if done.returncode == 0 and candidate.is_file() else None


def write_protoset(path: Path) -> Path:
    """A FileDescriptorSet with the MetadataService and Health files and everything they import."""
    from grpc_health.v1 import health_pb2

    from didmeta.v1 import metadata_service_pb2

    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}

    def add(descriptor: FileDescriptor) -> None:
        if descriptor.name in files:
            return
        for dependency in descriptor.dependencies:
            add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        descriptor.CopyToProto(proto)
        files[descriptor.name] = proto

    add(metadata_service_pb2.DESCRIPTOR)
    add(health_pb2.DESCRIPTOR)
    path.write_bytes(descriptor_pb2.FileDescriptorSet(file=list(files.values())).SerializeToString())
    return path


@dataclass
class GhzRun:
    calls: int
    seconds: float
    rps: float
    p50_s: float
    p99_s: float
    errors: int
    statuses: dict[str, int]


def run(
    ghz: str,
    protoset: Path,
    target: str,
    method: str,
    requests: Sequence[Any],
    concurrency: int,
    calls: int,
    workdir: Path,
    connections: int = 1,
) -> GhzRun:
    """`calls` calls of `method` at `concurrency` over `connections` connections; ghz's own timings."""
    data = workdir / f"ghz-{method}.json"
    data.write_text(json.dumps([MessageToDict(r, preserving_proto_field_name=True) for r in requests]))
    command = [
        ghz,
        "--insecure",
        "--protoset",
        str(protoset),
        "--call",
        METHODS[method],
        "--data-file",
        str(data),
        "-c",
        str(concurrency),
        "-n",
        str(calls),
        "--connections",
        str(min(connections, concurrency)),
        "--timeout",
        "30s",
        "-O",
        "json",
        target,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 and not done.stdout.strip().startswith("{"):
        raise RuntimeError(f"ghz failed ({done.returncode}): {done.stderr.strip()[:500]}")
    report = json.loads(done.stdout)
    percentiles = {p["percentage"]: p["latency"] / 1e9 for p in report.get("latencyDistribution") or []}
    statuses = {str(k): int(v) for k, v in (report.get("statusCodeDistribution") or {}).items()}
    return GhzRun(
        calls=int(report["count"]),
        seconds=report["total"] / 1e9,
        rps=float(report["rps"]),
        p50_s=percentiles.get(50, 0.0),
        p99_s=percentiles.get(99, 0.0),
        errors=sum(v for k, v in statuses.items() if k != "OK"),
        statuses=statuses,
    )
