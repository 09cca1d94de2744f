"""Summarise py-spy raw (collapsed) profiles: where the server's active samples go.

    python -m bench.profile_summary PROFILE.txt [--top 25] [--match didmeta]

Each line of a raw profile is `frame;frame;...;leaf COUNT` with frames `function (file:line)`.
Prints, per function, its self share (leaf samples) and its inclusive share (stacks it is in),
as percentages of all samples in the file. `bench.run --profile DIR` records one file per scenario.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    """`function (path/file.py:12)` -> `path/file.py:function` (py-spy already shortens the paths)."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match.group('file')}:{match.group('func')}"


_OWN = ("server/", "plugins/", "didmeta/", "cli/", "client/", "wire.py", "values.py", "identifiers.py", "filters/")


def summarise(path: Path, top: int = 25, match: str = "") -> str:
    self_counts: Counter[str] = Counter()
    incl_counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith(("thread (", "process "))]
        frames = [_short(f) for f in frames]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            incl_counts[name] += count
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples"]
    lines.append(f"  {'self %':>7} {'incl %':>7}  function")
    shown = 0
    for name, count in self_counts.most_common():
        if match and match not in name:
            continue
        lines.append(f"  {100 * count / total:7.1f} {100 * incl_counts[name] / total:7.1f}  {name}")
        shown += 1
        if shown >= top:
            break
    lines.append("  -- inclusive, didmeta frames --")
    shown = 0
    for name, count in incl_counts.most_common():
        if not name.startswith(_OWN):
            continue
        lines.append(f"  {100 * self_counts[name] / total:7.1f} {100 * count / total:7.1f}  {name}")
        shown += 1
        if shown >= top:
            break
    return "\n".join(lines)


def callers(path: Path, focus: str, top: int = 15) -> str:
    """Samples whose stack contains `focus`, grouped by the deepest didmeta frame above it."""
    by_frame: Counter[str] = Counter()
    total = hits = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(f) for f in stack.split(";")]
        index = next((i for i, f in enumerate(frames) if focus in f), None)
        if index is None:
            continue
        hits += count
        own = [f for f in frames[:index] if f.startswith(_OWN)]
        by_frame[own[-1] if own else "(no didmeta frame)"] += count
    lines = [f"{path.name}: {100 * hits / max(total, 1):.1f}% of samples are in {focus!r}; by didmeta caller:"]
    for name, count in by_frame.most_common(top):
        lines.append(f"  {100 * count / max(total, 1):7.1f}  {name}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only self-time rows whose name contains this")
    parser.add_argument("--callers", default="", help="instead: where samples inside this function come from")
    args = parser.parse_args()
    for path in args.profiles:
        print(callers(path, args.callers, args.top) if args.callers else summarise(path, args.top, args.match))
        print()


if __name__ == "__main__":
    main()
