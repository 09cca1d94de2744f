"""Rucio 41.5.1's own code, in process, on the benchmark data set (run with Rucio's virtualenv).

    RUCIO_CONFIG=.../rucio.cfg <rucio-venv>/bin/python bench/rucio_peer.py --n 20000 --json-metadata --out F

Builds Rucio's schema in an empty database, creates the same DIDs as `bench.data.generate(n)`
(collections with `add_dids`, files with `add_replicas` on a test RSE, attachments with
`attach_dids_to_dids`), sets the DID-column keys (and, with --json-metadata, the JSON keys) with
`set_dids_metadata_bulk`, 1,000 DIDs per transaction, then times `rucio.gateway.did.list_dids` the
way the REST search endpoint runs it (filter string parsed as the CLI does). Prints nothing but
progress; writes one JSON document to --out. Imports only the standard library, Rucio and
`bench.data` (stdlib only).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.data import JSON_KEYS, MAIN_SCOPE, SCOPES, generate

BATCH = 1000
REPLICA_BATCH = 200  # add_replicas builds one OR per file: SQLite's expression depth limit is 1000
COLUMN_KEYS = ("run_number", "datatype", "campaign", "panda_id")


def log(message: str) -> None:
    print(f"[rucio] {message}", file=sys.stderr, flush=True)


def bootstrap() -> tuple[Any, Any]:
    from rucio.common.types import InternalAccount, InternalScope  # type: ignore[import-not-found]
    from rucio.core.rse import add_rse  # type: ignore[import-not-found]
    from rucio.core.scope import add_scope  # type: ignore[import-not-found]
    from rucio.db.sqla.constants import DatabaseOperationType  # type: ignore[import-not-found]
    from rucio.db.sqla.session import db_session  # type: ignore[import-not-found]
    from rucio.db.sqla.util import build_database, create_base_vo, create_root_account  # type: ignore[import-not-found]

    build_database()
    create_base_vo()
    create_root_account()
    root = InternalAccount("root")
    with db_session(DatabaseOperationType.WRITE) as session:
        for scope in SCOPES:
            add_scope(InternalScope(scope), root, session=session)
        rse_id = add_rse("BENCH_DISK", session=session)
    return root, rse_id


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def load(n: int, root: Any, rse_id: str, json_metadata: bool) -> dict[str, float]:
    from rucio.common.types import InternalScope
    from rucio.core import did as did_core  # type: ignore[import-not-found]
    from rucio.core.replica import add_replicas  # type: ignore[import-not-found]
    from rucio.db.sqla.constants import DatabaseOperationType
    from rucio.db.sqla.session import db_session

    dids = list(generate(n))
    scope_of = {s: InternalScope(s) for s in SCOPES}
    timings: dict[str, float] = {}
    start = time.perf_counter()
    collections = [d for d in dids if d.type != "F"]
    files = [d for d in dids if d.type == "F"]
    for i in range(0, len(collections), BATCH):
        with db_session(DatabaseOperationType.WRITE) as session:
            did_core.add_dids(
                [
                    {"scope": scope_of[d.scope], "name": d.name, "type": "CONTAINER" if d.type == "C" else "DATASET"}
                    for d in collections[i : i + BATCH]
                ],
                root,
                session=session,
            )
    for i in range(0, len(files), REPLICA_BATCH):
        with db_session(DatabaseOperationType.WRITE) as session:
            add_replicas(
                rse_id,
                [
                    {"scope": scope_of[d.scope], "name": d.name, "bytes": d.bytes, "adler32": d.adler32}
                    for d in files[i : i + REPLICA_BATCH]
                ],
                root,
                session=session,
            )
    timings["create_s"] = time.perf_counter() - start
    start = time.perf_counter()
    children: dict[tuple[str, str], list[Any]] = {}
    for d in dids:
        if d.parent is not None:
            children.setdefault(d.parent, []).append({"scope": scope_of[d.scope], "name": d.name})
    parents = list(children.items())
    for i in range(0, len(parents), 50):
        with db_session(DatabaseOperationType.WRITE) as session:
            did_core.attach_dids_to_dids(
                [{"scope": scope_of[p[0]], "name": p[1], "dids": kids} for p, kids in parents[i : i + 50]],
                root,
                session=session,
            )
    timings["attach_s"] = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(dids), BATCH):
        with db_session(DatabaseOperationType.WRITE) as session:
            did_core.set_dids_metadata_bulk(
                [
                    {
                        "scope": scope_of[d.scope],
                        "name": d.name,
                        "meta": {k: d.metadata[k] for k in COLUMN_KEYS if k in d.metadata},
                    }
                    for d in dids[i : i + BATCH]
                ],
                session=session,
            )
    timings["set_columns_s"] = time.perf_counter() - start
    if json_metadata:
        start = time.perf_counter()
        for i in range(0, len(dids), BATCH):
            with db_session(DatabaseOperationType.WRITE) as session:
                did_core.set_dids_metadata_bulk(
                    [
                        {
                            "scope": scope_of[d.scope],
                            "name": d.name,
                            "meta": {k: _json_value(d.metadata[k]) for k in JSON_KEYS if k in d.metadata},
                        }
                        for d in dids[i : i + BATCH]
                    ],
                    session=session,
                )
        timings["set_json_s"] = time.perf_counter() - start
    return timings


def time_list(expression: str, repeat: int) -> dict[str, Any]:
    from rucio.common.utils import parse_did_filter_from_string_fe  # type: ignore[import-not-found]
    from rucio.gateway.did import list_dids  # type: ignore[import-not-found]

    seconds: list[float] = []
    rows = 0
    for _ in range(repeat):
        filters, did_type = parse_did_filter_from_string_fe(expression, type="all")
        start = time.perf_counter()
        rows = sum(1 for _ in list_dids(MAIN_SCOPE, filters, did_type=did_type))
        seconds.append(time.perf_counter() - start)
    return {
        "expression": expression,
        "rows": rows,
        "seconds": seconds,
        "rate": rows / statistics.median(seconds) if rows else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json-metadata", action="store_true")
    parser.add_argument("--queries", required=True, help="JSON object: name -> filter string")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import rucio  # type: ignore[import-not-found]  # noqa: F401 - fail early if this is not Rucio's venv
    from rucio import version

    log(f"Rucio {version.version_string()}: bootstrap")
    root, rse_id = bootstrap()
    log(f"loading {args.n:,} DIDs")
    timings = load(args.n, root, rse_id, args.json_metadata)
    log(f"loaded: {timings}")
    queries = {name: time_list(expression, args.repeat) for name, expression in json.loads(args.queries).items()}
    args.out.write_text(
        json.dumps({"version": version.version_string(), "n": args.n, "load": timings, "queries": queries}, indent=1)
    )


if __name__ == "__main__":
    main()
