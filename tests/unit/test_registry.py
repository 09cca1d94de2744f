"""The plugin registry (didmeta.plugins.registry): checks on plugin classes, lookup by name, entry points."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from didmeta.errors import InvalidArgument
from didmeta.plugins.base import ExternalPlugin, MetadataPlugin, RelationalPlugin, UnitOfWork
from didmeta.plugins.did_column import DidColumnPlugin
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.plugins.registry import (
    available_plugins,
    check_plugin_class,
    load_plugin_class,
    register_plugin,
    unregister_plugin,
)
from tests.support.example_plugin import ExampleMemoryPlugin


@pytest.fixture()
def registered() -> Iterator[list[str]]:
    """Names registered by a test; unregistered afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        unregister_plugin(name)


def write_entry_points(directory: Path, dist: str, lines: Sequence[str]) -> Path:
    """A minimal installed distribution with `didmeta.plugins` entry points, in `directory`."""
    info = directory / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[didmeta.plugins]\n" + "\n".join(lines) + "\n")
    return directory


class AbstractRelational(RelationalPlugin):
    """Implements nothing."""

    name = "HALF"


class WrongName(ExampleMemoryPlugin):
    name = "SOMETHING_ELSE"


class DirectSubclass(MetadataPlugin):
    """Complete, but neither relational nor external."""

    name = "DIRECT"

    def get_many(self, conn, dids):  # type: ignore[no-untyped-def]
        return {}

    def set_many(self, uow: UnitOfWork, items):  # type: ignore[no-untyped-def]
        pass

    def delete_keys(self, uow, did, keys):  # type: ignore[no-untyped-def]
        pass

    def delete_dids(self, uow, dids):  # type: ignore[no-untyped-def]
        pass


class MissingSelect(ExternalPlugin):
    name = "MISSING_SELECT"

    def get_many(self, conn, dids):  # type: ignore[no-untyped-def]
        return {}

    def set_many(self, uow, items):  # type: ignore[no-untyped-def]
        pass

    def delete_keys(self, uow, did, keys):  # type: ignore[no-untyped-def]
        pass

    def delete_dids(self, uow, dids):  # type: ignore[no-untyped-def]
        pass


# --- class checks ----------------------------------------------------------------------------------------
def test_complete_plugins_pass_the_check() -> None:
    assert check_plugin_class("DID_COLUMN", DidColumnPlugin) is DidColumnPlugin
    assert check_plugin_class("json", JsonColumnPlugin) is JsonColumnPlugin
    assert check_plugin_class("EXAMPLE_MEMORY", ExampleMemoryPlugin) is ExampleMemoryPlugin


def test_abstract_class_is_refused_naming_the_missing_methods() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_plugin_class("HALF", AbstractRelational)
    for method in ("condition", "get_many", "set_many", "delete_keys", "delete_dids"):
        assert method in info.value.message


def test_external_plugin_without_select_is_refused() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_plugin_class("MISSING_SELECT", MissingSelect)
    assert "select" in info.value.message


def test_wrong_name_is_refused() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_plugin_class("EXAMPLE_MEMORY", WrongName)
    assert "SOMETHING_ELSE" in info.value.message


@pytest.mark.parametrize("candidate", [DirectSubclass, object, "DidColumnPlugin", 42, None, DidColumnPlugin({}, None)])  # type: ignore[arg-type]
def test_anything_but_a_relational_or_external_plugin_class_is_refused(candidate: object) -> None:
    with pytest.raises(InvalidArgument):
        check_plugin_class("X", candidate)


def test_register_plugin_checks_the_class() -> None:
    with pytest.raises(InvalidArgument):
        register_plugin(AbstractRelational)  # type: ignore[type-abstract]
    assert "HALF" not in available_plugins()


# --- lookup ---------------------------------------------------------------------------------------------
def test_built_in_plugins_load_by_name_in_any_case() -> None:
    assert load_plugin_class("DID_COLUMN") is DidColumnPlugin
    assert load_plugin_class("did_column") is DidColumnPlugin
    assert load_plugin_class("Json") is JsonColumnPlugin


def test_registered_plugin_loads_by_name(registered: list[str]) -> None:
    register_plugin(ExampleMemoryPlugin)
    registered.append("EXAMPLE_MEMORY")
    assert load_plugin_class("example_memory") is ExampleMemoryPlugin
    assert "EXAMPLE_MEMORY" in available_plugins()


def test_unregistered_plugin_is_gone() -> None:
    register_plugin(ExampleMemoryPlugin)
    unregister_plugin("example_memory")
    assert "EXAMPLE_MEMORY" not in available_plugins()
    with pytest.raises(InvalidArgument):
        load_plugin_class("EXAMPLE_MEMORY")


def test_unknown_plugin_is_invalid_argument_listing_the_available_ones(registered: list[str]) -> None:
    register_plugin(ExampleMemoryPlugin)
    registered.append("EXAMPLE_MEMORY")
    with pytest.raises(InvalidArgument) as info:
        load_plugin_class("NO_SUCH_PLUGIN")
    error = info.value
    assert error.reason == "UNKNOWN_PLUGIN"
    assert "NO_SUCH_PLUGIN" in error.message
    for name in ("DID_COLUMN", "JSON", "EXAMPLE_MEMORY"):
        assert name in error.message
    assert error.field_violations[0].field == "plugins"


# --- entry points ---------------------------------------------------------------------------------------
def test_plugin_loads_from_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_entry_points(
        tmp_path, "example_memory_plugin", ["EXAMPLE_MEMORY = tests.support.example_plugin:ExampleMemoryPlugin"]
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "EXAMPLE_MEMORY" in available_plugins()
    assert load_plugin_class("example_memory") is ExampleMemoryPlugin


def test_entry_point_to_a_wrongly_named_class_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_entry_points(tmp_path, "misnamed_plugin", ["MISNAMED = tests.unit.test_registry:WrongName"])
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(InvalidArgument) as info:
        load_plugin_class("MISNAMED")
    assert "SOMETHING_ELSE" in info.value.message


def test_entry_point_to_an_abstract_class_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_entry_points(tmp_path, "half_plugin", ["HALF = tests.unit.test_registry:AbstractRelational"])
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(InvalidArgument):
        load_plugin_class("HALF")


def test_entry_point_whose_module_cannot_be_imported_is_invalid_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plugin that is declared but not installed (or broken) must be a clear configuration
    # error naming the plugin, not a ModuleNotFoundError escaping from the registry.
    write_entry_points(tmp_path, "broken_plugin", ["BROKEN = didmeta_no_such_module.plugin:Broken"])
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(InvalidArgument) as info:
        load_plugin_class("BROKEN")
    assert "BROKEN" in info.value.message


def test_entry_point_to_a_missing_attribute_is_invalid_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_entry_points(tmp_path, "typo_plugin", ["TYPO = tests.support.example_plugin:NoSuchClass"])
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(InvalidArgument) as info:
        load_plugin_class("TYPO")
    assert "TYPO" in info.value.message
