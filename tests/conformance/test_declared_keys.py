"""Declared keys on every plugin: lossless coercion on write, refusals naming key/value/type, filters
type-checked before any backend, violations of existing data reported, declarations listed.

The keys are `dk_*` names of their own (the conformance server is shared with the other suites), and
every declaration is deleted at the end of the module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from didmeta.client import Client, NewDid
from didmeta.errors import InvalidArgument, NotFound
from didmeta.v1 import metadata_service_pb2
from tests.conformance.conftest import Conformance

SCOPE = "dk"
DECLARED = ["dk_run", "dk_kind", "dk_tag", "dk_evt", "dk_list", "dk_when"]


@pytest.fixture(scope="module")
def client(conformance: Conformance) -> Iterator[Client]:
    with conformance.client() as client:
        if SCOPE not in {s.name for s in client.list_scopes()}:
            client.add_scope(SCOPE)
            client.add_dids(
                [
                    NewDid(f"{SCOPE}:ok", "file", metadata={"dk_run": 5, "dk_when": "x"}),
                    NewDid(f"{SCOPE}:text", "file", metadata={"dk_run": "7"}),
                    NewDid(f"{SCOPE}:half", "file", metadata={"dk_run": 4.5}),
                    NewDid(f"{SCOPE}:none", "file", metadata={"other": 1}),
                    NewDid(f"{SCOPE}:ds", "dataset", metadata={"dk_evt": 3}),
                    NewDid(f"{SCOPE}:f", "file"),
                ]
            )
        try:
            yield client
        finally:
            for key in DECLARED:
                with contextlib.suppress(NotFound):
                    client.delete_key(key)


def test_declaring_over_existing_data_reports_violations(client: Client) -> None:
    result = client.declare_key("dk_run", "int", unit="run", description="the run")
    assert result.violation_count == 2
    assert result.violations == [f"{SCOPE}:half", f"{SCOPE}:text"]
    assert (result.declaration.key, result.declaration.type, result.declaration.unit) == ("dk_run", "int", "run")
    evt = client.declare_key("dk_evt", "int", did_types=["file"])
    assert evt.violations == [f"{SCOPE}:ds"]  # a dataset carries a file-only key


def test_writes_are_coerced_losslessly(client: Client) -> None:
    client.declare_key("dk_run", "int")
    client.set_metadata(f"{SCOPE}:none", {"dk_run": "12"})
    stored = client.get_metadata(f"{SCOPE}:none", "ALL")["dk_run"]
    assert stored == 12 and type(stored) is int
    client.set_metadata(f"{SCOPE}:none", {"dk_run": 13.0})
    stored = client.get_metadata(f"{SCOPE}:none", "ALL")["dk_run"]
    assert stored == 13 and type(stored) is int
    client.declare_key("dk_when", "timestamp")
    client.set_metadata(f"{SCOPE}:none", {"dk_when": "2024-01-02"})
    assert client.get_metadata(f"{SCOPE}:none", "ALL")["dk_when"] == datetime(2024, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "declaration", "value", "words"),
    [
        ("dk_run", {"type": "int"}, "abc", ["dk_run", '"abc"', "int"]),
        ("dk_run", {"type": "int"}, 4.5, ["dk_run", "4.5", "int"]),
        ("dk_run", {"type": "int"}, True, ["dk_run", "true", "int"]),
        ("dk_kind", {"type": "string", "allowed_values": ["raw", "aod"]}, "RAW", ["dk_kind", "allowed"]),
        ("dk_kind", {"type": "string", "allowed_values": ["raw", "aod"]}, 5, ["dk_kind", "string"]),
        ("dk_tag", {"type": "string", "pattern": r"v\d+"}, "x1", ["dk_tag", "pattern"]),
        ("dk_list", {"type": "int", "is_list": True}, 5, ["dk_list", "list of int"]),
        ("dk_list", {"type": "int", "is_list": True}, [1, "b"], ["dk_list", "list of int"]),
        ("dk_when", {"type": "timestamp"}, "yesterday", ["dk_when", "timestamp"]),
    ],
)
def test_writes_that_cannot_be_coerced_are_refused(
    client: Client, key: str, declaration: dict[str, object], value: object, words: list[str]
) -> None:
    client.declare_key(key, **declaration)  # type: ignore[arg-type]
    before = client.get_metadata(f"{SCOPE}:f", "ALL").get(key)
    with pytest.raises(InvalidArgument) as raised:
        client.set_metadata(f"{SCOPE}:f", {key: value})  # type: ignore[dict-item]
    for word in words:
        assert word in raised.value.message, raised.value.message
    assert client.get_metadata(f"{SCOPE}:f", "ALL").get(key) == before  # nothing written
    with pytest.raises(InvalidArgument):
        client.add_did(f"{SCOPE}:new_{key}", "file", metadata={key: value})


def test_allowed_values_pattern_and_lists_accept_valid_values(client: Client) -> None:
    client.declare_key("dk_kind", "string", allowed_values=["raw", "aod"])
    client.declare_key("dk_tag", "string", pattern=r"v\d+")
    client.declare_key("dk_list", "int", is_list=True)
    client.set_metadata(f"{SCOPE}:f", {"dk_kind": "raw", "dk_tag": "v12", "dk_list": [1, "2", 3.0]})
    stored = client.get_metadata(f"{SCOPE}:f", "ALL")
    assert (stored["dk_kind"], stored["dk_tag"], stored["dk_list"]) == ("raw", "v12", [1, 2, 3])
    assert list(client.list_dids(f"{SCOPE}", "dk_list.contains=2", type="all")) == [f"{SCOPE}:f"]


def test_did_types_are_enforced(client: Client) -> None:
    client.declare_key("dk_evt", "int", did_types=["file"])
    client.set_metadata(f"{SCOPE}:f", {"dk_evt": 1})
    with pytest.raises(InvalidArgument) as raised:
        client.set_metadata(f"{SCOPE}:ds", {"dk_evt": 2})
    assert "dk_evt" in raised.value.message and "FILE" in raised.value.message
    with pytest.raises(InvalidArgument):
        client.add_did(f"{SCOPE}:ds2", "dataset", metadata={"dk_evt": 2})


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("dk_run=abc", ["dk_run", '"abc"', "int"]),
        ("dk_run>2024-01-01", ["dk_run", "int"]),
        ("dk_run=1*", ["dk_run", "wildcard"]),
        ("dk_run.contains=5", ["dk_run", "contains"]),
        ("dk_run.in=[1, x]", ["dk_run", '"x"']),
        ("other=1;dk_when<5", ["dk_when", "timestamp"]),
    ],
)
def test_filters_on_declared_keys_are_type_checked(client: Client, expression: str, words: list[str]) -> None:
    client.declare_key("dk_run", "int")
    client.declare_key("dk_when", "timestamp")
    for call in (
        lambda: list(client.list_dids(SCOPE, expression, type="all")),
        lambda: client.count_dids(SCOPE, expression, type="all"),
        lambda: client.facet_dids(SCOPE, expression, ["dk_run"], type="all"),
        lambda: client.explain_dids(SCOPE, expression, type="all"),
    ):
        with pytest.raises(InvalidArgument) as raised:
            call()
        for word in words:
            assert word in raised.value.message, raised.value.message


def test_filter_values_are_coerced(client: Client) -> None:
    client.declare_key("dk_run", "int")
    client.set_metadata(f"{SCOPE}:none", {"dk_run": 12})
    # A quoted "12" would match only strings on an undeclared key; the declared int key takes it as 12.
    assert list(client.list_dids(SCOPE, 'dk_run="12"', type="all")) == [f"{SCOPE}:none"]
    assert client.count_dids(SCOPE, "dk_run.in=[12.0, 5]", type="all") == 2  # none (12) and ok (5)


def test_coerced_filter_clauses_keep_their_negation(client: Client) -> None:
    """`not k="12"` on a declared int key is `not k=12`: coercing the value must not drop the `not`."""
    client.declare_key("dk_run", "int")
    client.set_metadata(f"{SCOPE}:none", {"dk_run": 12})
    everything = set(client.list_dids(SCOPE, type="all"))
    matched = set(client.list_dids(SCOPE, 'not dk_run="12"', type="all"))
    assert f"{SCOPE}:none" not in matched
    assert matched == everything - set(client.list_dids(SCOPE, "dk_run=12", type="all"))
    assert set(client.list_dids(SCOPE, "not dk_run.in=[12.0]", type="all")) == matched


def test_declarations_are_listed_shown_and_deleted(client: Client) -> None:
    client.declare_key("dk_kind", "string", allowed_values=["raw", "aod"], description="kind of data")
    listed = {k.key: k for k in client.list_keys()}
    assert listed["dk_kind"].allowed_values == ["raw", "aod"]
    assert client.get_key("dk_kind").description == "kind of data"
    plugins = client._call(client._meta.ListPlugins, metadata_service_pb2.ListPluginsRequest())
    assert "dk_kind" in [d.key for d in plugins.declarations]
    client.delete_key("dk_kind")
    with pytest.raises(NotFound):
        client.get_key("dk_kind")
    client.set_metadata(f"{SCOPE}:f", {"dk_kind": "anything"})  # free-form again


@pytest.mark.parametrize(
    ("key", "options", "field"),
    [
        ("run_number", {"type": "int"}, "declaration.key"),
        ("name", {"type": "string"}, "declaration.key"),
        ("dk_bad", {"type": "decimal"}, "declaration.type"),
        ("dk_bad", {"type": "int", "allowed_values": ["x"]}, "declaration.allowed_values[0]"),
        ("dk_bad", {"type": "int", "pattern": "x"}, "declaration.pattern"),
        ("dk_bad", {"type": "string", "pattern": "("}, "declaration.pattern"),
    ],
)
def test_bad_declarations_are_refused(client: Client, key: str, options: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        client.declare_key(key, **options)  # type: ignore[arg-type]
    assert field in raised.value.message
