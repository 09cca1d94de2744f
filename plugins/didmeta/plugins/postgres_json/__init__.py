"""POSTGRES_JSON: metadata in an external PostgreSQL table, one JSONB document per DID (spec §3).

The table lives in a PostgreSQL database of its own (not the catalogue). Its shape, with the
column names configurable::

    CREATE TABLE did_meta (
        scope TEXT COLLATE "C", name TEXT COLLATE "C", meta JSONB NOT NULL,
        PRIMARY KEY (scope, name));
    CREATE INDEX did_meta_meta_gin ON did_meta USING gin (meta jsonb_path_ops);

With `managed: true` (the default) didmeta creates it; with `managed: false` an existing table is
used and its shape is checked: the three columns exist, meta is jsonb, scope and name are text or
varchar, and a primary key or unique index covers exactly (scope, name) (the writes are upserts and
the listing order must be unique). Listings order by `COLLATE "C"` whatever the columns' collation;
an existing table should have a `COLLATE "C"` index on (scope, name) to stream that order cheaply.

Filter clauses are the JSON plugin's (`JsonConditions`, PostgreSQL flavour), so both plugins
answer every filter identically. Documents use `didmeta.values.to_json`; doubles are written with
a decimal point so that PostgreSQL's numeric keeps them doubles (`1e16` would come back as an int).
A DID without keys has no row.

Writes run in their own transaction on the external database, committed before the request's
catalogue transaction: each write locks the rows it touches, snapshots the touched keys and
registers a compensation (`UnitOfWork.on_rollback`) that puts exactly those keys back, in a new
transaction, if the request fails later. Compensating per key rather than per document leaves
keys written meanwhile by other requests alone.

The server may be down when didmeta starts: `start` then only logs a warning, and the table is
created or checked on the first successful use. Until the server answers, calls raise
`Unavailable`; pooled connections are pinged before use, so the plugin recovers by itself.

Options (`plugin_options.POSTGRES_JSON`): url (required; `postgresql://` gets the psycopg 3
driver), table ("did_meta"), schema (none: the search path), scope_column ("scope"), name_column
("name"), meta_column ("meta"), managed (true), keys (every key), statement_timeout_ms (30000;
0 for none), pool_size (4).

Modules: `client` (options, engine, table, connection failures as `Unavailable`), `schema` (the
table created or checked, start, health), `reads` (documents by DID, value counts), `query` (the
filter as SQL, `select`, `explain_select`), `writes` (set_many, delete_keys, delete_dids and their
compensations), `plugin` (`PostgresJsonPlugin`, which combines them).
"""

from didmeta.plugins.postgres_json.client import PLUGIN_NAME, PostgresJsonOptions, backend_errors
from didmeta.plugins.postgres_json.plugin import PostgresJsonPlugin
from didmeta.plugins.postgres_json.reads import Document
from didmeta.plugins.postgres_json.writes import Changes

__all__ = ["PLUGIN_NAME", "Changes", "Document", "PostgresJsonOptions", "PostgresJsonPlugin", "backend_errors"]
