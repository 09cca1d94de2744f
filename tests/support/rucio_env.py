"""Rucio 41.5.1 in its own virtualenv, for the Rucio integration tests (tests/rucio).

`rucio_python()` creates or reuses `${DIDMETA_CACHE:-~/.cache/didmeta}/rucio-venv-41.5.1` through
`tools/rucio_venv.sh` (lock-protected, like tools/backends). didmeta is not installed there: the
checkout's namespace folders go on PYTHONPATH (`RucioEnv.run`), so every worktree tests its own code.
`RucioEnv` writes a rucio.cfg (and alembic.ini) for one Rucio database and runs scripts in that venv.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
#: The folders of the `didmeta` namespace package (see docs/architecture.md), then the repo for `tests.*`.
PYTHONPATH_DIRS: Final = ("core", "server", "plugins", "clients/python", "gen/python", ".")
_INSTALL_TIMEOUT_S: Final = 1800.0


@functools.cache
def rucio_python() -> Path:
    """The Rucio venv's python (installed on first use)."""
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "tools" / "rucio_venv.sh"), "python"],
        capture_output=True,
        text=True,
        timeout=_INSTALL_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tools/rucio_venv.sh failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def rucio_url(url: str) -> str:
    """Rucio's form of a database URL: psycopg 3 for PostgreSQL."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class RucioEnv:
    """One Rucio database with its rucio.cfg; scripts run in Rucio's venv against it."""

    def __init__(self, workdir: Path, database: str, sections: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.workdir, self.database = workdir, rucio_url(database)
        self.python = rucio_python()
        workdir.mkdir(parents=True, exist_ok=True)
        package = self.run_python("import os, rucio; print(os.path.dirname(rucio.__file__))").strip()
        alembic = workdir / "alembic.ini"
        alembic.write_text(
            f"[alembic]\nscript_location = {package}/db/sqla/migrate_repo\nsqlalchemy.url = {self.database}\n"
            "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
            "[logger_root]\nlevel = WARNING\nhandlers = console\n"
            "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
            "[formatter_generic]\nformat = %%(levelname)s %%(name)s %%(message)s\n"
        )
        (workdir / "logs").mkdir(exist_ok=True)
        text = (
            f"[common]\nloglevel = WARNING\nlogdir = {workdir / 'logs'}\n"
            f"[database]\ndefault = {self.database}\n[alembic]\ncfg = {alembic}\n"
        )
        for section, options in (sections or {}).items():
            text += f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in options.items())
        self.config = workdir / "rucio.cfg"
        self.config.write_text(text)

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DIDMETA_", "VIRTUAL_ENV", "PYTHON"))}
        env["RUCIO_CONFIG"] = str(getattr(self, "config", ""))
        env["RUCIO_HOME"] = str(self.workdir)
        env["PYTHONPATH"] = os.pathsep.join(str(REPO_ROOT / d) for d in PYTHONPATH_DIRS)
        return env

    def run(self, args: Sequence[str], timeout: float = 600.0, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `python ARGS` in Rucio's venv with this rucio.cfg; raise with the output tail on failure."""
        done = subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.workdir,
            env=self.environment(),
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({done.returncode}) in Rucio's venv:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
            )
        return done

    def run_python(self, code: str) -> str:
        return self.run(["-c", code]).stdout

    def side(self, *args: str, timeout: float = 600.0) -> Any:
        """`tests/rucio/rucio_side.py ARGS`; its last stdout line parsed as JSON."""
        done = self.run([str(REPO_ROOT / "tests" / "rucio" / "rucio_side.py"), *args], timeout=timeout)
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None
