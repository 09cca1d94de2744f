"""Metadata columns of an Arrow batch: one narrow query for the relational owners, plugins for the rest.

`Dispatcher.metadata_for` builds a whole metadata dict per DID (DID_COLUMN reads every column of the
row). For an Arrow batch only the requested keys matter, column by column: the optimised DID_COLUMN
columns and the JSON plugin's keys are read in one `SELECT scope, name, <columns>, meta` per chunk of
the batch, with the same value conversions as those plugins' `get_many` (so values equal
GetMetadata's); any other key (intrinsic attributes, external plugins) goes through `metadata_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from didmeta.attributes import OPTIMISED
from didmeta.identifiers import DidKey
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.store.catalog import keys_in
from didmeta.server.store.schema import dids
from didmeta.values import MetaValue, from_json, normalize_timestamp

_CHUNK = 500  # keys per statement, as the plugins' own reads


def _split(dispatcher: Dispatcher, wanted: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(optimised DID columns, JSON plugin keys, the others)."""
    columns: list[str] = []
    json_keys: list[str] = []
    others: list[str] = []
    for name in wanted:
        if dispatcher.did_column.filter_kind(name):
            (columns if name in OPTIMISED else others).append(name)
        elif dispatcher.owner_of(name).name == "JSON":
            json_keys.append(name)
        else:
            others.append(name)
    return columns, json_keys, others


def _column_value(value: Any) -> MetaValue:
    return normalize_timestamp(value) if isinstance(value, datetime) else value


def metadata_columns(
    dispatcher: Dispatcher, keys: Sequence[DidKey], wanted: Sequence[str]
) -> dict[str, list[MetaValue]]:
    """Per requested key, its value for each DID of `keys` (None where the DID lacks it)."""
    out: dict[str, list[MetaValue]] = {name: [None] * len(keys) for name in wanted}
    columns, json_keys, others = _split(dispatcher, wanted)
    if columns or json_keys:
        index = {key: i for i, key in enumerate(keys)}
        selected = [dids.c.scope, dids.c.name, *(dids.c[c] for c in columns)]
        if json_keys:
            selected.append(dids.c.meta)
        with dispatcher.store.read() as conn:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                for row in conn.execute(select(*selected).where(keys_in(dids.c.scope, dids.c.name, chunk))):
                    i = index[DidKey(row[0], row[1])]
                    for j, name in enumerate(columns, start=2):
                        if row[j] is not None:
                            out[name][i] = _column_value(row[j])
                    document = row[-1] if json_keys else None
                    if document:
                        for name in json_keys:
                            value = document.get(name)
                            if value is not None:
                                out[name][i] = from_json(value)
    if others:
        found = dispatcher.metadata_for(keys, others)
        for name in others:
            out[name] = [found[k].get(name) if k in found else None for k in keys]
    return out
