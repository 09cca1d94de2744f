"""Every `DIDMETA_*` environment variable that is not a server setting, in one place.

A server setting `foo` is read from `DIDMETA_FOO` (nested: `DIDMETA_FOO__BAR`); the variables below
are read by the CLI, the config loader and the project's tooling. `didmeta serve` refuses any other
`DIDMETA_*` variable, naming it, so that a typo (`DIDMETA_LISTN`) is not silently ignored.
docs/configuration.md lists the same names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

PREFIX = "DIDMETA_"

#: Name -> who reads it.
KNOWN_VARIABLES: dict[str, str] = {
    "DIDMETA_CONFIG": "didmeta serve: the config file (like --config)",
    "DIDMETA_SERVER": "the CLI: HOST:PORT of the server (like --server)",
    "DIDMETA_TIMEOUT": "the CLI: deadline of a call in seconds (like --timeout)",
    "DIDMETA_TOKEN": "the CLI: bearer token sent to the server",
    "DIDMETA_TOKEN_FILE": "the CLI: file holding the bearer token",
    "DIDMETA_CA": "the CLI: CA bundle to verify the server (like --ca)",
    "DIDMETA_CERT": "the CLI: client certificate for mTLS (like --cert)",
    "DIDMETA_KEY": "the CLI: private key of the client certificate (like --key)",
    "DIDMETA_USE_TLS": "the CLI: TLS with the system CA roots (like --tls; DIDMETA_TLS is the server's tls setting)",
    "DIDMETA_CACHE": "tools/backends, bench: cache of backend downloads and builds",
    "DIDMETA_HYPOTHESIS_EXAMPLES": "tests/property: examples per RPC (default 25)",
    "DIDMETA_HYPOTHESIS_EXPLORE": "tests: 1 = hypothesis draws fresh examples (default: the same ones every run)",
    "DIDMETA_MATRIX_FILE": "tests/conformance: where to write the plugin x feature matrix",
    "DIDMETA_POSTGRES_URL": "tools/backends/all.sh start: URL of the started PostgreSQL",
    "DIDMETA_FERRETDB_URL": "tools/backends/all.sh start: URL of the started FerretDB",
    "DIDMETA_OPENSEARCH_URL": "tools/backends/all.sh start: URL of the started OpenSearch",
    "DIDMETA_ELASTICSEARCH_URL": "tools/backends/all.sh start: URL of the started Elasticsearch",
}


def unknown_variables(environ: Mapping[str, str], setting_names: Iterable[str]) -> list[tuple[str, str | None]]:
    """`DIDMETA_*` variables that are neither a setting nor known: (name, a close known name or None)."""
    settings = {name.upper() for name in setting_names}
    candidates = sorted({PREFIX + s for s in settings} | set(KNOWN_VARIABLES))
    unknown: list[tuple[str, str | None]] = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in KNOWN_VARIABLES:
            continue
        if upper[len(PREFIX) :].split("__", 1)[0] in settings:
            continue
        close = difflib.get_close_matches(upper, candidates, n=1)
        unknown.append((name, close[0] if close else None))
    return unknown
