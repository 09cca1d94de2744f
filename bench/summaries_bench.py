"""g. Summaries without fetching (issue 15): FacetDids and CountDids totals over the whole catalogue.

Measured in one run, on one backend, every DID of every scope (`*`, every type):
- `facet <key>`: `Client.facet_dids("*", "", [key])` for a DID_COLUMN column (datatype), a JSON key
  (data_format) and two histograms (run_number, energy), against, for `datatype`, a hand-written
  `SELECT datatype, count(*) ... GROUP BY datatype` on the same database (no network);
- `count totals`: `Client.count_totals("*")` (count, sum of bytes, sum of events) against a
  hand-written `SELECT count(*), sum(bytes), sum(events)`.
The target (report.py): a facet over one key of 1M DIDs under 1 s on PostgreSQL.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from bench.baselines import fetch_sql
from bench.procs import ServerProcess
from bench.report import Result
from bench.scenarios import Context
from didmeta.client import Client

FACETS: list[tuple[str, Any]] = [
    ("facet datatype", "datatype"),
    ("facet data_format", "data_format"),
    ("facet run_number:100", ("run_number", 100.0)),
    ("facet energy:1000", ("energy", 1000.0)),
]
#: Every scope: the summaries run over the whole catalogue (the target speaks of 1M DIDs).
SCOPES = "*"
_GROUP_BY = "SELECT datatype, count(*) FROM dids WHERE suppressed = {false} GROUP BY datatype"
_TOTALS = "SELECT count(*), sum(bytes), sum(events) FROM dids WHERE suppressed = {false}"


def _timed(run: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    seconds: list[float] = []
    answer: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = run()
        seconds.append(time.perf_counter() - start)
    return answer, seconds


def scenario_summaries(ctx: Context, server: ServerProcess, expected: int) -> None:
    false = "0" if ctx.db == "sqlite" else "false"
    with Client(server.target, timeout=None) as client:
        for name, spec in FACETS:
            with ctx.profile(server, name.replace(" ", "-").replace(":", "-")):
                run = functools.partial(client.facet_dids, SCOPES, "", [spec], type="all")
                answer, seconds = _timed(run, ctx.repeat)
            if answer.count != expected:
                ctx.report.errors.append(f"{ctx.backend} {name}: {answer.count} DIDs summarised, {expected} expected")
            extra: dict[str, Any] = {"distinct": answer.facets[0].distinct, "missing": answer.facets[0].missing}
            baseline = baseline_rate = None
            if name == "facet datatype":
                sql = _GROUP_BY.format(false=false)
                base = [fetch_sql(ctx.baseline_database, sql, ()) for _ in range(ctx.repeat)]
                median = sorted(b.total_s for b in base)[len(base) // 2]
                baseline, baseline_rate = "hand-written GROUP BY", (expected / median if median else None)
                extra.update(baseline_median_s=median, baseline_groups=base[0].rows)
                if base[0].rows != answer.facets[0].distinct + (1 if answer.facets[0].missing else 0):
                    ctx.report.errors.append(f"{ctx.backend} {name}: groups differ from the hand-written GROUP BY")
            ctx.report.add(
                Result("summary", ctx.backend, name, expected, seconds, "DIDs/s", baseline, baseline_rate, extra)
            )
        totals, seconds = _timed(lambda: client.count_totals(SCOPES, "", type="all"), ctx.repeat)
        if totals.count != expected:
            ctx.report.errors.append(f"{ctx.backend} count totals: {totals.count} DIDs, {expected} expected")
        sql = _TOTALS.format(false=false)
        base = [fetch_sql(ctx.baseline_database, sql, ()) for _ in range(ctx.repeat)]
        median = sorted(b.total_s for b in base)[len(base) // 2]
        ctx.report.add(
            Result(
                "summary",
                ctx.backend,
                "count totals",
                expected,
                seconds,
                baseline="hand-written SUM",
                baseline_rate=expected / median if median else None,
                extra={"bytes": totals.bytes, "events": totals.events, "baseline_median_s": median},
            )
        )
