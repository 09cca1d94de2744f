"""A third-party plugin (tests/support/example_plugin.py): registered in-process, and loaded by a server
process from a `didmeta.plugins` entry point of an installed distribution."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from didmeta.client import Client, NewDid
from didmeta.errors import NotFound, Unimplemented
from didmeta.filters import parse_filter
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.plugins.registry import register_plugin, unregister_plugin
from didmeta.server.config import Settings
from didmeta.server.dispatcher import Dispatcher
from didmeta.server.dispatcher import NewDid as ServerNewDid
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.catalog import NewDidSpec
from didmeta.server.store.engine import Store
from tests.support.checks import expect_error
from tests.support.example_plugin import ExampleMemoryPlugin
from tests.support.server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
# EXAMPLE_MEMORY before JSON: JSON manages every key, and a key goes to the first plugin that manages it.
PLUGINS = ["DID_COLUMN", "EXAMPLE_MEMORY", "JSON"]


# --- in-process: register_plugin + the dispatcher ---------------------------------------------------------
@pytest.fixture()
def dispatcher(tmp_path: Path) -> Iterator[Dispatcher]:
    register_plugin(ExampleMemoryPlugin)
    store = Store(f"sqlite:///{tmp_path / 'catalogue.db'}")
    dispatcher = Dispatcher.from_settings(Settings.model_validate({"plugins": PLUGINS}), store)
    dispatcher.start()
    try:
        yield dispatcher
    finally:
        dispatcher.close()
        unregister_plugin("EXAMPLE_MEMORY")


def new(name: str, kind: DidType = DidType.DATASET, **metadata: object) -> ServerNewDid:
    return ServerNewDid(NewDidSpec(DidKey("s", name), kind, "root"), dict(metadata))  # type: ignore[arg-type]


def listing(dispatcher: Dispatcher, text: str, selector: str = "all") -> list[str]:
    query = ListQuery("s", parse_filter(text), TYPE_SELECTORS[selector])
    stream = dispatcher.open_listing(query, long=False, after=None, limit=None)
    try:
        rows: list[str] = []
        while batch := stream.fetch(100):
            rows.extend(row[1] for row in batch)
        return rows
    finally:
        stream.close()


def test_registered_plugin_is_enabled_in_order(dispatcher: Dispatcher) -> None:
    assert [p.name for p in dispatcher.plugins] == PLUGINS


def test_a_key_goes_to_the_first_plugin_in_order_that_manages_it(tmp_path: Path) -> None:
    register_plugin(ExampleMemoryPlugin)
    store = Store(f"sqlite:///{tmp_path / 'order.db'}")
    dispatcher = Dispatcher.from_settings(
        Settings.model_validate({"plugins": ["DID_COLUMN", "JSON", "EXAMPLE_MEMORY"]}), store
    )
    dispatcher.start()
    try:
        dispatcher.add_scope("s", "root")
        dispatcher.add_dids([new("d")])
        dispatcher.set_metadata([(DidKey("s", "d"), {"mem_colour": "red"})])
        assert dispatcher.get_metadata(DidKey("s", "d"), "JSON") == {"mem_colour": "red"}
        assert dispatcher.get_metadata(DidKey("s", "d"), "EXAMPLE_MEMORY") == {}
    finally:
        dispatcher.close()
        unregister_plugin("EXAMPLE_MEMORY")


def test_keys_go_to_the_first_plugin_that_manages_them(dispatcher: Dispatcher) -> None:
    dispatcher.add_scope("s", "root")
    dispatcher.add_dids([new("d")])
    dispatcher.set_metadata([(DidKey("s", "d"), {"mem_colour": "red", "colour": "blue", "run_number": 1})])
    assert dispatcher.get_metadata(DidKey("s", "d"), "EXAMPLE_MEMORY") == {"mem_colour": "red"}
    assert dispatcher.get_metadata(DidKey("s", "d"), "JSON") == {"colour": "blue"}
    everything = dispatcher.get_metadata(DidKey("s", "d"), "ALL")
    assert (everything["mem_colour"], everything["colour"], everything["run_number"]) == ("red", "blue", 1)


def test_initial_metadata_reaches_the_external_plugin(dispatcher: Dispatcher) -> None:
    dispatcher.add_scope("s", "root")
    dispatcher.add_dids([new("d", mem_k=1, k=2)])
    assert dispatcher.get_metadata(DidKey("s", "d"), "EXAMPLE_MEMORY") == {"mem_k": 1}


def test_external_write_is_compensated_when_a_later_step_fails(dispatcher: Dispatcher) -> None:
    dispatcher.add_scope("s", "root")
    dispatcher.add_dids([new("a"), new("b")])
    dispatcher.set_metadata([(DidKey("s", "a"), {"mem_k": "old"})])
    with pytest.raises(NotFound):
        dispatcher.set_metadata([(DidKey("s", "a"), {"mem_k": "new"}), (DidKey("s", "zz"), {"mem_k": 1})])
    with pytest.raises(Exception):  # noqa: B017 - a wrong type for a column, after the external write
        dispatcher.set_metadata([(DidKey("s", "a"), {"mem_k": "new", "run_number": "not a number"})])
    assert dispatcher.get_metadata(DidKey("s", "a"), "EXAMPLE_MEMORY") == {"mem_k": "old"}


def test_delete_goes_to_the_owner_and_not_set_is_not_found(dispatcher: Dispatcher) -> None:
    dispatcher.add_scope("s", "root")
    dispatcher.add_dids([new("d")])
    dispatcher.set_metadata([(DidKey("s", "d"), {"mem_a": 1, "mem_b": 2})])
    dispatcher.delete_metadata(DidKey("s", "d"), ["mem_a"])
    assert dispatcher.get_metadata(DidKey("s", "d"), "EXAMPLE_MEMORY") == {"mem_b": 2}
    with pytest.raises(NotFound):
        dispatcher.delete_metadata(DidKey("s", "d"), ["mem_a"])


def test_deleting_a_did_deletes_its_external_metadata(dispatcher: Dispatcher) -> None:
    dispatcher.add_scope("s", "root")
    dispatcher.add_dids([new("d")])
    dispatcher.set_metadata([(DidKey("s", "d"), {"mem_a": 1})])
    dispatcher.delete_dids([DidKey("s", "d")])
    dispatcher.add_dids([new("d")])
    assert dispatcher.get_metadata(DidKey("s", "d"), "EXAMPLE_MEMORY") == {}


def test_listing_with_external_and_relational_clauses(dispatcher: Dispatcher) -> None:
    dispatcher.add_scope("s", "root")
    dispatcher.add_dids(
        [new("a", mem_n=1, k="x"), new("b", mem_n=2, k="y"), new("c", k="x"), new("f", DidType.FILE, mem_n=5)]
    )
    assert listing(dispatcher, "mem_n>=1") == ["a", "b", "f"]
    assert listing(dispatcher, "mem_n>=1", "collection") == ["a", "b"]
    assert listing(dispatcher, "mem_n>=1,k=x") == ["a"]
    assert listing(dispatcher, "mem_n!=1") == ["b", "c", "f"]  # ne matches DIDs lacking the key
    assert listing(dispatcher, "mem_n=*") == ["a", "b", "f"]
    assert listing(dispatcher, "mem_n!=*") == ["c"]
    assert listing(dispatcher, "mem_n=2;k=x") == ["a", "b", "c"]
    assert listing(dispatcher, "type=file,mem_n=5;name=c") == ["c", "f"]


def test_missing_feature_is_unimplemented_naming_plugin_and_feature(tmp_path: Path) -> None:
    class NoPrefix(ExampleMemoryPlugin):
        features = ExampleMemoryPlugin.features - {"prefix"}

    register_plugin(NoPrefix)
    dispatcher = Dispatcher.from_settings(
        Settings.model_validate({"plugins": PLUGINS}), Store(f"sqlite:///{tmp_path / 'c.db'}")
    )
    dispatcher.start()
    try:
        dispatcher.add_scope("s", "root")
        with pytest.raises(Unimplemented) as info:
            listing(dispatcher, "mem_n.prefix=ab")
        assert "EXAMPLE_MEMORY" in info.value.message and "prefix" in info.value.message
    finally:
        dispatcher.close()
        unregister_plugin("EXAMPLE_MEMORY")


# --- a server process loading the plugin from an entry point -------------------------------------------------
@pytest.fixture(scope="module")
def plugin_distribution(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding an installed distribution that declares EXAMPLE_MEMORY as a didmeta plugin."""
    site = tmp_path_factory.mktemp("site")
    info = site / "didmeta_example_memory-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: didmeta-example-memory\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[didmeta.plugins]\nEXAMPLE_MEMORY = tests.support.example_plugin:ExampleMemoryPlugin\n"
    )
    return site


