"""External plugins for `bench.run --external`: their backend servers and one fresh store per catalogue.

The didmeta server runs with `plugins = ["DID_COLUMN", PLUGIN]`, so every key that is not an optimised
column lives in PLUGIN. Each catalogue database (one per load repetition) gets its own store in the
backend (a MongoDB database, an index, a PostgreSQL database), named after the catalogue file, so the
read scenarios use exactly the store the last load filled.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import REPO_ROOT, Postgres

#: plugin name -> tests/support/backends.py kind
KINDS = {"MONGO": "ferretdb", "ELASTIC": "opensearch", "POSTGRES_JSON": "postgres"}


@dataclass
class External:
    """One external plugin and its running backend server (stopped by `stop`, by PID)."""

    plugin: str
    directory: Path
    url: str = ""
    _backend: Any = None
    _postgres: Postgres | None = None
    _options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def start(self) -> External:
        if self.plugin == "POSTGRES_JSON":  # fresh databases come from the cluster's admin URL
            self._postgres = Postgres(self.directory).start()
            self.url = self._postgres.url
            return self
        sys.path.insert(0, str(REPO_ROOT))
        from tests.support.backends import start_backend

        self._backend = start_backend(KINDS[self.plugin], self.directory)  # type: ignore[arg-type]
        self.url = self._backend.url
        return self

    def stop(self) -> None:
        if self._postgres is not None:
            self._postgres.stop()
            self._postgres = None
        if self._backend is not None:
            from tests.support.backends import stop_backend

            stop_backend(self._backend)
            self._backend = None

    @staticmethod
    def store_name(catalogue: str) -> str:
        """A database / index name from the catalogue URL (its file stem), lower case, `[a-z0-9_]`."""
        stem = Path(catalogue.rsplit("/", 1)[-1]).stem
        return "bench_" + re.sub(r"[^a-z0-9_]", "_", stem.lower())

    def options(self, catalogue: str) -> dict[str, Any]:
        """plugin_options of the store that goes with this catalogue (created empty on first use)."""
        if catalogue not in self._options:
            store = self.store_name(catalogue)
            if self.plugin == "MONGO":
                options: dict[str, Any] = {"url": self.url, "database": store}
            elif self.plugin == "ELASTIC":
                # no refresh per bulk request during the load; `refresh` below makes it searchable
                options = {"url": self.url, "index": store, "flavor": "opensearch", "refresh": "false"}
            else:
                assert self._postgres is not None
                options = {"url": self._postgres.fresh_database(store)}
            self._options[catalogue] = options
        return self._options[catalogue]

    def settings(self, catalogue: str) -> dict[str, Any]:
        """Server settings (TOML) for a server on this catalogue."""
        return {"plugins": ["DID_COLUMN", self.plugin], "plugin_options": {self.plugin: self.options(catalogue)}}

    def refresh(self, catalogue: str) -> float | None:
        """ELASTIC: refresh the store's index once after a load (writes used refresh=false); seconds taken."""
        if self.plugin != "ELASTIC":
            return None
        from opensearchpy import OpenSearch

        client = OpenSearch(self.url)
        try:
            start = time.perf_counter()
            client.indices.refresh(index=self.options(catalogue)["index"])
            return time.perf_counter() - start
        finally:
            client.close()
