"""A smoke run of the benchmark suite at a tiny size: it runs end to end and reports every scenario.

Figures at this size mean nothing; `make bench` measures. The Rucio peer (its own venv, installed from
PyPI on first use) is left to `make bench`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import report
from tests.bench.runner import run_bench


def test_bench_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = "load,memory,list,filter,summary,unary"
    arguments = ["--n", "2000", "--repeat", "1", "--db", "sqlite", "--scenarios", scenarios, "--unary-calls", "200"]
    document = run_bench("bench.run", arguments, tmp_path, timeout=600)
    assert {"load", "memory", "list", "filter", "summary", "unary"} <= {r["scenario"] for r in document["results"]}
    assert not document.get("errors"), document["errors"]
    listed = [r for r in document["results"] if r["scenario"] == "list" and r.get("rate")]
    assert listed and all(r["rate"] > 0 for r in listed)
    assert any(r.get("ratio") for r in document["results"]), "ratios to same-run baselines are reported"
    small = [r for r in document["results"] if r["scenario"] == "unary" and r["name"].startswith("ListDids small")]
    assert small and all(r["extra"]["server_cpu_us_per_call"] > 0 and r["ratio"] > 0 for r in small)
    unary = [r["extra"] for r in document["results"] if r["scenario"] == "unary" and "(sync)" not in r["name"]]
    # who kept the cores busy: the machine as a whole (some of a core at least: server and client ran), the
    # load generator (this process's Python client)
    assert unary and all(0.05 < e["machine_cores_busy"] <= (os.cpu_count() or 1) + 0.5 for e in unary), unary
    assert all(e["client_cpu_us_per_call"] > 0 for e in unary)
    # `python -m bench.report FILE` prints the results file's tables, the measurements and the target verdicts
    results_file = tmp_path / "results.json"
    results_file.write_text(json.dumps(document))
    report.main([str(results_file)])
    printed = capsys.readouterr().out
    assert "| target | db | wanted | measured | verdict |" in printed
    assert "| ListDids short rate | sqlite | >= 500k DIDs/s |" in printed


def test_token_callers_bench_smoke(tmp_path: Path) -> None:
    """bench.token_callers end to end with few calls: every case measured, against the floor."""
    document = run_bench("bench.token_callers", ["--calls", "300", "--repeat", "1"], tmp_path, timeout=300)
    names = {"Health.Check", "GetMetadata (alice)", "ListDids small (alice)", "SetMetadata (alice)"}
    assert names | {f"{n} + an embargo" for n in names - {"Health.Check"}} == set(document["summary"])
    assert all(s["rate"] > 0 and s["server_cpu_us_per_call"] > 0 for s in document["summary"].values())
    assert document["summary"]["Health.Check"]["ratio"] == 1.0


def test_partitioning_bench_smoke(tmp_path: Path) -> None:
    """bench.partitioning end to end on PostgreSQL at a tiny size: both layouts, every case, the deletes, and
    the `work_mem` it was asked for seen by a new session."""
    arguments = ["--n", "3000", "--partitions", "4", "--repeat", "1", "--work-mem", "24MB"]
    document = run_bench("bench.partitioning", arguments, tmp_path, timeout=600)
    assert all(r["rows"] == r["rows_partitioned"] and r["ratio_total"] > 0 for r in document["results"])
    assert {"mc23", "user.bench"} == set(document["deletes"])
    assert len(document["layout"]["hash4"]["rows"]) <= 3 and not document["layout"]["plain"]["rows"].keys() - {"dids"}
    assert document["postgres"] == {"work_mem": "24MB"}
    assert document["machine"]["loadavg_start"] and document["machine"]["cores"] >= 1


def test_pg_jit_bench_smoke(tmp_path: Path) -> None:
    """bench.pg_jit end to end at a tiny size: every case with jit on and off, the same rows both ways, and the
    EXPLAIN ANALYZE of each value (PostgreSQL reports JIT only when it is on and the plan is costly enough, so
    the lines checked are the timings every plan has)."""
    document = run_bench("bench.pg_jit", ["--n", "3000", "--repeat", "2"], tmp_path, timeout=600)
    assert {row["case"] for row in document["results"]} == {
        "list_short_main_scope",
        "list_short_small_scope",
        "filter_json_eq_small_scope",
        "filter_column_eq_main_scope",
    }
    for row in document["results"]:
        assert row["rows"] == row["rows_off"] and len(row["first_s"]["on"]) == len(row["first_s"]["off"]) == 2
        assert row["ratio_first_off_on"] > 0 and row["ratio_total_off_on"] > 0
    assert document["results"][0]["rows"] > 0
    for value in ("on", "off"):
        assert any(line.startswith("Execution Time") for line in document["explain_analyze"][value])


def test_embargo_lookups_bench_smoke(tmp_path: Path) -> None:
    """bench.embargo_lookups end to end at a tiny size on both databases: every case timed both ways (the bench
    fails if the two ways find different DIDs)."""
    document = run_bench("bench.embargo_lookups", ["--files", "2000", "--repeat", "2"], tmp_path, timeout=600)
    cases = {(row["db"], row["case"]) for row in document["results"]}
    assert {db for db, _ in cases} == {"sqlite", "postgres"} and len(cases) == 6
    assert all(min(row["median_ms"].values()) > 0 and row["ratio_down_to_up"] > 0 for row in document["results"])


def test_loop_write_bench_smoke(tmp_path: Path) -> None:
    """bench.loop_write end to end at a small size: both ways timed in every repetition (the bench fails if a
    write does not update its DID). 250 calls a repetition take the loop's writer past the checkpoint thread's
    200 writes, whose turn refuses loop writes for a moment: the bench makes those the worker thread's way."""
    arguments = ["--files", "50", "--calls", "250", "--repeat", "2"]
    document = run_bench("bench.loop_write", arguments, tmp_path, timeout=300)
    result = document["result"]
    assert {name: len(values) for name, values in result["median_us_per_repetition"].items()} == {
        "loop": 2,
        "thread": 2,
    }
    assert all(value > 0 for value in result["median_us"].values()) and result["ratio_thread_to_loop"] > 0
    assert {name: len(counts) for name, counts in result["not_taken_by_loop_per_repetition"].items()} == {
        "loop": 2,
        "thread": 2,
    }


