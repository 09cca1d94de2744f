"""Metadata keys read in a listing's own SQL statement, as extra columns (long and Arrow listings).

A pure-SQL listing (query/plan.py `select_page`) gets one extra column per requested key whose owner
keeps it in the catalogue database (`m<i>`):

- an optimised DID_COLUMN column: the column itself;
- a JSON plugin key: its JSON text, NULL when the key is missing (SQLite `meta -> '$."key"'`, PostgreSQL
  `CAST(meta -> 'key' AS TEXT)`). Its type is read from the text's first character (`json_text_value`
  here, arrow_convert.py `json_text_kinds` for Arrow columns). One JSON function per key: SQLite parses
  the document again for every JSON function of a row, and the type and string columns this replaced
  (`json_type`/`jsonb_typeof` twice, then `json_extract`/`->>`) took about twice the time of the text
  alone on both databases.

Every other key (intrinsic attributes, external plugins) has the source "other" and is read by
`Dispatcher.metadata_for` per batch. Long listings decode the extra columns of each row with
`RowMetadata` (values equal GetMetadata's: the JSON text decoded as the JSON plugin's `get_many` does);
Arrow listings type them column by column (arrow_convert.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, Select, Text, cast, literal_column
from sqlalchemy.dialects import postgresql

from didmeta.attributes import OPTIMISED
from didmeta.server.store.schema import dids
from didmeta.values import MetaValue, from_json

if TYPE_CHECKING:
    from didmeta.server.dispatcher import Dispatcher
    from didmeta.values import Metadata

Source = Literal["int", "string", "json", "other"]

#: Metadata keys one listing may ask for: a column each in its statement, and SQLite takes 2,000 result
#: columns, PostgreSQL 1,664 (more keys failed as an internal error on SQLite).
MAX_METADATA_KEYS = 1000

#: A number text json.loads reads as a float (a fraction or an exponent); without one, an int.
FRACTION = re.compile(r"[.eE]")
_LITERALS: dict[str, MetaValue] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class MetaColumn:
    """Where one requested metadata key comes from: a DID column, the JSON document, or the plugins."""

    key: str
    source: Source
    index: int  # position among the requested keys: the SQL columns are m<index>, k<index>, n<index>


def meta_columns(dispatcher: Dispatcher, wanted: Sequence[str]) -> list[MetaColumn]:
    """The source of each requested key (the owners `Dispatcher.metadata_for` would read)."""
    out: list[MetaColumn] = []
    for index, key in enumerate(wanted):
        source: Source
        if dispatcher.did_column.filter_kind(key):
            source = ("int" if OPTIMISED[key] == "int" else "string") if key in OPTIMISED else "other"
        elif dispatcher.owner_of(key).name == "JSON":
            source = "json"
        else:
            source = "other"
        out.append(MetaColumn(key, source, index))
    return out


def extraction(column: MetaColumn, dialect: str) -> list[ColumnElement[Any]]:
    """The SQL column of one key (none for the source "other")."""
    i = column.index
    if column.source == "other":
        return []
    if column.source in ("int", "string"):
        return [dids.c[column.key].label(f"m{i}")]
    if dialect == "sqlite":
        path: ColumnElement[str] = literal_column(f"'$.\"{column.key}\"'")  # keys are [A-Za-z0-9_-] (validate_key)
        return [dids.c.meta.op("->", return_type=Text)(path).label(f"m{i}")]
    field = dids.c.meta.op("->", return_type=postgresql.JSONB)(literal_column(f"'{column.key}'"))
    return [cast(field, Text).label(f"m{i}")]


def listing_statement(statement: Select[Any], dialect: str, columns: Sequence[MetaColumn]) -> Select[Any]:
    """The listing's statement with the SQL-extracted metadata columns added (after its own columns)."""
    extra = [expr for column in columns for expr in extraction(column, dialect)]
    return statement.add_columns(*extra) if extra else statement


def json_text_value(text: str | None) -> MetaValue:
    """The value of a JSON key from its JSON text, as the JSON plugin's `get_many` returns it; None when
    absent (NULL) or a JSON null. Scalars are read as `json.loads` reads them, without it."""
    if text is None:
        return None
    lead = text[0]
    if lead == '"':
        return text[1:-1] if "\\" not in text else json.loads(text)  # no escapes: the text between the quotes
    if lead in "{[":
        return from_json(json.loads(text))
    if lead in "tfn":
        return _LITERALS[text]
    return float(text) if FRACTION.search(text) else int(text)


class RowMetadata:
    """Decodes the extra columns of long listing rows (`listing_statement`) into each DID's metadata."""

    def __init__(self, columns: Sequence[MetaColumn], dialect: str, start: int) -> None:
        """`start`: the position of the first extra column in a row."""
        self._readers: list[tuple[str, bool, int]] = []  # (key, is a JSON key, position)
        position = start
        for column in columns:
            if extraction(column, dialect):
                self._readers.append((column.key, column.source == "json", position))
                position += 1

    def decode(self, rows: Sequence[Sequence[Any]]) -> list[Metadata]:
        """Per row, its requested keys that have a value (a missing key is absent)."""
        out: list[Metadata] = []
        for row in rows:
            metadata: Metadata = {}
            for key, is_json, position in self._readers:
                value: MetaValue = json_text_value(row[position]) if is_json else row[position]
                if value is not None:
                    metadata[key] = value
            out.append(metadata)
        return out
