"""Run inside Rucio's own venv (tests/support/rucio_env.py starts it): build the test catalogue with
Rucio's core API, or run a corpus of filters through Rucio's list_dids.

    python tests/rucio/rucio_side.py build --sizes 3,5,4 [--json-metadata]
    python tests/rucio/rucio_side.py query --corpus CORPUS.json --out RESULTS.json

Imports only the standard library, Rucio and `tests.rucio.dataset` (stdlib only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.rucio.dataset import COLUMN_KEYS, SCOPES, DataSet, generate

BATCH = 500
REPLICA_BATCH = 200  # add_replicas builds one OR per file: SQLite's expression depth limit is 1000


def bootstrap(scopes: tuple[str, ...] = SCOPES) -> tuple[Any, Any]:
    """Rucio's schema in the empty database of rucio.cfg, the root account, the scopes and one RSE."""
    from rucio.common.types import InternalAccount, InternalScope  # type: ignore[import-not-found]
    from rucio.core.account import add_account  # type: ignore[import-not-found]
    from rucio.core.rse import add_rse  # type: ignore[import-not-found]
    from rucio.core.scope import add_scope  # type: ignore[import-not-found]
    from rucio.db.sqla.constants import AccountType, DatabaseOperationType  # type: ignore[import-not-found]
    from rucio.db.sqla.session import db_session  # type: ignore[import-not-found]
    from rucio.db.sqla.util import build_database, create_base_vo, create_root_account  # type: ignore[import-not-found]

    build_database()
    create_base_vo()
    create_root_account()
    root = InternalAccount("root")
    with db_session(DatabaseOperationType.WRITE) as session:
        add_account(InternalAccount("jdoe"), AccountType.USER, "jdoe@example.org", session=session)
        for scope in scopes:
            owner = InternalAccount("jdoe") if scope.startswith("user.") else root
            add_scope(InternalScope(scope), owner, session=session)
        rse_id = add_rse("TEST_DISK", session=session)
    return root, rse_id


def build(data: DataSet, json_metadata: bool) -> dict[str, int]:
    from rucio.common.types import InternalAccount, InternalScope
    from rucio.core import did as did_core  # type: ignore[import-not-found]
    from rucio.core.replica import add_replicas  # type: ignore[import-not-found]
    from rucio.db.sqla.constants import DatabaseOperationType
    from rucio.db.sqla.session import db_session

    root, rse_id = bootstrap()
    jdoe = InternalAccount("jdoe")
    scope = {s: InternalScope(s) for s in SCOPES}

    def owner(s: str) -> Any:
        return jdoe if s.startswith("user.") else root

    collections = [d for d in data.dids if d.type != "F"]
    files = [d for d in data.dids if d.type == "F"]
    with db_session(DatabaseOperationType.WRITE) as session:
        for d in collections:
            did_core.add_did(
                scope[d.scope], d.name, "CONTAINER" if d.type == "C" else "DATASET", owner(d.scope), session=session
            )
    for s in SCOPES:
        mine = [f for f in files if f.scope == s]
        for i in range(0, len(mine), REPLICA_BATCH):
            with db_session(DatabaseOperationType.WRITE) as session:
                add_replicas(
                    rse_id,
                    [
                        {"scope": scope[s], "name": f.name, "bytes": f.bytes, "adler32": f.adler32}
                        for f in mine[i : i + REPLICA_BATCH]
                    ],
                    owner(s),
                    session=session,
                )
    by_parent: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ps, pn, cs, cn in data.attachments:
        by_parent.setdefault((ps, pn), []).append({"scope": scope[cs], "name": cn})
    parents = list(by_parent.items())
    for i in range(0, len(parents), 50):
        with db_session(DatabaseOperationType.WRITE) as session:
            did_core.attach_dids_to_dids(
                [{"scope": scope[p[0]], "name": p[1], "dids": kids} for p, kids in parents[i : i + 50]],
                root,
                session=session,
            )
    for i in range(0, len(data.dids), BATCH):
        with db_session(DatabaseOperationType.WRITE) as session:
            items = []
            for d in data.dids[i : i + BATCH]:
                meta = {k: v for k, v in d.columns.items() if k in COLUMN_KEYS}
                if json_metadata:
                    meta.update(d.json)
                if meta:
                    items.append({"scope": scope[d.scope], "name": d.name, "meta": meta})
            did_core.set_dids_metadata_bulk(items, session=session)
    with db_session(DatabaseOperationType.WRITE) as session:
        for s, n in data.closed:
            did_core.set_status(scope[s], n, open=False, session=session)
    return {"dids": len(data.dids), "attachments": len(data.attachments), "closed": len(data.closed)}


def run_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's answer; with a limit, also the answer without it (`full`)."""
    result = run_query(entry)
    if entry.get("limit"):
        result["full"] = run_query({**entry, "limit": 0})
    return result


def run_query(entry: dict[str, Any]) -> dict[str, Any]:
    """One corpus entry through Rucio's list_dids the way the REST search endpoint runs it."""
    from rucio.common.utils import parse_did_filter_from_string_fe  # type: ignore[import-not-found]
    from rucio.gateway.did import list_dids  # type: ignore[import-not-found]

    try:
        filters, did_type = parse_did_filter_from_string_fe(
            entry["filter"], name=entry.get("name", "*"), type=entry.get("type", "collection")
        )
        # long=True: the short form is the bare name, ambiguous for a recursive listing across scopes.
        rows = list_dids(
            entry["scope"],
            filters,
            did_type=did_type,
            limit=entry.get("limit") or None,
            recursive=entry.get("recursive", False),
            ignore_case=entry.get("ignore_case", False),
            long=True,
        )
        names = []
        for row in rows:
            names.append(f"{row['scope']}:{row['name']}" if isinstance(row, dict) else f"{entry['scope']}:{row}")
        return {"ok": True, "rows": names}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__, "message": str(error)[:300]}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--sizes", default="3,5,4", help="containers per scope, datasets per container, files base")
    b.add_argument("--json-metadata", action="store_true")
    q = sub.add_parser("query")
    q.add_argument("--corpus", type=Path, required=True)
    q.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "build":
        sizes = [int(x) for x in args.sizes.split(",")]
        print(json.dumps(build(generate(*sizes), args.json_metadata)))
    else:
        corpus = json.loads(args.corpus.read_text())
        args.out.write_text(json.dumps({e["id"]: run_entry(e) for e in corpus}))


if __name__ == "__main__":
    main()