def test_load_stages_bench_smoke(tmp_path: Path) -> None:
    """bench.load_stages end to end at a small size: both collectors timed in every repetition, every stage
    measured (a child fails if a chunk does not create all its DIDs), and each child with the collector it
    names: Python's thresholds, or the server's young threshold with far fewer passes."""
    document = run_bench("bench.load_stages", ["--dids", "6000", "--repeat", "2"], tmp_path, timeout=300)
    result = document["result"]
    runs = result["runs"]
    assert {collector: len(values) for collector, values in runs.items()} == {"python": 2, "server": 2}
    assert all(min(run["us_per_did"].values()) > 0 for values in runs.values() for run in values)
    assert all(run["thresholds"] == [700, 10, 10] for run in runs["python"])
    assert all(run["thresholds"] == [10_000, 10, 10] for run in runs["server"])
    fewest_python = min(run["collector_passes"][0] for run in runs["python"])
    assert all(run["collector_passes"][0] < fewest_python for run in runs["server"])
    assert result["ratio_python_to_server"] > 0


def test_worker_memory_bench_smoke(tmp_path: Path) -> None:
    """bench.worker_memory end to end at a small size: both ways measured after start and after the calls,
    for each of the two workers (the bench fails unless the server runs exactly two), every size above 0."""
    document = run_bench("bench.worker_memory", ["--calls", "50", "--repeat", "1"], tmp_path, timeout=300)
    result = document["result"]
    assert {way: len(runs) for way, runs in result["runs"].items()} == {"server": 1, "python": 1}
    for runs in result["runs"].values():
        for phase in ("after_start", "after_calls"):
            assert len(runs[0][phase]) == 2
            assert all(sizes["Rss"] > sizes["Private_Dirty"] > 0 for sizes in runs[0][phase])
    assert result["ratio_private_python_to_server"] > 0


def test_sqlite_checkpoints_bench_smoke(tmp_path: Path) -> None:
    """bench.sqlite_checkpoints end to end at a tiny size (past one checkpoint of the thread): both ways timed
    in every repetition, every write made (the bench fails if one does not update its DID)."""
    args = ["--files", "50", "--calls", "450", "--repeat", "2"]
    document = run_bench("bench.sqlite_checkpoints", args, tmp_path, timeout=300)
    result = document["result"]
    assert {name: len(runs) for name, runs in result["repetitions"].items()} == {"thread": 2, "loop": 2}
    assert all(m["median_us"] > 0 and m["wal_mb"] > 0 for m in result["medians"].values())
    assert result["ratio_loop_to_thread"]["median_us"] > 0


