"""The external plugins as packages (mongo/, elastic/, postgres_json/): the import paths and names they
had as single modules still work."""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil

import pytest

from didmeta.plugins.registry import load_plugin_class

PACKAGES = [
    ("MONGO", "didmeta.plugins.mongo", "MongoPlugin"),
    ("ELASTIC", "didmeta.plugins.elastic", "ElasticPlugin"),
    ("POSTGRES_JSON", "didmeta.plugins.postgres_json", "PostgresJsonPlugin"),
]


@pytest.mark.parametrize(("name", "package", "class_name"), PACKAGES)
def test_the_package_exports_its_plugin(name: str, package: str, class_name: str) -> None:
    module = importlib.import_module(package)
    plugin_class = getattr(module, class_name)
    assert plugin_class is importlib.import_module(f"{package}.plugin").__dict__[class_name]
    assert load_plugin_class(name) is plugin_class  # the entry point `package:Class`
    assert not inspect.isabstract(plugin_class)
    assert class_name in module.__all__
    for exported in module.__all__:
        assert hasattr(module, exported), exported


@pytest.mark.parametrize(("name", "package", "class_name"), PACKAGES)
def test_every_module_logs_under_the_package_name(name: str, package: str, class_name: str) -> None:
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        submodule = importlib.import_module(f"{package}.{info.name}")
        log = getattr(submodule, "log", None)
        if log is not None:
            assert isinstance(log, logging.Logger)
            assert log.name == package, submodule.__name__
