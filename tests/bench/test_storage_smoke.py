"""A smoke run of the storage benchmark (`bench.storage`) at a tiny size on SQLite and PostgreSQL.

It loads through LoadDids into real servers and checks the JSON document's fields; the figures at
this size mean little (fixed per-database overhead is a large share). `docs/scale.md` quotes runs
at 100k-1M DIDs.
"""

from __future__ import annotations

from pathlib import Path

from tests.bench.runner import run_bench

RESULT_FIELDS = {
    "backend",
    "n",
    "store",
    "load_s",
    "load_rate",
    "total_bytes",
    "bytes_per_did",
    "parts",
    "rows",
    "catalogue_bytes",
    "extra",
}
PART_FIELDS = {
    "name",
    "table_bytes",
    "index_bytes",
    "toast_bytes",
    "other_bytes",
    "total_bytes",
    "bytes_per_did",
    "indexes",
}


def test_storage_smoke(tmp_path: Path) -> None:
    document = run_bench("bench.storage", ["--n", "2000", "--db", "sqlite,postgres"], tmp_path, timeout=300)
    assert {"settings", "results", "flatness", "errors", "notes"} <= set(document)
    assert not document["errors"], document["errors"]
    assert document["settings"]["sizes"] == [2000]
    results = document["results"]
    assert {(r["backend"], r["n"]) for r in results} == {(b, n) for b in ("sqlite", "postgres") for n in (2000,)}
    for result in results:
        assert set(result) >= RESULT_FIELDS, result.keys()
        assert result["store"] == "catalogue"
        assert result["total_bytes"] > 0
        assert result["bytes_per_did"] > 0
        assert result["bytes_per_did"] == round(result["total_bytes"] / result["n"], 1)
        assert result["rows"]["dids"] == result["n"]
        assert result["rows"]["contents"] == result["n"] - _containers(result["n"])  # every non-container has a parent
        names = {p["name"] for p in result["parts"]}
        assert {"dids", "contents"} <= names, names
        for part in result["parts"]:
            assert set(part) >= PART_FIELDS
            assert part["total_bytes"] >= 0
        dids = next(p for p in result["parts"] if p["name"] == "dids")
        assert dids["table_bytes"] > 0 and dids["index_bytes"] > 0
        assert 0 < sum(dids["indexes"].values()) <= dids["index_bytes"], dids["indexes"]  # main forks
    postgres = [r for r in results if r["backend"] == "postgres"]
    assert all(r["extra"]["database_bytes"] >= r["total_bytes"] for r in postgres)
    flat = {f["backend"]: f for f in document["flatness"]}
    assert set(flat) == {"sqlite", "postgres"}
    assert all(f["sizes"] == [2000] and f["ratio"] > 0 for f in flat.values())


def _containers(n: int) -> int:
    from bench.data import Shape

    return Shape.of(n).containers
