"""Fresh databases for tests: a new SQLite file, or a new database on the shared PostgreSQL server."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import psycopg

_counter = itertools.count()


def new_postgres_database(server_url: str, prefix: str = "t") -> str:
    """CREATE DATABASE on the test server; its URL."""
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def new_sqlite_database(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / f'catalogue_{next(_counter)}.db'}"
