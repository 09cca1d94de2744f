"""Plugin options are a checked spec: unknown or malformed options are refused when the plugin is built."""

from __future__ import annotations

import pytest

from didmeta.errors import InvalidArgument
from didmeta.plugins.base import MetadataPlugin
from didmeta.plugins.json_column import JsonColumnPlugin
from didmeta.plugins.mongo import MongoPlugin
from didmeta.plugins.postgres_json import PostgresJsonPlugin
from didmeta.server.store.engine import Store


@pytest.fixture()
def store() -> Store:
    return Store("sqlite:///:memory:")


@pytest.mark.parametrize("plugin", [JsonColumnPlugin, MongoPlugin, PostgresJsonPlugin])
def test_unknown_option_names_the_option(plugin: type[MetadataPlugin], store: Store) -> None:
    options = {"url": "mongodb://127.0.0.1:1/" if plugin is MongoPlugin else "postgresql://x@127.0.0.1:1/x"}
    with pytest.raises(InvalidArgument) as caught:
        plugin({**options, "indexd_keys": ["a"]}, store)
    assert caught.value.field_violations[0].field == f"plugin_options.{plugin.name}.indexd_keys"
    assert "understands" in caught.value.message


def test_keys_must_be_a_list_of_strings(store: Store) -> None:
    with pytest.raises(InvalidArgument):
        JsonColumnPlugin({"keys": "a,b"}, store)
    plugin = JsonColumnPlugin({"keys": ["a", "b"]}, store)
    assert plugin.manages_key("a") and not plugin.manages_key("c")
    assert plugin.managed_keys() == ["a", "b"]
