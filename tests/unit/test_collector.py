"""The server's garbage-collector set-up (server/collector.py): frozen start-up heap, raised young threshold.

Each case runs in a child interpreter: the collector's state is process-wide, and the test process keeps
its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYTHON_DEFAULT = (700, 10, 10)


def child(script: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run `script` in a fresh interpreter; it prints one JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("threshold", [10_000, 2_500])
def test_tune_collector_freezes_and_raises_the_young_threshold(threshold: int) -> None:
    result = child(
        f"""
        import gc, json
        from didmeta.server.collector import tune_collector
        before = gc.get_threshold()
        tune_collector({threshold})
        print(json.dumps({{"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}}))
        """
    )
    assert tuple(result["before"]) == PYTHON_DEFAULT  # type: ignore[arg-type]
    assert tuple(result["after"]) == (threshold, 10, 10)  # type: ignore[arg-type]
    assert int(result["frozen"]) > 1000  # type: ignore[call-overload]


def test_tune_collector_zero_leaves_the_collector_alone() -> None:
    result = child(
        """
        import gc, json
        from didmeta.server.collector import tune_collector
        tune_collector(0)
        print(json.dumps({"after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
        """
    )
    assert tuple(result["after"]) == PYTHON_DEFAULT  # type: ignore[arg-type]
    assert result["frozen"] == 0


SERVE = """
    import asyncio, gc, json, os, signal, sys
    from pathlib import Path
    from didmeta.server.app import serve
    from didmeta.server.config import Settings

    work = Path(sys.argv[1])

    async def main() -> None:
        settings = Settings(listen="127.0.0.1:0", database=f"sqlite:///{work / 'catalogue.db'}")
        port_file = work / "port"
        task = asyncio.ensure_future(serve(settings, port_file))
        while not port_file.exists():
            await asyncio.sleep(0.05)
        state = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}
        os.kill(os.getpid(), signal.SIGTERM)
        await task
        print(json.dumps(state))

    asyncio.run(main())
"""


@pytest.mark.parametrize(("env", "expected"), [({}, (10_000, 10, 10)), ({"DIDMETA_GC_YOUNG_THRESHOLD": "0"}, None)])
def test_serve_tunes_the_collector_before_it_reports_its_port(
    tmp_path: Path, env: dict[str, str], expected: tuple[int, int, int] | None
) -> None:
    """`serve` (what `didmeta serve` and every worker process run) applies the setting, read from the
    environment, before it writes its port file; 0 keeps Python's own collector."""
    script = textwrap.dedent(SERVE).replace("sys.argv[1]", repr(str(tmp_path)))
    result = child(script, {"DIDMETA_LOG_LEVEL": "WARNING", **env})
    if expected is None:
        assert tuple(result["threshold"]) == PYTHON_DEFAULT  # type: ignore[arg-type]
        assert result["frozen"] == 0
    else:
        assert tuple(result["threshold"]) == expected  # type: ignore[arg-type]
        assert int(result["frozen"]) > 1000  # type: ignore[call-overload]


SPAWN = """
    import gc, json, os, sys
    from pathlib import Path
    from didmeta.server import workers
    from didmeta.server.config import Settings

    work = Path(sys.argv[1])
    seen = work / "frozen-in-worker"

    def observe(settings, port_file, supervisor):  # stands in for the server: what the worker starts with
        seen.write_text(str(gc.get_freeze_count()))
        return 0

    workers._run_worker = observe
    settings = Settings(listen="127.0.0.1:0", database=f"sqlite:///{work / 'catalogue.db'}")
    supervisor = workers.Supervisor(settings, None)
    before = gc.get_freeze_count()
    worker = supervisor.spawn(0, settings)
    _, status = os.waitpid(worker.pid, 0)
    print(json.dumps({"status": status, "before": before, "worker": int(seen.read_text())}))
"""


@pytest.mark.parametrize(("env", "frozen"), [({}, True), ({"DIDMETA_GC_YOUNG_THRESHOLD": "0"}, False)])
def test_the_supervisor_freezes_its_objects_before_it_forks_a_worker(
    tmp_path: Path, env: dict[str, str], frozen: bool
) -> None:
    """`Supervisor.spawn` freezes the supervisor's objects before the fork, so the worker starts with them
    frozen (its collector never walks them); with `gc_young_threshold` 0 nothing is frozen."""
    script = textwrap.dedent(SPAWN).replace("sys.argv[1]", repr(str(tmp_path)))
    result = child(script, env)
    assert result["status"] == 0 and result["before"] == 0
    if frozen:
        assert int(result["worker"]) > 1000  # type: ignore[call-overload]
    else:
        assert result["worker"] == 0
