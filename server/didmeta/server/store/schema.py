"""Tables of the relational store (SQLite or PostgreSQL).

`dids` holds every DID with its intrinsic attributes, Rucio's optimised columns (DID_COLUMN
plugin) and the `meta` JSON column (JSON plugin; JSONB on PostgreSQL). `contents` holds the
attachments. `embargoes` holds the embargo set on a DID (didmeta.server.access.embargo) and
`history` the audit trail of every change (didmeta.server.history). Scope and name columns sort
byte-wise (COLLATE "C" on PostgreSQL) so that every backend lists in the same order.

On PostgreSQL `dids` and `contents` may be hash-partitioned by scope (`database_partitions`,
migrations.py): the same tables, columns and indexes, so every query is the same; `didmeta_layout`
records the layout the catalogue was created with.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from didmeta.attributes import OPTIMISED


def _text(length: int) -> TypeEngine[str]:
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _column_type(kind: str) -> TypeEngine[Any]:
    if kind == "int":
        return BigInteger()
    return String(255)


metadata = MetaData()

scopes = Table(
    "scopes",
    metadata,
    Column("scope", _text(25), primary_key=True),
    Column("account", String(25), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

dids = Table(
    "dids",
    metadata,
    Column("scope", _text(25), nullable=False),
    Column("name", _text(250), nullable=False),
    Column("did_type", String(1), nullable=False),
    Column("account", String(25), nullable=False),
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("length", BigInteger, nullable=False, default=0),
    Column("events", BigInteger, nullable=True),
    Column("md5", String(32), nullable=True),
    Column("adler32", String(8), nullable=True),
    Column("guid", String(36), nullable=True),
    Column("is_open", Boolean, nullable=False, default=False),
    Column("suppressed", Boolean, nullable=False, default=False),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("closed_at", DateTime, nullable=True),
    Column("accessed_at", DateTime, nullable=True),
    Column("expired_at", DateTime, nullable=True),
    Column("eol_at", DateTime, nullable=True),
    *(Column(key, _column_type(kind), nullable=True) for key, kind in OPTIMISED.items()),
    Column("meta", JSON().with_variant(JSONB(), "postgresql"), nullable=True),
    PrimaryKeyConstraint("scope", "name", name="dids_pk"),
    ForeignKeyConstraint(["scope"], ["scopes.scope"], name="dids_scope_fk"),
)

Index("dids_type_idx", dids.c.scope, dids.c.did_type, dids.c.name)
Index("dids_created_idx", dids.c.created_at)
#: Optimised columns with an index, scope first (every listing is within a scope pattern).
INDEXED_COLUMNS = ("run_number", "datatype", "campaign", "project", "panda_id", "task_id", "stream_name")
# Trailing suppressed and did_type make the index cover a short listing's checks (no table look-up).
for _key in INDEXED_COLUMNS:
    Index(f"dids_scope_{_key}_cov", dids.c.scope, dids.c[_key], dids.c.name, dids.c.suppressed, dids.c.did_type)

contents = Table(
    "contents",
    metadata,
    Column("scope", _text(25), nullable=False),
    Column("name", _text(250), nullable=False),
    Column("child_scope", _text(25), nullable=False),
    Column("child_name", _text(250), nullable=False),
    Column("child_type", String(1), nullable=False),
    PrimaryKeyConstraint("scope", "name", "child_scope", "child_name", name="contents_pk"),
)
Index("contents_child_idx", contents.c.child_scope, contents.c.child_name)

embargoes = Table(
    "embargoes",
    metadata,
    Column("scope", _text(25), nullable=False),
    Column("name", _text(250), nullable=False),
    Column("until", DateTime, nullable=False),
    Column("recursive", Boolean, nullable=False, default=False),
    Column("account", String(25), nullable=False),
    Column("created_at", DateTime, nullable=False),
    PrimaryKeyConstraint("scope", "name", name="embargoes_pk"),
)

history = Table(
    "history",
    metadata,
    Column("id", Integer().with_variant(BigInteger(), "postgresql"), primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("account", String(255), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("scope", _text(25), nullable=False),
    Column("name", _text(250), nullable=False),
    Column("action", String(16), nullable=False),
    Column("key", String(100), nullable=True),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
)
Index("history_did_idx", history.c.scope, history.c.name, history.c.id)

#: Declared metadata keys (didmeta.server.keys): the declaration as JSON text.
declared_keys = Table(
    "declared_keys",
    metadata,
    Column("key", _text(100), primary_key=True),
    Column("declaration", Text, nullable=False),
    Column("account", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
Index("history_at_idx", history.c.at)

schema_version = Table(
    "didmeta_schema",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)

#: The physical layout the catalogue was created with (setting name -> value as text).
layout = Table(
    "didmeta_layout",
    metadata,
    Column("setting", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

#: Tables that `database_partitions` hash-partitions by scope (their keys start with the scope).
PARTITIONED_TABLES = ("dids", "contents")
#: Bounds of `database_partitions` (0: plain tables).
MIN_PARTITIONS, MAX_PARTITIONS = 2, 1024

#: Saved queries (didmeta.server.saved_queries): the SavedQuery message, serialised, base64 text.
saved_queries = Table(
    "saved_queries",
    metadata,
    Column("account", String(255), nullable=False),
    Column("name", _text(100), nullable=False),
    Column("query", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    PrimaryKeyConstraint("account", "name", name="saved_queries_pk"),
)
