"""Run inside Rucio's venv with `[metadata] plugins = didmeta.integrations.rucio.plugin.DidmetaPlugin`:
Rucio's own core metadata functions, in process, against a live didmeta server (tests/rucio/test_plugin.py).

    python tests/rucio/plugin_scenario.py --didmeta HOST:PORT --rucio-db URL [--token-file F]

With `--token-file` the server authenticates tokens: rucio.cfg's `[didmeta] token_file` is the same file,
the scenario's own client uses it too, and a plugin without a token must be refused.

Prints one JSON line {"checks": N, "failures": [...]}; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.rucio.rucio_side import bootstrap

failures: list[str] = []
counted: list[str] = []  # one entry per check made


def check(label: str, got: Any, expected: Any) -> None:
    counted.append(label)
    if got != expected:
        failures.append(f"{label}: got {got!r}, expected {expected!r}")


def raises(label: str, exception: type[BaseException], action: Any) -> None:
    counted.append(label)
    try:
        action()
    except exception:
        return
    except Exception as error:
        failures.append(f"{label}: raised {type(error).__name__}: {error}, expected {exception.__name__}")
        return
    failures.append(f"{label}: did not raise {exception.__name__}")


def scenario(didmeta: str, rucio_db: str, token_file: str | None) -> None:
    from rucio.common import exception  # type: ignore[import-not-found]
    from rucio.common.types import InternalScope  # type: ignore[import-not-found]
    from rucio.common.utils import parse_did_filter_from_string_fe  # type: ignore[import-not-found]
    from rucio.core import did as did_core  # type: ignore[import-not-found]
    from rucio.core import did_meta_plugins
    from rucio.core.replica import add_replicas  # type: ignore[import-not-found]
    from rucio.db.sqla.constants import DatabaseOperationType  # type: ignore[import-not-found]
    from rucio.db.sqla.session import db_session  # type: ignore[import-not-found]
    from rucio.gateway.did import list_dids  # type: ignore[import-not-found]

    from didmeta.client import Client
    from didmeta.integrations.rucio.importer import RucioImporter
    from didmeta.integrations.rucio.source import RucioSource

    check("plugins", [p.name for p in did_meta_plugins.METADATA_PLUGIN_MODULES], ["did_column", "didmeta"])
    root, rse_id = bootstrap(("mc23",))
    mc23 = InternalScope("mc23")
    with db_session(DatabaseOperationType.WRITE) as session:
        did_core.add_did(mc23, "cont", "CONTAINER", root, session=session)
        for name in ("ds1", "ds2"):
            did_core.add_did(mc23, name, "DATASET", root, session=session)
        add_replicas(
            rse_id,
            [{"scope": mc23, "name": f"f{i}", "bytes": 100 + i, "adler32": f"0000000{i}"} for i in range(1, 5)],
            root,
            session=session,
        )
        did_core.attach_dids_to_dids(
            [
                {
                    "scope": mc23,
                    "name": "cont",
                    "dids": [{"scope": mc23, "name": "ds1"}, {"scope": mc23, "name": "ds2"}],
                },
                {"scope": mc23, "name": "ds1", "dids": [{"scope": mc23, "name": "f1"}, {"scope": mc23, "name": "f2"}]},
                {"scope": mc23, "name": "ds2", "dids": [{"scope": mc23, "name": "f2"}, {"scope": mc23, "name": "f3"}]},
            ],
            root,
            session=session,
        )

    client = Client(didmeta, timeout=30, token_file=token_file)
    if token_file is not None:
        # rucio.cfg's credentials are what the plugin sends: without them the server refuses it.
        from didmeta.integrations.rucio.plugin import DidmetaPlugin

        plugin = next(p for p in did_meta_plugins.METADATA_PLUGIN_MODULES if isinstance(p, DidmetaPlugin))
        check("token from rucio.cfg", plugin.token_file, token_file)
        anonymous = DidmetaPlugin()
        anonymous.token_file = None
        try:
            anonymous.get_metadata(mc23, "ds1")
            check("no token: refused", "answered", "UNAUTHENTICATED")
        except exception.RucioException as error:
            check("no token: refused", "didmeta: UNAUTHENTICATED" in str(error), True)
    # set_metadata: the first write registers the DID (and its scope) in didmeta, with Rucio's type and owner.
    did_meta_plugins.set_metadata(mc23, "ds1", "data_format", "RAW")
    info = client.get_did("mc23:ds1")
    check("registered type", (info.type, info.account), ("DATASET", "root"))
    # set_metadata_bulk: column keys stay in Rucio, the others go to didmeta, text typed by the spec's rules.
    did_meta_plugins.set_metadata_bulk(
        mc23, "ds2", {"data_format": "AOD", "nevents": "5", "energy": 6500.5, "run_number": 7}
    )
    check("typed text", client.get_metadata("mc23:ds2", "ALL").get("nevents"), 5)
    with db_session(DatabaseOperationType.WRITE) as session:
        did_core.set_dids_metadata_bulk(
            [
                {
                    "scope": mc23,
                    "name": "f1",
                    "meta": {"data_format": "RAW", "quality": 1.5, "is_mc": True, "campaign_x": "mc23a"},
                },
                {"scope": mc23, "name": "ds1", "meta": {"campaign_x": "mc23a"}},
                {"scope": mc23, "name": "f2", "meta": {"data_format": "AOD", "nevents": 20, "tag": "Alpha"}},
                {"scope": mc23, "name": "cont", "meta": {"campaign_x": "mc23a"}},
            ],
            session=session,
        )
    check("file registered", client.get_did("mc23:f1").bytes, 101)
    # get_metadata with each plugin name and ALL
    check(
        "get DIDMETA",
        did_meta_plugins.get_metadata(mc23, "ds2", plugin="DIDMETA"),
        {"data_format": "AOD", "nevents": 5, "energy": 6500.5},
    )
    check(
        "get didmeta (any case)",
        did_meta_plugins.get_metadata(mc23, "f1", plugin="didmeta"),
        {"data_format": "RAW", "quality": 1.5, "is_mc": True, "campaign_x": "mc23a"},
    )
    check("get DID_COLUMN", did_meta_plugins.get_metadata(mc23, "ds2", plugin="DID_COLUMN")["run_number"], 7)
    every = did_meta_plugins.get_metadata(mc23, "ds2", plugin="ALL")
    check("get ALL", (every["run_number"], every["data_format"], every["did_type"].name), (7, "AOD", "DATASET"))
    check("get unknown to didmeta", did_meta_plugins.get_metadata(mc23, "f4", plugin="DIDMETA"), {})
    raises(
        "get JSON (not enabled)",
        exception.UnsupportedMetadataPlugin,
        lambda: did_meta_plugins.get_metadata(mc23, "ds1", plugin="JSON"),
    )
    # get_metadata_bulk with inherit: Rucio walks its parents and asks every plugin; the DID's own keys win
    with db_session(DatabaseOperationType.READ) as session:
        bulk = list(
            did_core.get_metadata_bulk(
                [{"scope": mc23, "name": "f1"}, {"scope": mc23, "name": "f3"}],
                inherit=True,
                plugin="ALL",
                session=session,
            )
        )
    by_name = {row["name"]: row for row in bulk}
    check("inherit own key wins", by_name["f1"]["data_format"], "RAW")
    check("inherit from dataset", (by_name["f3"].get("data_format"), by_name["f3"].get("nevents")), ("AOD", 5))
    check("inherit from container", by_name["f3"].get("campaign_x"), "mc23a")
    # delete_metadata
    did_meta_plugins.delete_metadata(mc23, "ds2", "nevents")
    check("deleted", "nevents" in did_meta_plugins.get_metadata(mc23, "ds2", plugin="DIDMETA"), False)
    raises("delete unset key", exception.KeyNotFound, lambda: did_meta_plugins.delete_metadata(mc23, "ds2", "nevents"))

    def listing(text: str, did_type: str = "all", **options: Any) -> Any:
        filters, kind = parse_did_filter_from_string_fe(text, name=options.pop("name", "*"), type=did_type)
        rows = list(list_dids("mc23", filters, did_type=kind, **options))
        if options.get("long"):
            return sorted((r["name"], r["did_type"]) for r in rows)
        return sorted(r["name"] if isinstance(r, dict) else r for r in rows)

    # list_dids with filters, types, limits, long, ignore_case
    check("list eq", listing("data_format=RAW"), ["ds1", "f1"])
    check("list or", listing("data_format=RAW;data_format=AOD"), ["ds1", "ds2", "f1", "f2"])
    check("list type", listing("data_format=RAW", "dataset"), ["ds1"])
    check("list type file", listing("data_format=*", "file"), ["f1", "f2"])
    check("list collection default", listing("data_format=AOD", "collection"), ["ds2"])
    check("list range", listing("quality>1,quality<2"), ["f1"])
    check("list bool", listing("is_mc=true"), ["f1"])
    check("list ne keeps DIDs lacking the key", listing("data_format!=RAW"), ["cont", "ds2", "f2"])
    check("list wildcard", listing("data_format=A*"), ["ds2", "f2"])
    check("list limit", len(listing("data_format=*", limit=2)), 2)
    check("list long", listing("data_format=AOD", long=True), [("ds2", "DATASET"), ("f2", "FILE")])
    check("list ignore_case", listing("tag=alpha", ignore_case=True), ["f2"])
    check("list case-sensitive", listing("tag=alpha"), [])
    check("list name", listing("data_format=*", name="f*"), ["f1", "f2"])
    raises("list bad key", exception.InvalidMetadata, lambda: listing("bad key=1"))
    # Attachments made in Rucio reach didmeta by re-running the import (an incremental sync), then recursion works.
    source = RucioSource(rucio_db)
    report = RucioImporter(source, client).run()
    source.close()
    check("sync", (report.state.attached, report.refusals), (6, []))
    check("list recursive", listing("campaign_x=mc23a", name="cont", recursive=True), ["cont", "ds1", "f1"])
    check("list not recursive", listing("campaign_x=mc23a", name="cont"), ["cont"])
    check("list recursive limit", len(listing("campaign_x=mc23a", name="cont", recursive=True, limit=2)), 2)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--didmeta", required=True)
    parser.add_argument("--rucio-db", required=True)
    parser.add_argument("--token-file", default=None)
    args = parser.parse_args()
    try:
        scenario(args.didmeta, args.rucio_db, args.token_file)
    except Exception:
        failures.append(traceback.format_exc())
    print(json.dumps({"checks": len(counted), "failures": failures}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
