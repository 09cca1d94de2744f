"""The POSTGRES_JSON plugin class: PostgresJsonWrites (writes, on reads) and PostgresJsonListing
(select), both on PostgresJsonSchema (the table) and PostgresJsonConnection (client)."""

from __future__ import annotations

from didmeta.plugins.base import ALL_FEATURES
from didmeta.plugins.postgres_json.client import PLUGIN_NAME
from didmeta.plugins.postgres_json.query import PostgresJsonListing
from didmeta.plugins.postgres_json.writes import PostgresJsonWrites


class PostgresJsonPlugin(PostgresJsonWrites, PostgresJsonListing):
    """One JSONB document per DID in a table of an external PostgreSQL database."""

    name = PLUGIN_NAME
    options_spec = {
        "url": "PostgreSQL URL (required)",
        "table": "table name (default did_meta)",
        "schema": "schema of the table (default: the search path)",
        "scope_column": "scope column (default scope)",
        "name_column": "name column (default name)",
        "meta_column": "JSONB column (default meta)",
        "managed": "true: didmeta creates the table and its GIN index; false: an existing table is checked",
        "statement_timeout_ms": "statement timeout in milliseconds (default 30000)",
        "pool_size": "connection pool size (default 4)",
    }
    description = "Metadata as a JSONB document per DID in an external PostgreSQL table (GIN-indexed)"
    features = ALL_FEATURES
