"""A smoke run of the benchmark suite at a tiny size: it runs end to end and reports every scenario.

Figures at this size mean nothing; `make bench` measures. The Rucio peer (its own venv, installed from
PyPI on first use) is left to `make bench`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.backends import REPO_ROOT


def test_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--n",
            "2000",
            "--repeat",
            "1",
            "--db",
            "sqlite",
            "--scenarios",
            "load,memory,list,filter,summary,unary",
            "--unary-calls",
            "200",
            "--out",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
        ],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    document = json.loads(out.read_text())
    scenarios = {r["scenario"] for r in document["results"]}
    assert {"load", "memory", "list", "filter", "summary", "unary"} <= scenarios
    assert not document.get("errors"), document["errors"]
    listed = [r for r in document["results"] if r["scenario"] == "list" and r.get("rate")]
    assert listed and all(r["rate"] > 0 for r in listed)
    assert any(r.get("ratio") for r in document["results"]), "ratios to same-run baselines are reported"


def test_partitioning_bench_smoke(tmp_path: Path) -> None:
    """bench.partitioning end to end on PostgreSQL at a tiny size: both layouts, every case, the deletes."""
    out = tmp_path / "partitioning.json"
    arguments = ["--n", "3000", "--partitions", "4", "--repeat", "1", "--out", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "bench.partitioning", *arguments, "--workdir", str(tmp_path / "work")],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    document = json.loads(out.read_text())
    assert all(r["rows"] == r["rows_partitioned"] and r["ratio_total"] > 0 for r in document["results"])
    assert {"mc23", "user.bench"} == set(document["deletes"])
    assert len(document["layout"]["hash4"]["rows"]) <= 3 and not document["layout"]["plain"]["rows"].keys() - {"dids"}
