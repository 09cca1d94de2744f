"""Run the benchmark suite: `python -m bench.run --n 100000 --db sqlite,postgres --repeat 3 --out F.json`.

Scenarios (`--scenarios all` or a comma list): load, memory, list, arrow, filter, summary, unary, peer.
Per backend: load (fresh database per repetition; the last one is kept), then a fresh server for
memory, list, filter and unary, then the Rucio peer comparison. `--external MONGO,ELASTIC,POSTGRES_JSON`
(`PLUGIN:N` for a smaller data set) repeats the scenarios (unary: GetMetadata of PLUGIN at concurrency
1 and 16) on a SQLite catalogue with plugins DID_COLUMN + PLUGIN and a backend server started for it
(backend `sqlite+PLUGIN`). A table goes to stdout and one JSON document to --out. `--n 2000 --repeat 1`
is the smoke run (well under a minute with the Rucio venv already built).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import arrow_bench, peer, scenarios, summaries_bench
from bench.cli import KEPT_HELP, add_output_arguments, work_directory
from bench.data import MAIN_SCOPE, SEED, Did, Shape, generate
from bench.external import KINDS, External
from bench.procs import Postgres
from bench.report import Report

ALL = ("load", "memory", "list", "arrow", "filter", "summary", "unary", "peer")


def git_state() -> dict[str, str]:
    """The commit and a digest of the uncommitted changes the server ran with (others edit the tree)."""
    import hashlib
    import subprocess

    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    diff = git("diff", "HEAD", "--", "server", "plugins", "core", "clients")
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty_files": str(len(git("status", "--porcelain").splitlines())),
        "diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="DIDs in the data set (default 1000000)")
    parser.add_argument("--db", default="sqlite", help="comma list of sqlite, postgres (default sqlite)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per measurement (default 3)")
    parser.add_argument("--load-repeat", type=int, default=None, help="repetitions of the load (default --repeat)")
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=1800.0,
        help="stop sending LoadDids chunks after this time (default 1800; rate over DIDs sent)",
    )
    parser.add_argument("--scenarios", default="all", help=f"all or a comma list of {', '.join(ALL)}")
    add_output_arguments(parser, workdir_help=KEPT_HELP)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--chunk", type=int, default=5000, help="DIDs per LoadDids chunk (default 5000)")
    parser.add_argument(
        "--unary-calls", type=int, default=None, help="calls per unary measurement (default min(3000, max(n/10, 200)))"
    )
    parser.add_argument("--unary-seconds", type=float, default=10.0, help="time cap per unary measurement")
    parser.add_argument(
        "--unary-clients",
        default="python,ghz",
        help="unary load generators: python (grpc.aio in this process) and/or ghz (default both; ghz from "
        "tools/toolchain.sh, left out with a note if missing)",
    )
    parser.add_argument(
        "--unary-workers",
        type=int,
        default=2,
        help="also measure GetMetadata against a server with this many worker processes (default 2; 1: not)",
    )
    parser.add_argument(
        "--rucio-n",
        type=int,
        default=None,
        help="DIDs for the Rucio peer (default min(n, 20000): Rucio loads ~1k DIDs/s)",
    )
    parser.add_argument("--rucio-db", default=None, help="comma list of backends for Rucio (default: --db)")
    parser.add_argument(
        "--external",
        default="",
        help=f"comma list of external plugins ({', '.join(KINDS)}), each PLUGIN or PLUGIN:N (N DIDs; default --n)",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="record the server with py-spy per scenario into this directory"
    )
    args = parser.parse_args(argv)
    args.scenarios = ALL if args.scenarios == "all" else tuple(s.strip() for s in args.scenarios.split(","))
    unknown = set(args.scenarios) - set(ALL)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    args.db = [b.strip() for b in args.db.split(",") if b.strip()]
    if set(args.db) - {"sqlite", "postgres"}:
        parser.error("--db takes sqlite and/or postgres")
    args.load_repeat = args.repeat if args.load_repeat is None else args.load_repeat
    args.unary_calls = args.unary_calls or min(3000, max(args.n // 10, 200))
    args.rucio_n = args.rucio_n or min(args.n, 20_000)
    args.rucio_db = [b.strip() for b in (args.rucio_db or ",".join(args.db)).split(",") if b.strip()]
    external: list[tuple[str, int]] = []
    for item in (i.strip() for i in args.external.split(",") if i.strip()):
        plugin, _, size = item.partition(":")
        if plugin.upper() not in KINDS or not (size or "1").isdigit():
            parser.error(f"--external takes {', '.join(KINDS)}, each optionally :N; got {item!r}")
        external.append((plugin.upper(), int(size) if size else args.n))
    args.external = external
    return args


def run_backend(
    args: argparse.Namespace,
    backend: str,
    dids: list[Did],
    report: Report,
    workdir: Path,
    postgres: Postgres | None,
    external: External | None = None,
    reference: str = "",
) -> str:
    """The scenarios on one backend; the catalogue URL the reads used.

    With `external` (backend `sqlite+PLUGIN`) the data always goes in through LoadDids (a direct write
    would miss the plugin's store) and the SQL baselines run on `reference`, a SQLite catalogue with
    the same rows and every key in it (written directly if not given).
    """
    ctx = scenarios.Context(backend, "", workdir / backend, Shape.of(len(dids)), args.repeat, report, args.profile)
    ctx.external = external
    ctx.database_pid = postgres.pid if postgres is not None and backend == "postgres" else None
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    load_repeat = args.load_repeat if "load" in args.scenarios else 0
    if external is not None:
        load_repeat = max(load_repeat, 1)
    if load_repeat:
        ctx.database = scenarios.scenario_load(ctx, dids, args.chunk, load_repeat, postgres, args.load_seconds)
    else:  # the read scenarios still need the data: the same rows written directly
        ctx.database = scenarios.prepare_direct(ctx, dids, args.chunk, postgres, "didmeta_reads")
        scenarios.analyze(ctx, ctx.database)
    if external is not None:
        ctx.reference = reference or scenarios.prepare_direct(ctx, dids, args.chunk, None, "reference")
        seconds = external.refresh(ctx.database)
        if seconds is not None:
            report.notes.append(f"{backend}: index refresh after the load took {seconds:.2f} s (not in the load time)")
    main_scope = sum(1 for d in dids if d.scope == MAIN_SCOPE)
    reads = [s for s in ("memory", "list", "arrow", "filter", "summary", "unary") if s in args.scenarios]
    if reads:
        with ctx.server(ctx.database) as server:
            for name in reads:
                print(f"-- {backend}: {name}", flush=True)
                try:
                    if name == "memory":
                        scenarios.scenario_memory(ctx, server, len(dids))
                    elif name == "list":
                        scenarios.scenario_list(ctx, server, main_scope)
                    elif name == "arrow":
                        arrow_bench.scenario_arrow(ctx, server, main_scope)
                    elif name == "filter":
                        scenarios.scenario_filters(ctx, server)
                    elif name == "summary":
                        summaries_bench.scenario_summaries(ctx, server, len(dids))
                    elif name == "unary" and external is not None:
                        scenarios.scenario_unary(
                            ctx, server, dids, args.unary_calls, args.unary_seconds, (external.plugin,), (1, 16), False
                        )
                    elif name == "unary":
                        unary_main(args, ctx, server, dids)
                except Exception as error:
                    traceback.print_exc()
                    report.errors.append(f"{backend} {name}: {type(error).__name__}: {error}")
    if "unary" in args.scenarios and external is None and args.unary_workers > 1:
        print(f"-- {backend}: unary, {args.unary_workers} worker processes", flush=True)
        try:
            with ctx.server(ctx.database, workers=args.unary_workers) as server:
                unary_workers(args, ctx, server, dids)
        except Exception as error:
            traceback.print_exc()
            report.errors.append(f"{backend} unary workers: {type(error).__name__}: {error}")
    return ctx.database


#: Concurrency of the ghz measurements and of the worker-process comparison (issue 13's targets).
UNARY_CONCURRENCY = (16, 64)
#: HTTP/2 connections ghz spreads its calls over: the kernel balances worker processes per connection.
GHZ_CONNECTIONS = 8


def unary_clients(args: argparse.Namespace, report: Report, workdir: Path) -> list[scenarios.UnaryClient]:
    """The Python client at concurrency 1, 16, 64 and ghz at 16, 64 (as `--unary-clients` asks)."""
    from bench import ghz

    names = [n.strip() for n in args.unary_clients.split(",") if n.strip()]
    clients = []
    if "python" in names:
        clients.append(scenarios.UnaryClient("", (1, *UNARY_CONCURRENCY)))
    if "ghz" in names:
        binary = ghz.find_ghz()
        if binary is None:
            report.notes.append("ghz not found (bash tools/toolchain.sh install): unary measured with Python only")
        else:
            protoset = ghz.write_protoset(workdir / "didmeta.protoset")
            clients.append(scenarios.UnaryClient("ghz", UNARY_CONCURRENCY, binary, protoset, GHZ_CONNECTIONS))
    return clients


def unary_main(args: argparse.Namespace, ctx: scenarios.Context, server: Any, dids: list[Did]) -> None:
    """GetMetadata (DID_COLUMN and ALL, the issue's figure), SetMetadata, against Health.Check, one worker."""
    plugins = ("DID_COLUMN", "JSON", "ALL") if args.external else ("DID_COLUMN", "ALL")
    clients = unary_clients(args, ctx.report, ctx.workdir)
    scenarios.scenario_unary(ctx, server, dids, args.unary_calls, args.unary_seconds, plugins, clients=clients)


def unary_workers(args: argparse.Namespace, ctx: scenarios.Context, server: Any, dids: list[Did]) -> None:
    """GetMetadata ALL against Health.Check on a server with `--unary-workers` processes."""
    clients = [
        scenarios.UnaryClient(c.name, (64,), c.ghz, c.protoset, c.connections)
        for c in unary_clients(args, ctx.report, ctx.workdir)
    ]
    # The Python client's one channel is one connection: it reaches one worker only, so it is left out.
    clients = [c for c in clients if c.ghz is not None]
    if not clients:
        return
    scenarios.scenario_unary(
        ctx,
        server,
        dids,
        args.unary_calls,
        args.unary_seconds,
        ("ALL",),
        writes=False,
        clients=clients,
        tag=f"w{args.unary_workers}",
    )


def compare_with_sqlite(report: Report, backend: str, plugin: str) -> None:
    """extra["vs_sqlite"]: rate / the rate of the same measurement on `sqlite` (JSON plugin), same rows only."""
    for result in report.results:
        if result.backend != backend:
            continue
        reference = report.find(result.scenario, "sqlite", result.name.replace(f" {plugin} ", " JSON "))
        if reference is not None and reference.rows == result.rows and reference.rate > 0:
            result.extra["vs_sqlite"] = result.rate / reference.rate


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    workdir = work_directory(args.workdir, "didmeta-bench-")
    workdir.mkdir(parents=True, exist_ok=True)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    settings.update(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        seed=SEED,
        command="python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        git=git_state(),
    )
    report = Report(settings)
    shape = Shape.of(args.n)
    print(
        f"data: {shape.n:,} DIDs = {shape.containers:,} containers, {shape.datasets:,} datasets, "
        f"{shape.files:,} files; scopes weighted 8:1:1, main scope {MAIN_SCOPE}",
        flush=True,
    )
    dids = list(generate(args.n))
    postgres: Postgres | None = None
    try:
        if "postgres" in args.db or ("peer" in args.scenarios and "postgres" in args.rucio_db):
            postgres = Postgres(workdir / "pg").start()
        catalogues: dict[str, str] = {}
        for backend in args.db:
            print(f"== {backend}", flush=True)
            try:
                catalogues[backend] = run_backend(args, backend, dids, report, workdir, postgres)
            except Exception as error:
                traceback.print_exc()
                report.errors.append(f"{backend}: {type(error).__name__}: {error}")
        for plugin, n in args.external:
            backend = f"sqlite+{plugin}"
            print(f"== {backend} ({n:,} DIDs)", flush=True)
            external = External(plugin, workdir / "external" / plugin.lower())
            try:
                external.start()
                reference = catalogues.get("sqlite", "") if n == args.n else ""
                subset = dids if n == args.n else list(generate(n))
                run_backend(args, backend, subset, report, workdir, None, external, reference)
                if n == args.n:  # ratios only between runs on the same data set
                    compare_with_sqlite(report, backend, plugin)
            except Exception as error:
                traceback.print_exc()
                report.errors.append(f"{backend}: {type(error).__name__}: {error}")
            finally:
                external.stop()
        if "peer" in args.scenarios:
            print("== peer: Rucio", flush=True)
            try:
                peer.scenario_peer(args, report, workdir / "rucio", postgres)
            except Exception as error:
                traceback.print_exc()
                report.errors.append(f"peer: {type(error).__name__}: {error}")
    finally:
        if postgres is not None:
            postgres.stop()
        report.settings["elapsed_s"] = round(time.perf_counter() - started, 1)
        report.print_summary()
        if args.out is not None:
            report.write_json(args.out)
            print(f"results: {args.out}")
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"elapsed: {time.perf_counter() - started:.1f} s")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