def test_sqlite_lines_bench_smoke(tmp_path: Path) -> None:
    """bench.sqlite_lines end to end at a tiny size: every way timed in every repetition (the bench fails if
    the CSV lines and the row tuples fetch different numbers of rows)."""
    document = run_bench("bench.sqlite_lines", ["--files", "300", "--repeat", "2"], tmp_path, timeout=300)
    result = document["result"]
    assert len(result["seconds_per_repetition"]) == 6
    assert all(len(values) == 2 for values in result["seconds_per_repetition"].values())
    assert set(result["ratio_rows_to_lines"]) == {"short", "+4 keys"}
    assert result["ratio_three_functions_to_arrow"] > 0


def test_json_columns_bench_smoke(tmp_path: Path) -> None:
    """bench.json_columns end to end on small batches: every key typed both ways (the bench fails if the
    kernels' column differs from the decoded one)."""
    document = run_bench("bench.json_columns", ["--rows", "200", "--repeat", "3"], tmp_path, timeout=300)
    result = document["result"]
    assert len(result) == 5 and all(row["kernels_us"] > 0 and row["decoded_us"] > 0 for row in result.values())
    assert {row["type"] for row in result.values()} == {"int64", "double", "string", "timestamp[us, tz=UTC]"}


def test_pg_point_drivers_bench_smoke(tmp_path: Path) -> None:
    """bench.pg_point_drivers end to end at a tiny size: the server's asyncpg path and psycopg's
    AsyncConnection timed in every repetition (the bench fails if they give different metadata)."""
    document = run_bench(
        "bench.pg_point_drivers", ["--files", "50", "--calls", "40", "--repeat", "2"], tmp_path, timeout=300
    )
    results = document["results"]
    assert {name: len(results[name]["cpu_us"]) for name in ("psycopg", "asyncpg")} == {"psycopg": 2, "asyncpg": 2}
    assert results["psycopg"]["median_cpu_us"] > 0 and results["ratio_cpu_psycopg_to_asyncpg"] > 0


def test_pg_set_paths_bench_smoke(tmp_path: Path) -> None:
    """bench.pg_set_paths end to end at a tiny size: GetMetadata and both SetMetadata ways timed in every
    repetition (the bench fails if a write is not taken by the event loop or misses its history rows)."""
    document = run_bench(
        "bench.pg_set_paths", ["--files", "50", "--calls", "40", "--repeat", "2"], tmp_path, timeout=300
    )
    results = document["results"]
    ways = ("get", "set one statement", "set optimistic")
    assert {name: len(results[name]["cpu_us"]) for name in ways} == dict.fromkeys(ways, 2)
    assert all(results[name]["median_wall_us"] > 0 and results[name]["median_cpu_us"] > 0 for name in ways)
    assert results["ratio_cpu_optimistic_to_one_statement"] > 0


def test_bulk_answers_bench_smoke(tmp_path: Path) -> None:
    """bench.bulk_answers end to end on a small batch and on one over the byte cap: every way timed (the bench
    fails if the ways build different answers)."""
    for dids, messages in (("50", 1), ("6000", 2)):
        document = run_bench(
            "bench.bulk_answers", ["--dids", dids, "--keys", "8", "--repeat", "3"], tmp_path, timeout=300
        )
        result = document["result"]
        assert result["messages"] == messages
        assert all(result[f"{way}_us"] > 0 for way in ("floor", "current", "measured_per_item", "encode"))


def test_unary_bench_postgres_scheduling(tmp_path: Path) -> None:
    """On PostgreSQL the unary results carry the cluster's processes' CPU and their wait for a core per call
    (/proc schedstat of the postmaster's tree): a call that reaches the database costs it CPU, Health.Check
    does not reach it."""
    arguments = ["--n", "2000", "--repeat", "1", "--db", "postgres", "--scenarios", "unary", "--unary-calls", "200"]
    arguments += ["--unary-clients", "python", "--unary-workers", "1"]
    document = run_bench("bench.run", arguments, tmp_path, timeout=600)
    assert not document.get("errors"), document["errors"]
    unary = {r["name"]: r["extra"] for r in document["results"] if r["scenario"] == "unary"}
    for concurrency in (1, 16):
        floor, write = unary[f"Health.Check c={concurrency}"], unary[f"SetMetadata c={concurrency}"]
        assert write["database_cpu_us_per_call"] > 2 * floor["database_cpu_us_per_call"], (floor, write)
        assert write["database_runqueue_us_per_call"] >= 0 and write["server_runqueue_us_per_call"] >= 0
        assert len(write["database_runqueue_us_each"]) == len(write["p99_s_each"]) == 1
    if Path("/proc/sys/kernel/sched_autogroup_enabled").exists():
        assert document["machine"]["sched_autogroup"] in (0, 1)
