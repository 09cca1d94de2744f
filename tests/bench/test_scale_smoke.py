"""A smoke run of the growth benchmark (`bench.scale`) at two tiny sizes, then a resumed run.

Both catalogues go through LoadDids into a real PostgreSQL; the document must hold every case for both
sizes with the same rows where the data set's shape says so. A second run with `--reuse` on the same
workdir starts the cluster again with its data (`postgres.sh resume`) and must not load anything: its load
figures are the first run's. The figures at these sizes mean little; docs/scale.md quotes 1M vs 10M.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.scale import RULES
from tests.bench.runner import run_bench

SIZES = (3000, 9000)
ARGUMENTS = ["--sizes", ",".join(map(str, SIZES)), "--repeat", "1", "--call-dids", "4000", "--get-calls", "40"]


@pytest.fixture
def cluster_files(tmp_path: Path) -> Iterator[None]:
    """The cluster's files outlive the runs (`postgres.sh halt`); where they went, removed after the test."""
    yield
    run = tmp_path / "work" / "pg" / "run"
    if run.is_symlink():  # the files are in /tmp when the postgres user cannot enter tmp_path
        shutil.rmtree(run.resolve(), ignore_errors=True)


@pytest.mark.usefixtures("cluster_files")
def test_scale_smoke_and_resume(tmp_path: Path) -> None:
    first = run_bench("bench.scale", ARGUMENTS, tmp_path, timeout=300)
    labels = {f"n{n}" for n in SIZES}
    assert set(first["catalogues"]) == labels
    for label, catalogue in first["catalogues"].items():
        load = catalogue["load"]
        assert load["created"] == catalogue["n"], label
        assert load["dids_per_s"] > 0 and load["database_bytes"] > 0
        assert [mark[0] for mark in load["marks"]] == sorted(mark[0] for mark in load["marks"])
        assert catalogue["plans"]["filter_indexed"], "ExplainDids gave no plan"
    results = {row["case"]: row for row in first["results"]}
    assert set(results) == set(RULES)
    for row in results.values():
        assert set(row["median"]) == labels
        assert all(value >= 0 for value in row["median"].values())
    small, large = (f"n{n}" for n in SIZES)
    # the same container tree and the same one-DID JSON match at every size; more DIDs where the scope grows
    assert results["recursive_container"]["rows"][small] == results["recursive_container"]["rows"][large] > 1
    assert results["filter_json_selective_first_batch"]["rows"][small] >= 1
    assert results["list_short_main_scope"]["rows"][large] > results["list_short_main_scope"]["rows"][small]
    assert results["count_json"]["rows"] == results["filter_json_rate"]["rows"]

    second = run_bench("bench.scale", [*ARGUMENTS, "--reuse"], tmp_path, timeout=300)
    for label, catalogue in second["catalogues"].items():
        assert catalogue["load"]["reused"] is True, label
        assert catalogue["load"]["seconds"] == first["catalogues"][label]["load"]["seconds"]
    rows = {row["case"]: row["rows"] for row in second["results"]}
    assert rows == {row["case"]: row["rows"] for row in first["results"]}
