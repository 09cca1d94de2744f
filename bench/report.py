"""Results: one record per measurement, the target checks, the stdout table and the JSON document."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Result:
    """One measured thing on one backend, repeated; `seconds` holds one wall time per repetition.

    `rows` is the work per repetition (DIDs, calls); the rate is rows / median seconds. A baseline
    measured in the same run is named in `baseline` and its rate is copied in `baseline_rate`.
    """

    scenario: str
    backend: str
    name: str
    rows: int
    seconds: list[float]
    unit: str = "DIDs/s"
    baseline: str | None = None
    baseline_rate: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def rate(self) -> float:
        return self.rows / self.median if self.seconds and self.median > 0 else float("nan")

    @property
    def ratio(self) -> float | None:
        if not self.baseline_rate or math.isnan(self.rate):
            return None
        return self.rate / self.baseline_rate

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            median_s=self.median,
            min_s=min(self.seconds) if self.seconds else None,
            max_s=max(self.seconds) if self.seconds else None,
            rate=self.rate,
            ratio=self.ratio,
        )
        return data


@dataclass
class Target:
    name: str
    backend: str
    wanted: str
    measured: str
    passed: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else "PASS" if self.passed else "MISS"


def _busy(one: Result, more: Result) -> str:
    """What kept the cores busy in the worker comparison: the machine's busy cores with one worker (the
    server's and the load generator's shares) and with more (bench/scenarios.py `UnarySample`)."""
    if "machine_cores_busy" not in one.extra or "machine_cores_busy" not in more.extra:
        return "machine load not recorded"  # results files before it was
    server = one.extra["server_cpu_us_per_call"] * one.rate / 1e6
    client = one.extra["client_cpu_us_per_call"] * one.rate / 1e6
    return (
        f"cores busy of {os.cpu_count()}: {one.extra['machine_cores_busy']:.2f} with one worker (server "
        f"{server:.2f}, load generator {client:.2f}), {more.extra['machine_cores_busy']:.2f} with more"
    )


class Report:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.results: list[Result] = []
        self.notes: list[str] = []
        self.errors: list[str] = []

    def add(self, result: Result, echo: bool = True) -> Result:
        self.results.append(result)
        if echo:
            print(format_row(result), flush=True)
        return result

    def find(self, scenario: str, backend: str, name: str) -> Result | None:
        for result in self.results:
            if (result.scenario, result.backend, result.name) == (scenario, backend, name):
                return result
        return None

    # --- targets --------------------------------------------------------------------------------
    def targets(self) -> list[Target]:
        out: list[Target] = []
        backends = sorted({r.backend for r in self.results if r.backend in ("sqlite", "postgres")})

        def check(
            name: str, backend: str, wanted: str, found: Result | None, measure: Callable[[Result], tuple[str, bool]]
        ) -> None:
            if found is None:
                out.append(Target(name, backend, wanted, "not measured", None))
                return
            text, ok = measure(found)
            out.append(Target(name, backend, wanted, text, ok))

        for b in backends:
            short = self.find("list", b, "short/batches")
            check(
                "ListDids short rate",
                b,
                ">= 500k DIDs/s",
                short,
                lambda r: (f"{r.rate / 1e3:,.0f}k DIDs/s", r.rate >= 500_000),
            )
            raw = self.find("list", b, "baseline raw SQL short")
            if short is not None and raw is not None:
                ratio = short.rate / raw.rate
                out.append(
                    Target("ListDids short vs raw SQL", b, ">= 50% of raw SQL", f"{100 * ratio:.0f}%", ratio >= 0.5)
                )
            check(
                "ListDids long rate",
                b,
                ">= 300k DIDs/s",
                self.find("list", b, "long/batches"),
                lambda r: (f"{r.rate / 1e3:,.0f}k DIDs/s", r.rate >= 300_000),
            )
            check(
                "server memory growth streaming",
                b,
                "< 100 MB",
                self.find("memory", b, "stream all, long"),
                lambda r: (f"{r.extra['growth_mb']:.1f} MB over {r.rows:,} DIDs", r.extra["growth_mb"] < 100),
            )
            eq = self.find("filter", b, "eq_column")
            check(
                "indexed equality first batch",
                b,
                "< 50 ms",
                eq,
                lambda r: (f"{1000 * r.extra['first_s_median']:.1f} ms", r.extra["first_s_median"] < 0.050),
            )
            check(
                "selective indexed equality first batch",
                b,
                "< 50 ms",
                self.find("filter", b, "eq_selective"),
                lambda r: (f"{1000 * r.extra['first_s_median']:.1f} ms", r.extra["first_s_median"] < 0.050),
            )
            check(
                "indexed equality total vs SQL",
                b,
                "<= 1.5x hand-written SQL",
                eq,
                lambda r: (
                    f"{r.median / r.extra['baseline_median_s']:.2f}x",
                    r.median <= 1.5 * r.extra["baseline_median_s"],
                ),
            )
            if b == "postgres":
                check(
                    "bulk load rate",
                    b,
                    ">= 50k DIDs/s",
                    self.find("load", b, "LoadDids"),
                    lambda r: (f"{r.rate / 1e3:,.1f}k DIDs/s", r.rate >= 50_000),
                )
            check(
                "GetMetadata p99 @16",
                b,
                "< 5 ms",
                self.find("unary", b, "GetMetadata c=16"),
                lambda r: (f"{1000 * r.extra['p99_s']:.2f} ms", r.extra["p99_s"] < 0.005),
            )
            check(
                "GetMetadata rate @64",
                b,
                ">= 5,000 req/s",
                self.find("unary", b, "GetMetadata c=64"),
                lambda r: (f"{r.rate:,.0f} req/s", r.rate >= 5000),
            )
            self._unary_targets(b, check, out)
            self._arrow_targets(b, check, out)
            if b == "postgres":
                check(
                    "facet over one key (datatype)",
                    b,
                    "< 1 s at 1M DIDs",
                    self.find("summary", b, "facet datatype"),
                    lambda r: (f"{r.median:.3f} s over {r.rows:,} DIDs", r.median < 1.0 and r.rows >= 1_000_000),
                )
            peers = [
                r
                for r in self.results
                if r.scenario == "peer" and r.backend == b and r.ratio is not None and r.extra.get("same_data")
            ]
            if peers:
                worst = min(peers, key=lambda r: r.ratio or 0.0)
                out.append(
                    Target(
                        "vs Rucio list_dids",
                        b,
                        ">= 10x Rucio",
                        f"{worst.ratio:.1f}x (worst: {worst.name})",
                        (worst.ratio or 0) >= 10,
                    )
                )
            else:
                out.append(Target("vs Rucio list_dids", b, ">= 10x Rucio", "not measured", None))
        return out

    # --- output -----------------------------------------------------------------------------------
    def _unary_targets(self, b: str, check: Callable[..., None], out: list[Target]) -> None:
        """Issue 13: unary calls near the Health.Check floor of the same server and client; worker processes."""
        for client in ("", " [ghz]"):
            for label in ("GetMetadata ALL", "GetMetadata", "SetMetadata"):
                for c in (16, 64):
                    found = self.find("unary", b, f"{label} c={c}{client}")
                    if found is None or found.ratio is None:
                        continue
                    ratio, p99 = found.ratio, found.extra.get("p99_vs_floor") or float("inf")
                    out.append(
                        Target(
                            f"{label} c={c}{client} vs Health.Check",
                            b,
                            ">= 50% req/s, p99 <= 2x",
                            f"{100 * ratio:.0f}%, p99 {p99:.1f}x ({found.rate:,.0f} req/s)",
                            ratio >= 0.5 and p99 <= 2,
                        )
                    )
        for c in (1, 16):  # issue 13: a listing of under 100 rows under 1 ms of server time
            check(
                f"ListDids small c={c} server CPU per call",
                b,
                "< 1 ms",
                self.find("unary", b, f"ListDids small c={c}"),
                lambda r: (
                    f"{r.extra['server_cpu_us_per_call']:,.0f} µs (p50 {1e3 * r.extra['p50_s']:.2f} ms)",
                    r.extra["server_cpu_us_per_call"] < 1000,
                ),
            )
        one = self.find("unary", b, "GetMetadata ALL c=64 [ghz]")
        for tag in sorted({str(r.extra.get("workers_tag")) for r in self.results if r.extra.get("workers_tag")}):
            check(
                f"GetMetadata ALL c=64 [ghz] {tag} vs one worker",
                b,
                ">= 1.5x",
                self.find("unary", b, f"GetMetadata ALL c=64 [ghz] [{tag}]"),
                lambda r: (
                    (
                        f"{r.rate / one.rate:.2f}x ({r.rate:,.0f} vs {one.rate:,.0f} req/s; {_busy(one, r)})",
                        r.rate >= 1.5 * one.rate,
                    )
                    if one is not None
                    else ("one worker not measured", False)
                ),
            )

    def _arrow_targets(self, b: str, check: Callable[..., None], out: list[Target]) -> None:
        """Issue 17: Arrow listings into a client-side pyarrow.Table (bench/arrow_bench.py)."""
        short = self.find("arrow", b, "arrow short/table")
        check(
            "Arrow listing rate",
            b,
            ">= 3M DIDs/s",
            short,
            lambda r: (f"{r.rate / 1e6:,.2f}M DIDs/s", r.rate >= 3_000_000),
        )
        check(
            "Arrow listing vs ADBC fetch_arrow_table",
            b,
            ">= 80% of ADBC",
            short,
            lambda r: (f"{100 * (r.ratio or 0):.0f}%", (r.ratio or 0) >= 0.8),
        )
        check(
            "Arrow listing + 4 metadata columns",
            b,
            ">= 1M DIDs/s",
            self.find("arrow", b, "arrow +4 metadata/table"),
            lambda r: (f"{r.rate / 1e6:,.2f}M DIDs/s", r.rate >= 1_000_000),
        )
        check(
            "server memory growth, Arrow + metadata",
            b,
            "< 100 MB",
            self.find("arrow", b, "arrow +4 metadata, server memory"),
            lambda r: (f"{r.extra['growth_mb']:.1f} MB over {r.rows:,} DIDs", r.extra["growth_mb"] < 100),
        )
        rucio = self.find("peer", b, "Rucio list_dids whole scope")
        if short is not None and rucio is not None and rucio.rate > 0:
            ratio = short.rate / rucio.rate
            out.append(Target("Arrow listing vs Rucio list_dids", b, ">= 15x Rucio", f"{ratio:.1f}x", ratio >= 15))
        else:
            out.append(Target("Arrow listing vs Rucio list_dids", b, ">= 15x Rucio", "not measured", None))

    def print_summary(self) -> None:
        print()
        print(HEADER)
        for result in self.results:
            print(format_row(result))
        print()
        print(f"{'target':40} {'backend':9} {'wanted':26} {'measured':34} verdict")
        for target in self.targets():
            print(f"{target.name:40} {target.backend:9} {target.wanted:26} {target.measured:34} {target.verdict}")
        for note in self.notes:
            print("note:", note)
        for error in self.errors:
            print("ERROR:", error)

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "settings": self.settings,
            "machine": machine_info(),
            "results": [r.as_dict() for r in self.results],
            "targets": [asdict(t) | {"verdict": t.verdict} for t in self.targets()],
            "notes": self.notes,
            "errors": self.errors,
        }
        path.write_text(json.dumps(document, indent=1, default=str) + "\n")


HEADER = (
    f"{'scenario':8} {'backend':20} {'name':34} {'rows':>9} {'median s':>9} {'min s':>8} {'max s':>8} "
    f"{'rate':>13} {'baseline rate':>13} {'ratio':>6}"
)


def _rate(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.0f}" if unit != "DIDs/s" or value < 1e4 else f"{value / 1e3:,.1f}k"


def format_row(r: Result) -> str:
    ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
    return (
        f"{r.scenario:8} {r.backend:20} {r.name[:34]:34} {r.rows:>9,} {r.median:>9.3f} "
        f"{min(r.seconds, default=float('nan')):>8.3f} {max(r.seconds, default=float('nan')):>8.3f} "
        f"{_rate(r.rate, r.unit):>13} {_rate(r.baseline_rate, r.unit):>13} {ratio:>6}"
    )


def write_document(path: Path | None, document: dict[str, Any]) -> None:
    """A standalone bench's JSON document to `path` (its folders made; None: not written), and where it went."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"\nwritten {path}")


