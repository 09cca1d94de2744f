"""Run one benchmark module (`python -m bench.X`) as the smoke tests do, and read its JSON document."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support.backends import REPO_ROOT


def run_bench(module: str, arguments: Sequence[str], tmp_path: Path, timeout: float) -> dict[str, Any]:
    """`python -m <module> ARGUMENTS --out F --workdir D` in the repository; it must exit 0; F's document."""
    out = tmp_path / f"{module.rsplit('.', 1)[-1]}.json"
    run = subprocess.run(
        [sys.executable, "-m", module, *arguments, "--out", str(out), "--workdir", str(tmp_path / "work")],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    document: dict[str, Any] = json.loads(out.read_text())
    return document
