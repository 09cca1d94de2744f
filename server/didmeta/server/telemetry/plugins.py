"""Time each plugin's calls into its backend and count those that raise.

`observe_plugins` replaces, on each plugin *instance*, the backend-facing methods of the plugin
interface (plugins/base.py) by timed wrappers; the classes, and so the dispatcher's isinstance
checks, stay as they are. `select` of an external plugin returns batches lazily: each batch's
fetch is one timed call.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from didmeta.plugins.base import MetadataPlugin
from didmeta.server.telemetry.metrics import Metrics

#: Methods of the plugin interface that reach the backend.
OPERATIONS = ("get_many", "set_many", "delete_keys", "delete_dids", "check_health")
STREAMING_OPERATIONS = ("select",)


def _timed(metrics: Metrics, plugin: str, operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
    duration = metrics.plugin_duration.labels(plugin, operation)

    @functools.wraps(call)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except Exception as error:
            metrics.plugin_errors.labels(plugin, operation, type(error).__name__).inc()
            raise
        finally:
            duration.observe(time.perf_counter() - started)

    return timed


def _timed_batches(metrics: Metrics, plugin: str, operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call)
    def batches(*args: Any, **kwargs: Any) -> Iterator[Any]:
        source = iter(call(*args, **kwargs))
        fetch = _timed(metrics, plugin, operation, lambda: next(source))
        while True:
            try:
                batch = fetch()
            except StopIteration:
                return
            yield batch

    return batches


def observe_plugins(plugins: Sequence[MetadataPlugin], metrics: Metrics) -> None:
    for plugin in plugins:
        for operation in OPERATIONS:
            setattr(plugin, operation, _timed(metrics, plugin.name, operation, getattr(plugin, operation)))
        for operation in STREAMING_OPERATIONS:
            if hasattr(plugin, operation):
                setattr(plugin, operation, _timed_batches(metrics, plugin.name, operation, getattr(plugin, operation)))