def standalone_document(bench: str, **fields: Any) -> dict[str, Any]:
    """The start of a standalone bench's JSON document: its name, command line, the code it ran and the
    machine with its load average now; then `fields`. `finish_document` adds the end's and writes it."""
    from bench.run import git_state  # bench.run imports this module

    document: dict[str, Any] = {
        "bench": bench,
        "command": " ".join(sys.argv),
        "git": git_state(),
        "machine": {**machine_info(), "loadavg_start": loadavg()},
    }
    return {**document, **fields}


def finish_document(path: Path | None, document: dict[str, Any]) -> None:
    """The load average at the end into `document`'s machine, then the document written (`write_document`)."""
    document["machine"]["loadavg_end"] = loadavg()
    write_document(path, document)


def loadavg() -> list[str]:
    """The 1, 5 and 15-minute load averages (Linux)."""
    return Path("/proc/loadavg").read_text().split()[:3]


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
        info["cpu"] = models[0] if models else "?"
        info["cores"] = len(models)
        info["mem_gb"] = round(int(Path("/proc/meminfo").read_text().split()[1]) / 2**20, 1)
        info["loadavg"] = loadavg()
    except OSError:
        pass
    with contextlib.suppress(OSError):  # 1: processes share the cores by session first (see docs/performance.md)
        info["sched_autogroup"] = int(Path("/proc/sys/kernel/sched_autogroup_enabled").read_text())
    try:
        import grpc
        from google.protobuf import __version__ as pb_version
        from google.protobuf.internal import api_implementation

        info.update(grpcio=grpc.__version__, protobuf=pb_version, protobuf_impl=api_implementation.Type())
    except ImportError:
        pass
    return info


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


