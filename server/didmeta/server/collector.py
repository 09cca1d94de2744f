"""Python's cyclic garbage collector set up for a long-running server (the `gc_young_threshold` setting).

CPython frees almost every object by reference counting; the cyclic collector only finds reference
cycles. It runs a young-generation pass every 700 net container allocations (Python's default), and
each pass walks every young object still alive. A LoadDids chunk of 5,000 DIDs allocates a few hundred
thousand containers that live until the chunk is written (decoded messages, values, rows), so the
collector walked them again and again: measured in process, a tenth to a sixth of the load's time and
over a third of its planning (docs/performance.md, "The garbage collector on bulk loads").

`tune_collector`, called once the server is built and before it serves (unless the setting is 0):
* collects once and freezes what is left (`gc.freeze`): the modules, servicers, engines and caches
  built at start-up live as long as the process, and no full collection walks them again;
* raises the young generation's threshold, so a pass comes every `young_threshold` allocations. The
  older generations keep Python's thresholds. Garbage without cycles is freed as before, at once; a
  cycle waits for the next pass, which now comes a little later.

With worker processes, the supervisor also freezes its own objects before it forks each worker
(`freeze_before_fork`): what the workers inherit (the imported modules above all) is then never walked
by their collectors, and its memory pages stay shared with the supervisor's.
"""

from __future__ import annotations

import gc


def tune_collector(young_threshold: int) -> None:
    """Freeze the start-up heap and set the young generation's threshold; 0: leave the collector alone."""
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)


def freeze_before_fork(young_threshold: int) -> None:
    """In the supervisor of worker processes, before each fork: its objects frozen, so that no worker's
    collector walks them (a pass writes to every object it walks, and each write copies a shared page
    into the worker); 0: leave the collector alone, as `tune_collector` does."""
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
