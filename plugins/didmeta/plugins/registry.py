"""Find and check plugins by name: in-process registrations first, then the `didmeta.plugins` entry points.

Built-in plugins are registered as entry points in didmeta's own pyproject, so built-in and
third-party plugins load the same way. A plugin class is checked when it is loaded: it must
subclass MetadataPlugin (through RelationalPlugin or ExternalPlugin), implement every abstract
method and carry the name it is registered under.
"""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points

from didmeta.errors import InvalidArgument
from didmeta.plugins.base import ExternalPlugin, MetadataPlugin, RelationalPlugin

ENTRY_POINT_GROUP = "didmeta.plugins"
_registered: dict[str, type[MetadataPlugin]] = {}


def register_plugin(plugin_class: type[MetadataPlugin]) -> None:
    """Register a plugin class in this process (tests, embedding)."""
    check_plugin_class(plugin_class.name, plugin_class)
    _registered[plugin_class.name.upper()] = plugin_class


def unregister_plugin(name: str) -> None:
    _registered.pop(name.upper(), None)


def check_plugin_class(name: str, candidate: object) -> type[MetadataPlugin]:
    """Refuse anything that is not a complete plugin class named `name`."""
    if not (inspect.isclass(candidate) and issubclass(candidate, RelationalPlugin | ExternalPlugin)):
        raise InvalidArgument.for_field(
            "plugins", f"{name}: {candidate!r} is not a RelationalPlugin or ExternalPlugin subclass"
        )
    if inspect.isabstract(candidate):
        missing = ", ".join(sorted(getattr(candidate, "__abstractmethods__", ())))
        raise InvalidArgument.for_field("plugins", f"{name}: plugin class does not implement {missing}")
    declared = getattr(candidate, "name", "")
    if not isinstance(declared, str) or declared.upper() != name.upper():
        raise InvalidArgument.for_field("plugins", f"{name}: plugin class declares name {declared!r}")
    return candidate


def available_plugins() -> list[str]:
    names = set(_registered) | {ep.name.upper() for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def load_plugin_class(name: str) -> type[MetadataPlugin]:
    """The plugin class registered under `name` (case-insensitive)."""
    key = name.upper()
    if key in _registered:
        return _registered[key]
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name.upper() == key:
            try:
                loaded = entry_point.load()
            except (ImportError, AttributeError) as error:
                raise InvalidArgument.for_field(
                    "plugins",
                    f"plugin {key}: its entry point {entry_point.value!r} cannot be loaded: {error}",
                    reason="UNKNOWN_PLUGIN",
                ) from error
            return check_plugin_class(key, loaded)
    raise InvalidArgument.for_field(
        "plugins",
        f"unknown plugin {name!r}; available: {', '.join(available_plugins())}",
        reason="UNKNOWN_PLUGIN",
    )
