"""`didmeta did list ... --output FILE`: Parquet, Arrow and CSV files read back, typed columns, limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from didmeta.client import NewDid
from tests.integration.test_cli import ok, run
from tests.support.server import ServerProcess

WHEN = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


@pytest.fixture(scope="module")
def arrow_server(make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]) -> ServerProcess:
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text"})
    with server.client(timeout=60) as client:
        client.add_scope("ar")
        client.add_dids(
            NewDid(f"ar:ds.{i:02d}", "dataset", metadata={"run": i, "energy": i / 2, "tag": f"t{i % 3}", "when": WHEN})
            for i in range(12)
        )
    return server


def test_parquet_file_reads_back_typed(arrow_server: ServerProcess, tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    out = ok(
        run(
            arrow_server,
            tmp_path,
            f"did list ar:* --filter run>=3 --key run --key energy --key tag --key when --output {path}",
        )
    )
    assert "9 DIDs written" in out
    table = pq.read_table(path)
    assert table.column("name").to_pylist() == [f"ds.{i:02d}" for i in range(3, 12)]
    assert table.schema.field("run").type == pa.int64()
    assert table.schema.field("energy").type == pa.float64()
    assert table.schema.field("when").type == pa.timestamp("us", tz="UTC")
    assert table.column("run").to_pylist() == list(range(3, 12))
    assert table.column("energy").to_pylist() == [i / 2 for i in range(3, 12)]
    assert set(table.column("when").to_pylist()) == {WHEN}
    assert set(table.column("type").to_pylist()) == {"DATASET"}


def test_arrow_and_csv_files_with_limit(arrow_server: ServerProcess, tmp_path: Path) -> None:
    arrow_path, csv_path = tmp_path / "out.arrow", tmp_path / "out.csv"
    ok(run(arrow_server, tmp_path, f"did list ar:* --key tag --limit 5 --output {arrow_path}"))
    with pa.OSFile(str(arrow_path), "rb") as source:
        table = pa.ipc.open_file(source).read_all()
    assert table.column("name").to_pylist() == [f"ds.{i:02d}" for i in range(5)]
    ok(run(arrow_server, tmp_path, f"did list ar:ds.0* --key tag --output {csv_path}"))
    rows = pcsv.read_csv(csv_path).to_pylist()
    assert [r["name"] for r in rows] == [f"ds.{i:02d}" for i in range(10)]
    assert [r["tag"] for r in rows] == [f"t{i % 3}" for i in range(10)]


def test_unknown_suffix_is_refused(arrow_server: ServerProcess, tmp_path: Path) -> None:
    result = run(arrow_server, tmp_path, f"did list ar:* --output {tmp_path / 'out.xlsx'}")
    assert result.returncode != 0
    assert "--output" in result.stderr and not (tmp_path / "out.xlsx").exists()


def test_docs_polars_group_by(arrow_server: ServerProcess) -> None:
    """The worked example of docs/arrow.md: a filter, a table, a polars group-by."""
    import polars as pl

    with arrow_server.client(timeout=60) as client:
        table = client.list_dids_table("ar", "run>=3", type="dataset", metadata_keys=["tag", "energy"])
    summary = (
        pl.DataFrame(table)
        .group_by("tag")
        .agg(pl.len().alias("datasets"), pl.col("energy").mean().alias("mean_energy"))
        .sort("tag")
    )
    assert summary.to_dicts() == [
        {"tag": "t0", "datasets": 3, "mean_energy": (3 + 6 + 9) / 2 / 3},
        {"tag": "t1", "datasets": 3, "mean_energy": (4 + 7 + 10) / 2 / 3},
        {"tag": "t2", "datasets": 3, "mean_energy": (5 + 8 + 11) / 2 / 3},
    ]
    assert table.column("name")[0].as_py() == "ds.03"


def test_arrow_messages_are_cut_by_bytes(
    make_catalogue_url: Callable[[str], str], start_server: Callable[..., ServerProcess]
) -> None:
    """max_batch_bytes bounds Arrow messages as it bounds DID batches; nothing lost or repeated."""
    cap = 64 * 1024
    server = start_server({"database": make_catalogue_url("sqlite"), "log_format": "text", "max_batch_bytes": cap})
    with server.client(timeout=60) as client:
        client.add_scope("big")
        client.add_dids(NewDid(f"big:{'x' * 180}.{i:05d}", "file") for i in range(2000))
        sizes = [
            len(r.batch.arrow_ipc) for r in client.list_dids_batches("big", type="all", batch_size=5000, arrow=True)
        ]
        table = client.list_dids_table("big", type="all", batch_size=5000)
        expected = list(client.list_dids("big", type="all"))
    assert len(sizes) > 2 and max(sizes) <= cap
    assert [f"big:{n}" for n in table.column("name").to_pylist()] == expected
