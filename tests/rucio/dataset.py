"""The Rucio test catalogue: one deterministic data set built through Rucio's core API (stdlib only).

Shared by the import tests, the differential test and the plugin tests; imported on both sides (Rucio's
venv builds it, didmeta's venv checks against it). Per scope: containers of datasets of files, plus
one top container of containers. Across scopes: `user.jdoe` holds a container of other scopes'
datasets and a `picks` dataset of files that already belong to a dataset elsewhere (files with two
parents). Every third dataset is closed. Metadata: the physics columns (DID_COLUMN) and, on
PostgreSQL, JSON keys of several types; about one DID in eight lacks each key.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

SCOPES = ("data23", "mc23", "user.jdoe")
FORMATS = ("RAW", "AOD", "ESD", "DAOD_PHYS", "HITS")
CAMPAIGNS = ("mc23a", "mc23c", "mc23d", "data23_13p6TeV")
STREAMS = ("physics_Main", "express_express", "calibration_LArCells")
PROVENANCE = ("T0", "P1", "GR")
GROUPS = ("phys-higgs", "phys-top", "perf-egamma", "")
JSON_KEYS = ("data_format", "energy", "nevents", "is_mc", "tag", "lumi_shift", "quality")
COLUMN_KEYS = (
    "run_number",
    "datatype",
    "campaign",
    "project",
    "stream_name",
    "prod_step",
    "version",
    "panda_id",
    "task_id",
    "provenance",
    "phys_group",
    "lumiblocknr",
)


@dataclass
class Did:
    scope: str
    name: str
    type: str  # "C", "D", "F"
    bytes: int = 0
    adler32: str = ""
    columns: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.scope}:{self.name}"


@dataclass
class DataSet:
    dids: list[Did]
    attachments: list[tuple[str, str, str, str]]  # parent scope, name, child scope, name
    closed: list[tuple[str, str]]


def _metadata(did: Did, rnd: random.Random, index: int) -> None:
    def maybe(value: Any) -> Any:
        return None if rnd.random() < 0.125 else value

    columns = {
        "run_number": maybe(rnd.randint(400000, 400400)),
        "datatype": maybe(rnd.choice(FORMATS)),
        "campaign": maybe(rnd.choice(CAMPAIGNS)),
        "project": maybe(rnd.choice(("data23_13p6TeV", "mc23_13p6TeV", "user"))),
        "stream_name": maybe(rnd.choice(STREAMS)),
        "prod_step": maybe(rnd.choice(("evgen", "simul", "recon", "deriv"))),
        "version": maybe(f"r{rnd.randint(1, 40)}_p{rnd.randint(1, 9)}"),
        "panda_id": maybe(index % 997),
        "task_id": maybe(rnd.randint(1, 50)),
        "provenance": maybe(rnd.choice(PROVENANCE)),
        "phys_group": maybe(rnd.choice(GROUPS)),
        "lumiblocknr": maybe(rnd.randint(-5, 300)),
    }
    did.columns = {k: v for k, v in columns.items() if v is not None}
    values = {
        "data_format": maybe(rnd.choice(FORMATS)),
        "energy": maybe(round(rnd.uniform(0, 14000), 2)),
        "nevents": maybe(rnd.randint(0, 100000)),
        "is_mc": maybe(rnd.random() < 0.5),
        "tag": maybe(rnd.choice(("alpha", "beta_1", "gamma-2", "Alpha", "delta%x", "eps_y"))),
        "lumi_shift": maybe(rnd.randint(-20, 20)),
        "quality": maybe(rnd.choice((0.5, 1, 2.5, -1.25, 3))),
    }
    did.json = {k: v for k, v in values.items() if v is not None}


def generate(
    containers_per_scope: int = 3, datasets_per_container: int = 5, files_base: int = 4, seed: int = 16
) -> DataSet:
    """A few thousand DIDs with the defaults (3, 5, 4) * 3 scopes: ~ (3 + 15 + 15*(4..33)) per scope."""
    rnd = random.Random(seed)
    dids: list[Did] = []
    attachments: list[tuple[str, str, str, str]] = []
    closed: list[tuple[str, str]] = []
    files_of: dict[str, list[Did]] = {}
    datasets_of: dict[str, list[Did]] = {}
    for scope in SCOPES:
        top = Did(scope, f"{scope}.top", "C")
        dids.append(top)
        datasets_of[scope] = []
        for c in range(containers_per_scope):
            container = Did(scope, f"{scope}.cont{c:02d}", "C")
            dids.append(container)
            attachments.append((scope, top.name, scope, container.name))
            for d in range(datasets_per_container):
                number = c * datasets_per_container + d
                dataset = Did(scope, f"{scope}.ds{number:03d}_{FORMATS[number % len(FORMATS)]}", "D")
                dids.append(dataset)
                datasets_of[scope].append(dataset)
                attachments.append((scope, container.name, scope, dataset.name))
                files = []
                for f in range(files_base + (7 * number) % 30):
                    file = Did(
                        scope,
                        f"{dataset.name}.f{f:03d}.root",
                        "F",
                        bytes=1000 + 37 * f + number,
                        adler32=f"{(number * 131 + f) % 0xFFFFFFFF:08x}",
                    )
                    files.append(file)
                    attachments.append((scope, dataset.name, scope, file.name))
                dids.extend(files)
                files_of[dataset.name] = files
                if number % 3 == 2:
                    closed.append((scope, dataset.name))
    # Cross-scope: a user container of other scopes' datasets, and a dataset of files with two parents.
    user = "user.jdoe"
    mixed = Did(user, "user.jdoe.mixed", "C")
    picks = Did(user, "user.jdoe.picks", "D")
    dids.extend([mixed, picks])
    for scope in ("data23", "mc23"):
        for dataset in datasets_of[scope][:3]:
            attachments.append((user, mixed.name, scope, dataset.name))
            for file in files_of[dataset.name][:2]:
                attachments.append((user, picks.name, scope, file.name))
    for index, did in enumerate(dids):
        _metadata(did, rnd, index)
    return DataSet(dids, attachments, closed)