# --- Markdown (docs/performance.md is written from the JSON documents) -------------------------------------
def _fmt_rate(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if unit == "DIDs/s":
        return f"{value / 1e3:,.1f}k" if value >= 1e4 else f"{value:,.0f}"
    return f"{value:,.0f}"


def markdown(document: dict[str, Any]) -> str:
    """The results and targets of one JSON document as Markdown tables."""
    out = [
        "| scenario | db | name | rows | median s | min s | max s | rate | baseline | baseline rate | ratio |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in document["results"]:
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "-"
        unit = r.get("unit", "DIDs/s")
        out.append(
            f"| {r['scenario']} | {r['backend']} | {r['name']} | {r['rows']:,} | {r['median_s']:.3f} | "
            f"{r['min_s']:.3f} | {r['max_s']:.3f} | {_fmt_rate(r['rate'], unit)} {unit} | {r.get('baseline') or '-'} | "
            f"{_fmt_rate(r.get('baseline_rate'), unit)} | {ratio} |"
        )
    out += ["", "| target | db | wanted | measured | verdict |", "|---|---|---|---|---|"]
    for t in document["targets"]:
        verdict = {"PASS": "PASS", "MISS": "**MISS**"}.get(t["verdict"], t["verdict"])
        out.append(f"| {t['name']} | {t['backend']} | {t['wanted']} | {t['measured']} | {verdict} |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m bench.report FILE...`: each results file's Markdown tables, one after the other."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    parser.add_argument("files", nargs="+", type=Path, help="results files written by `bench.run --out`")
    for path in parser.parse_args(argv).files:
        print(markdown(json.loads(path.read_text())))
        print()


if __name__ == "__main__":
    main()
