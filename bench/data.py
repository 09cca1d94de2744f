"""The benchmark data set: containers of datasets of files across a few scopes, deterministic.

Pure standard library on purpose: the Rucio peer script (`bench.rucio_peer`) imports this module
from Rucio's own virtual environment, so both systems get exactly the same DIDs and values.

Shape (the recipe of shared/notes/rucio-in-process.md, extended):
* C containers, each holding 10 datasets; dataset `d` holds `5 + (7*d) % 31` files (20 on average),
  so a container is ~211 DIDs. C is the smallest count that reaches N; the last files are cut so
  that there are exactly N DIDs. Order: every container, then every dataset, then every file.
* For DID `i` in that order, `rnd = random.Random(seed)` draws, in this order, `run = randint(1, 5000)`,
  `data_format` from FORMATS, `period` from PERIODS, `energy = round(uniform(0, 14000), 3)` and
  `taken_at` uniform over 2022-2024. With seed 12345 and N = 100,000 this gives 20,023 RAW DIDs and
  1,969 with 1000 < run < 1100, the counts quoted for Rucio.
* Metadata per DID (5 to 8 keys): DID_COLUMN keys `run_number` (int), `datatype` (= data_format),
  `campaign` (= period), `panda_id` (i % 10000); JSON keys `data_format` (string), `energy` (double,
  missing on ~10%), `taken_at` (timestamp, missing on ~5%), `tags` (list of strings, on ~30%).
  Those extra choices come from a second generator so the Rucio recipe's stream is untouched.
* Scopes: container `c` goes to `data23` if `c % 10 < 8`, else `mc23` (8) or `user.bench` (9);
  its datasets and files follow it. `data23` is the "whole scope" of the listing scenarios (~80%).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SEED = 12345
FORMATS = ("RAW", "AOD", "ESD", "DAOD", "HITS")
PERIODS = ("data22", "data23", "data24", "mc21a", "mc23a", "mc23c", "mc23d", "mc23e")
TAGS = ("calib", "good_run", "express", "reprocessed", "grl", "physics_Main", "debug")
MAIN_SCOPE = "data23"
SCOPES = ("data23", "mc23", "user.bench")
DATASETS_PER_CONTAINER = 10
ACCOUNT = "root"
_T0 = datetime(2022, 1, 1, tzinfo=UTC)
_SPAN_S = (datetime(2025, 1, 1, tzinfo=UTC) - _T0).total_seconds()

#: Keys stored by DID_COLUMN (optimised columns) and by the JSON plugin.
COLUMN_KEYS = ("run_number", "datatype", "campaign", "panda_id")
JSON_KEYS = ("data_format", "energy", "taken_at", "tags")


def files_in_dataset(d: int) -> int:
    return 5 + (7 * d) % 31


def scope_of_container(c: int) -> str:
    r = c % 10
    return SCOPES[0] if r < 8 else SCOPES[1] if r == 8 else SCOPES[2]


def container_count(n: int) -> int:
    """The smallest number of containers whose full tree reaches n DIDs."""
    c, total = 0, 0
    while total < n:
        total += (
            1
            + DATASETS_PER_CONTAINER
            + sum(files_in_dataset(d) for d in range(c * DATASETS_PER_CONTAINER, (c + 1) * DATASETS_PER_CONTAINER))
        )
        c += 1
    return c


@dataclass(slots=True)
class Did:
    """One generated DID; `type` is C, D or F; `parent` is None for containers."""

    index: int
    scope: str
    name: str
    type: str
    parent: tuple[str, str] | None
    bytes: int | None = None
    adler32: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def column_values(self) -> dict[str, Any]:
        return {k: self.metadata[k] for k in COLUMN_KEYS if k in self.metadata}

    @property
    def json_values(self) -> dict[str, Any]:
        return {k: self.metadata[k] for k in JSON_KEYS if k in self.metadata}


@dataclass(frozen=True)
class Shape:
    n: int
    containers: int
    datasets: int
    files: int

    @classmethod
    def of(cls, n: int) -> Shape:
        c = container_count(n)
        d = min(c * DATASETS_PER_CONTAINER, max(n - c, 0))
        return cls(n, min(c, n), d, max(n - c - d, 0))


def generate(n: int, seed: int = SEED) -> Iterator[Did]:
    """Exactly n DIDs: containers, then datasets, then files (attachments point to earlier DIDs)."""
    shape = Shape.of(n)
    rnd = random.Random(seed)
    extra = random.Random(seed + 1)
    names: list[tuple[str, str]] = []  # container then dataset keys, by index
    i = 0

    def values() -> dict[str, Any]:
        run = rnd.randint(1, 5000)
        data_format = rnd.choice(FORMATS)
        period = rnd.choice(PERIODS)
        energy = round(rnd.uniform(0, 14000), 3)
        taken_at = _T0 + timedelta(seconds=rnd.uniform(0, _SPAN_S))
        md: dict[str, Any] = {
            "run_number": run,
            "datatype": data_format,
            "campaign": period,
            "panda_id": i % 10000,
            "data_format": data_format,
        }
        if extra.random() >= 0.10:
            md["energy"] = energy
        if extra.random() >= 0.05:
            md["taken_at"] = taken_at.replace(microsecond=(taken_at.microsecond // 1000) * 1000)
        if extra.random() < 0.30:
            md["tags"] = extra.sample(TAGS, 1 + extra.randrange(3))
        return md

    for c in range(shape.containers):
        scope = scope_of_container(c)
        key = (scope, f"{scope}.c{c:06d}")
        names.append(key)
        yield Did(i, key[0], key[1], "C", None, metadata=values())
        i += 1
    for d in range(shape.datasets):
        c = d // DATASETS_PER_CONTAINER
        parent = names[c]
        key = (parent[0], f"{parent[1]}.d{d % DATASETS_PER_CONTAINER:02d}")
        names.append(key)
        yield Did(i, key[0], key[1], "D", parent, metadata=values())
        i += 1
    remaining = shape.files
    for d in range(shape.datasets):
        parent = names[shape.containers + d]
        for f in range(min(files_in_dataset(d), remaining)):
            md = values()
            yield Did(
                i,
                parent[0],
                f"{parent[1]}._{f:05d}.root",
                "F",
                parent,
                bytes=extra.randint(1_000_000, 5_000_000_000),
                adler32=f"{extra.getrandbits(32):08x}",
                metadata=md,
            )
            i += 1
        remaining -= min(files_in_dataset(d), remaining)
        if remaining <= 0:
            break


def collection_sizes(dids: list[Did]) -> dict[tuple[str, str], tuple[int, int]]:
    """(bytes, length) of every collection, as the catalogue keeps them (length counts files)."""
    sizes: dict[tuple[str, str], list[int]] = {}
    for did in reversed(dids):  # files first, then datasets, then containers
        own = sizes.get((did.scope, did.name), [0, 0])
        if did.parent is None:
            continue
        total = sizes.setdefault(did.parent, [0, 0])
        if did.type == "F":
            total[0] += did.bytes or 0
            total[1] += 1
        else:
            total[0] += own[0]
            total[1] += own[1]
    return {k: (v[0], v[1]) for k, v in sizes.items()}


def streamed_collection_sizes(n: int, seed: int = SEED) -> dict[tuple[str, str], tuple[int, int]]:
    """`collection_sizes` of `generate(n, seed)` in one streamed pass: only the collections are held."""
    sizes: dict[tuple[str, str], list[int]] = {}
    containers: dict[tuple[str, str], tuple[str, str]] = {}  # dataset -> its container
    for did in generate(n, seed):
        if did.parent is None:
            continue
        if did.type == "F":
            total = sizes.setdefault(did.parent, [0, 0])
            total[0] += did.bytes or 0
            total[1] += 1
        else:
            containers[(did.scope, did.name)] = did.parent
    for dataset, container in containers.items():
        own = sizes.get(dataset, [0, 0])
        total = sizes.setdefault(container, [0, 0])
        total[0] += own[0]
        total[1] += own[1]
    return {k: (v[0], v[1]) for k, v in sizes.items()}


def batched(dids: Iterable[Did], size: int) -> Iterator[list[Did]]:
    """Lists of `size` DIDs (the last shorter), taken from `dids` as they come."""
    iterator = iter(dids)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def name_prefix(shape: Shape) -> str:
    """A name prefix of the main scope selecting roughly 2% of the containers' trees."""
    k = 0
    while 10 ** (k + 1) * 5 <= shape.containers:
        k += 1
    middle = f"{shape.containers // 20 * 10:06d}"
    return f"{MAIN_SCOPE}.c{middle[: 6 - k]}"