@pytest.fixture(scope="module")
def plugin_server(
    catalogue_kind: str,
    make_catalogue_url: Callable[[str], str],
    start_server: Callable[..., ServerProcess],
    plugin_distribution: Path,
) -> ServerProcess:
    python_path = os.pathsep.join([str(plugin_distribution), str(REPO)])
    return start_server(
        {
            "database": make_catalogue_url(catalogue_kind),
            "log_format": "text",
            "plugins": PLUGINS,
            "plugin_options": {"EXAMPLE_MEMORY": {"prefix": "mem_"}},
        },
        env={"PYTHONPATH": python_path},
    )


@pytest.fixture()
def remote(plugin_server: ServerProcess) -> Iterator[Client]:
    with plugin_server.client(timeout=30) as client:
        yield client


_counter = iter(range(10**6))


@pytest.fixture()
def mem_scope(remote: Client) -> str:
    name = f"m{next(_counter)}"
    remote.add_scope(name)
    return name


def test_server_lists_the_entry_point_plugin(remote: Client) -> None:
    plugins = remote.list_plugins()
    assert [p.name for p in plugins] == PLUGINS
    example = plugins[1]
    assert example.order == 1 and example.healthy
    assert example.managed_keys == ("mem_*",)
    assert "Example" in example.description


