"""`DidmetaPlugin` inside Rucio: Rucio's core metadata functions in process (Rucio's venv) against a live
didmeta server, on SQLite and on PostgreSQL (the Rucio database and didmeta's catalogue of one kind)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.auth import ISSUER, SECRET, hs256_token
from tests.support.backends import RunningBackend
from tests.support.databases import new_postgres_database
from tests.support.rucio_env import REPO_ROOT as ROOT
from tests.support.rucio_env import RucioEnv
from tests.support.server import ServerProcess

#: Building a Rucio catalogue with Rucio's core API (once per session, in the first test that needs it)
#: takes minutes on a loaded machine: more than the suite's default per-test timeout.
pytestmark = pytest.mark.timeout(1200)


@pytest.mark.parametrize(("kind", "auth"), [("sqlite", "local"), ("postgresql", "local"), ("sqlite", "token")])
def test_rucio_core_metadata_functions_through_the_plugin(
    kind: str,
    auth: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    make_catalogue_url: Callable[[str], str],
    start_server: Callable[..., ServerProcess],
) -> None:
    """With `token`, the server authenticates tokens and rucio.cfg gives the plugin a token file: an admin
    token, as the plugin creates scopes and names Rucio's owners as creators on a DID's first write."""
    settings: dict[str, object] = {"database": make_catalogue_url(kind), "log_format": "text"}
    didmeta_section = {"timeout": "30"}
    scenario_args: list[str] = []
    if auth == "token":
        settings["auth"] = {"mode": "token", "hs256_secret": SECRET, "issuers": [ISSUER], "admin_accounts": ["rucio"]}
        token_file = tmp_path / "didmeta.token"
        token_file.write_text(hs256_token("rucio", ttl=3600) + "\n")
        didmeta_section["token_file"] = str(token_file)
        scenario_args = ["--token-file", str(token_file)]
    server = start_server(settings)
    if kind == "sqlite":
        database = f"sqlite:///{tmp_path / 'rucio.db'}"
    else:
        backend: RunningBackend = request.getfixturevalue("postgres_server")
        database = new_postgres_database(backend.url, prefix="rucioplugin")
    env = RucioEnv(
        tmp_path / "rucio",
        database,
        {
            "metadata": {"plugins": "didmeta.integrations.rucio.plugin.DidmetaPlugin"},
            "didmeta": {"server": server.address, **didmeta_section},
        },
    )
    scenario = ROOT / "tests" / "rucio" / "plugin_scenario.py"
    done = env.run(
        [str(scenario), "--didmeta", server.address, "--rucio-db", env.database, *scenario_args], check=False
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-5000:]
    result = json.loads(lines[-1])
    assert result["failures"] == [], "\n".join(result["failures"])
    assert result["checks"] >= 30
