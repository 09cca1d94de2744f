"""A smoke run of `bench.elastic_cluster` at a tiny size: one OpenSearch node and a 3-node cluster, end to end.

It starts four real OpenSearch nodes (like tests/plugins/test_elastic_cluster.py) and loads through LoadDids
into both layouts; the figures at this size mean little. `make bench-elastic-cluster` measures at 1M DIDs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.runner import run_bench

# Four JVMs starting at once on a busy 2-core machine can take minutes (about one on an idle one).
pytestmark = pytest.mark.timeout(900)


def test_elastic_cluster_bench_smoke(tmp_path: Path) -> None:
    arguments = ["--n", "3000", "--repeat", "1", "--unary-calls", "200", "--unary-seconds", "10"]
    document = run_bench("bench.elastic_cluster", arguments, tmp_path, timeout=840)
    layouts = document["layouts"]
    assert set(layouts) == {"single", "cluster"}
    assert (layouts["single"]["shards"], layouts["single"]["replicas"]) == (1, 0)
    assert (layouts["cluster"]["shards"], layouts["cluster"]["replicas"]) == (3, 1)
    cluster_shards = layouts["cluster"]["index"]["shards"]
    assert len({s["node"] for s in cluster_shards}) == 3 and all(s["state"] == "STARTED" for s in cluster_shards)
    for layout in layouts.values():
        assert layout["load"]["dids"] == 3000 and layout["load"]["dids_per_s"] > 0
        assert layout["writes"]["acknowledged"] > 0
        assert layout["writes"]["read_back"] == layout["writes"]["acknowledged"]
    assert not document["errors"], document["errors"]
    results = {row["case"]: row for row in document["results"]}
    assert {"load", "filter_eq_small_scope", "count_json_small_scope", "get_metadata_c16", "set_metadata_c16"} <= set(
        results
    )
    for row in results.values():
        assert all(value > 0 for value in row["median"].values()), row
        assert row["ratio_cluster_to_single"] > 0
    listed = [row for row in results.values() if "rows" in row]
    assert len(listed) == 5 and all(row["rows"] > 0 for row in listed)  # equal in both layouts, or the run fails
