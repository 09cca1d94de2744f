"""f. The peer comparison: Rucio 41.5.1's list_dids, in process, in its own virtualenv.

The venv is the one of the Rucio integration tests, `${DIDMETA_CACHE:-~/.cache/didmeta}/rucio-venv-41.5.1`
(created on first use by `tools/rucio_venv.sh`, ~1 min with a warm pip cache). `bench/rucio_peer.py` runs
there against a fresh SQLite file or PostgreSQL database, with a smaller data set (`--rucio-n`,
default 20,000: Rucio creates ~600-1,700 DIDs/s). Its rows/s are compared with didmeta's for the
same filter, measured earlier in this run on the full data set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from bench.report import Report, Result

RUCIO_VERSION = "41.5.1"
INSTALL_TIMEOUT_S = 900
RUN_TIMEOUT_S = 3600
#: name -> (Rucio filter string, listed with type=all, the didmeta result it is compared with: scenario, name)
QUERIES: dict[str, tuple[str, tuple[str, str]]] = {
    "whole scope": ("", ("list", "short/batches")),
    "eq_column": ("datatype=RAW", ("filter", "eq_column")),
    "int_range": ("run_number>1000,run_number<1100", ("filter", "int_range")),
    "eq_json": ("data_format=RAW", ("filter", "eq_json")),  # PostgreSQL only: Rucio's JSON plugin
}


def ensure_venv() -> Path:
    """Rucio's venv, shared with the Rucio integration tests: `tools/rucio_venv.sh` (lock-protected)."""
    done = subprocess.run(
        ["bash", str(Path(__file__).resolve().parents[1] / "tools" / "rucio_venv.sh"), "python"],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tools/rucio_venv.sh failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def write_config(workdir: Path, python: Path, database: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    package = subprocess.run(
        [str(python), "-c", "import os, rucio; print(os.path.dirname(rucio.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    alembic = workdir / "alembic.ini"
    alembic.write_text(
        f"[alembic]\nscript_location = {package}/db/sqla/migrate_repo\nsqlalchemy.url = {database}\n"
        "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
        "[logger_root]\nlevel = WARNING\nhandlers = console\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
        "[formatter_generic]\nformat = %%(levelname)s %%(name)s %%(message)s\n"
    )
    (workdir / "logs").mkdir(exist_ok=True)
    config = workdir / "rucio.cfg"
    config.write_text(
        f"[common]\nloglevel = WARNING\nlogdir = {workdir / 'logs'}\n"
        f"[database]\ndefault = {database}\n[alembic]\ncfg = {alembic}\n"
    )
    return config


def run_rucio(
    python: Path, workdir: Path, database: str, n: int, repeat: int, json_metadata: bool, queries: dict[str, str]
) -> dict[str, Any]:
    config = write_config(workdir, python, database)
    out = workdir / "rucio-result.json"
    env = {**os.environ, "RUCIO_CONFIG": str(config), "RUCIO_HOME": str(workdir)}
    env.pop("VIRTUAL_ENV", None)
    command = [
        str(python),
        str(Path(__file__).with_name("rucio_peer.py")),
        "--n",
        str(n),
        "--repeat",
        str(repeat),
        "--queries",
        json.dumps(queries),
        "--out",
        str(out),
    ]
    if json_metadata:
        command.append("--json-metadata")
    with (workdir / "rucio.log").open("w") as log:
        done = subprocess.run(command, env=env, timeout=RUN_TIMEOUT_S, cwd=workdir, stdout=log, stderr=log, check=False)
    if done.returncode != 0:
        tail = "\n".join((workdir / "rucio.log").read_text().splitlines()[-5:])
        raise RuntimeError(f"rucio_peer.py failed ({done.returncode}); see {workdir / 'rucio.log'}:\n{tail[-1500:]}")
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def didmeta_same_n(
    args: argparse.Namespace, backend: str, workdir: Path, postgres: Any, queries: dict[str, str]
) -> dict[str, Result]:
    """didmeta over gRPC on the Rucio-sized data set, same filters (type=all, main scope)."""
    from bench import scenarios
    from bench.data import MAIN_SCOPE, SCOPES, generate
    from bench.procs import ServerProcess
    from didmeta.client import Client

    workdir.mkdir(parents=True, exist_ok=True)
    dids = list(generate(args.rucio_n))
    url = f"sqlite:///{workdir / 'peer.db'}" if backend == "sqlite" else postgres.fresh_database("didmeta_peer")
    if backend == "sqlite":
        (workdir / "peer.db").unlink(missing_ok=True)
    out: dict[str, Result] = {}
    with ServerProcess(url, workdir / "server") as server, Client(server.target, timeout=None) as client:
        for scope in SCOPES:
            client.add_scope(scope, "root")
        client.load(scenarios.to_load_chunk(c) for c in scenarios.load_chunks(dids, args.chunk))
        for name, expression in queries.items():
            runs = [scenarios.stream_batches(client, MAIN_SCOPE, expression, type="all") for _ in range(args.repeat)]
            out[name] = Result("peer", backend, f"didmeta {name}", runs[0].rows, [r.total_s for r in runs])
    return out


def scenario_peer(args: argparse.Namespace, report: Report, workdir: Path, postgres: Any) -> None:
    python = ensure_venv()
    for backend in args.rucio_db:
        if backend == "sqlite":
            database = f"sqlite:///{workdir / 'sqlite' / 'rucio.db'}"
            (workdir / "sqlite").mkdir(parents=True, exist_ok=True)
            (workdir / "sqlite" / "rucio.db").unlink(missing_ok=True)
            json_metadata = False  # Rucio's JSON plugin needs JSON support SQLite lacks (json_implemented())
        else:
            database = postgres.fresh_database("rucio").replace("postgresql://", "postgresql+psycopg://")
            json_metadata = True
        queries = {name: q for name, (q, _) in QUERIES.items() if json_metadata or name != "eq_json"}
        print(f"-- Rucio on {backend}, {args.rucio_n:,} DIDs", flush=True)
        data = run_rucio(python, workdir / backend, database, args.rucio_n, args.repeat, json_metadata, queries)
        load = data["load"]
        report.add(
            Result(
                "peer",
                backend,
                f"Rucio create+attach n={args.rucio_n}",
                args.rucio_n,
                [load["create_s"] + load["attach_s"]],
                extra=load,
            )
        )
        same_n = didmeta_same_n(args, backend, workdir / f"didmeta-{backend}", postgres, queries)
        for name, result in data["queries"].items():
            rucio = report.add(
                Result(
                    "peer",
                    backend,
                    f"Rucio list_dids {name}",
                    result["rows"],
                    result["seconds"],
                    extra={"expression": result["expression"], "n": args.rucio_n},
                )
            )
            ours = same_n[name]
            if ours.rows != rucio.rows:
                report.errors.append(f"{backend} {name}: didmeta {ours.rows} DIDs, Rucio {rucio.rows} (same data)")
            report.add(
                Result(
                    "peer",
                    backend,
                    f"didmeta/Rucio {name}",
                    ours.rows,
                    ours.seconds,
                    baseline=rucio.name,
                    baseline_rate=rucio.rate,
                    extra={"n": args.rucio_n, "same_data": True},
                )
            )
            scenario, didmeta_name = QUERIES[name][1]
            full = report.find(scenario, backend, didmeta_name)
            if full is not None and args.n != args.rucio_n:
                report.add(
                    Result(
                        "peer",
                        backend,
                        f"didmeta n={args.n}/Rucio {name}",
                        full.rows,
                        full.seconds,
                        baseline=rucio.name,
                        baseline_rate=rucio.rate,
                        extra={"didmeta_n": args.n, "rucio_n": args.rucio_n, "same_data": False},
                    )
                )
    report.notes.append(
        f"Rucio {RUCIO_VERSION} runs in process (no network, gateway.list_dids) on {args.rucio_n:,} DIDs; "
        f"'didmeta/Rucio' rows run didmeta over gRPC on the same {args.rucio_n:,} DIDs (the target uses these); "
        f"'didmeta n={args.n}/Rucio' rows use didmeta's figures on the full data set."
    )
