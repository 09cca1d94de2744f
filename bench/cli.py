"""What every bench's command line shares: where its results go (`--out`) and where it works (`--workdir`)."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRATCH_HELP = "scratch directory (default: a temporary one, removed at the end)"
KEPT_HELP = "directory for the bench's databases and servers (default: a new temporary one)"


def add_output_arguments(parser: argparse.ArgumentParser, *, workdir_help: str = SCRATCH_HELP) -> None:
    """`--out` (the JSON results file; none: printed only) and `--workdir`."""
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    parser.add_argument("--workdir", type=Path, default=None, help=workdir_help)


def add_call_arguments(parser: argparse.ArgumentParser, *, files: int, calls: int, repeat: int = 5) -> None:
    """`--files`, `--calls` and `--repeat` of the in-process benches that time ways of a call on one catalogue."""
    parser.add_argument("--files", type=int, default=files, help="files in the catalogue (the calls cycle over them)")
    parser.add_argument("--calls", type=int, default=calls, help="calls per way and repetition")
    parser.add_argument("--repeat", type=int, default=repeat, help="repetitions (the ways alternate)")


@contextmanager
def scratch_directory(workdir: Path | None, prefix: str) -> Iterator[Path]:
    """A temporary directory inside `workdir` (made if missing; None: the system's), removed at the end."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=workdir) as scratch:
        yield Path(scratch)


def work_directory(workdir: Path | None, prefix: str) -> Path:
    """`workdir`, or a new temporary directory that the bench decides whether to keep."""
    return workdir if workdir is not None else Path(tempfile.mkdtemp(prefix=prefix))