def test_set_get_through_the_server(remote: Client, mem_scope: str) -> None:
    did = f"{mem_scope}:d"
    remote.add_did(did, "dataset")
    when = datetime(2024, 1, 2, tzinfo=UTC)
    remote.set_metadata(did, {"mem_when": when, "mem_list": [1, "a"], "colour": "red", "run_number": 3})
    assert remote.get_metadata(did, "EXAMPLE_MEMORY") == {"mem_when": when, "mem_list": [1, "a"]}
    assert remote.get_metadata(did, "example_memory") == {"mem_when": when, "mem_list": [1, "a"]}
    assert remote.get_metadata(did, "JSON") == {"colour": "red"}
    everything = remote.get_metadata(did, "ALL")
    assert everything["mem_when"] == when and everything["colour"] == "red" and everything["run_number"] == 3


def test_delete_through_the_server(remote: Client, mem_scope: str) -> None:
    did = f"{mem_scope}:d"
    remote.add_did(did, "dataset")
    remote.set_metadata(did, {"mem_a": 1, "mem_b": 2})
    remote.delete_metadata(did, ["mem_a"])
    assert remote.get_metadata(did, "EXAMPLE_MEMORY") == {"mem_b": 2}
    expect_error(lambda: remote.delete_metadata(did, ["mem_a"]), grpc.StatusCode.NOT_FOUND)


def test_failed_request_leaves_no_external_metadata(remote: Client, mem_scope: str) -> None:
    remote.add_dids([NewDid(f"{mem_scope}:a", "dataset"), NewDid(f"{mem_scope}:b", "dataset")])
    remote.set_metadata(f"{mem_scope}:a", {"mem_k": "old"})
    expect_error(
        lambda: remote.set_metadata_bulk(
            [(f"{mem_scope}:a", {"mem_k": "new"}), (f"{mem_scope}:b", {"run_number": "NaN-ish"})]
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert remote.get_metadata(f"{mem_scope}:a", "EXAMPLE_MEMORY") == {"mem_k": "old"}


def test_list_through_the_server(remote: Client, mem_scope: str) -> None:
    s = mem_scope
    remote.add_dids(
        [
            NewDid(f"{s}:a", "dataset", metadata={"mem_n": 1, "k": "x"}),
            NewDid(f"{s}:b", "dataset", metadata={"mem_n": 2, "k": "y"}),
            NewDid(f"{s}:c", "dataset", metadata={"k": "x"}),
        ]
    )
    assert list(remote.list_dids(s, "mem_n>=1")) == [f"{s}:a", f"{s}:b"]
    assert list(remote.list_dids(s, "mem_n>=1,k=x")) == [f"{s}:a"]
    assert list(remote.list_dids(s, "mem_n!=1")) == [f"{s}:b", f"{s}:c"]
    assert remote.count_dids(s, "mem_n=*") == 2
    rows = list(remote.list_dids_long(s, "mem_n>=1", metadata_keys=["mem_n", "k"]))
    assert [(r.name, r.metadata) for r in rows] == [("a", {"mem_n": 1, "k": "x"}), ("b", {"mem_n": 2, "k": "y"})]


def test_limit_resume_and_recursion_with_an_external_clause(remote: Client, mem_scope: str) -> None:
    s = mem_scope
    remote.add_dids(
        [NewDid(f"{s}:d{i:02d}", "dataset", metadata={"mem_n": i}) for i in range(10)]
        + [NewDid(f"{s}:top", "container", metadata={"mem_n": 100})]
    )
    remote.attach(f"{s}:top", [f"{s}:d{i:02d}" for i in range(10)])
    batches = list(remote.list_dids_batches(s, "mem_n>=2,mem_n<100", batch_size=2, limit=6))
    listed = [n for b in batches for n in b.batch.names]
    assert listed == [f"d{i:02d}" for i in range(2, 8)]
    rest = [
        n
        for b in remote.list_dids_batches(
            s, "mem_n>=2,mem_n<100", batch_size=2, limit=6, page_token=batches[0].next_page_token
        )
        for n in b.batch.names
    ]
    assert rest == listed[2:]
    recursive = list(remote.list_dids(s, "name=top,mem_n>=5", recursive=True))
    assert recursive == [f"{s}:d{i:02d}" for i in range(5, 10)] + [f"{s}:top"]
    assert remote.count_dids(s, "name=top,mem_n>=5", recursive=True) == 6
