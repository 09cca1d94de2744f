"""Spec §1-§2 (issue 10) through a real server on SQLite and PostgreSQL: collection counters start at 0,
a FILE has no `length`, and no reserved filter key silently matches nothing because of its name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from sqlalchemy import create_engine, text

from didmeta.attributes import COLLECTION_ONLY, FILTER_SPECIAL, INTRINSIC, LIFETIME_KEY, RESERVED, column_kind
from didmeta.client import Client, NewDid
from didmeta.server.store.migrations import MIGRATIONS, migrate
from didmeta.server.store.schema import schema_version
from didmeta.values import MetaValue
from tests.support.checks import expect_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT
#: Every key a filter may name because of what it is, not because someone stored it.
RESERVED_FILTER_KEYS = sorted(RESERVED | FILTER_SPECIAL | set(INTRINSIC) | {LIFETIME_KEY})


def names(client: Client, scope: str, filter_: str, type_: str = "all") -> list[str]:
    return [d.split(":", 1)[1] for d in client.list_dids(scope, filter_, type=type_)]


# --- counters of a new collection -------------------------------------------------------------------------------
def test_a_new_collection_starts_with_length_bytes_and_events_0(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:ds", "dataset"), NewDid(f"{scope}:cont", "container")])
    for did in (f"{scope}:ds", f"{scope}:cont"):
        values = client.get_metadata(did)
        assert (values["length"], values["bytes"], values["events"]) == (0, 0, 0), values
    assert names(client, scope, "events=0", "collection") == ["cont", "ds"]
    assert names(client, scope, "events.exists=false", "collection") == []


def test_events_0_finds_an_empty_dataset_whether_or_not_anything_was_ever_attached(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:never", "dataset"), NewDid(f"{scope}:emptied", "dataset")])
    client.add_did(f"{scope}:f", "file", bytes=1, events=4)
    client.attach(f"{scope}:emptied", [f"{scope}:f"])
    assert names(client, scope, "events=4", "collection") == ["emptied"]
    client.detach(f"{scope}:emptied", [f"{scope}:f"])
    assert names(client, scope, "events=0", "collection") == ["emptied", "never"]


# --- a FILE has no length ---------------------------------------------------------------------------------------
@pytest.fixture()
def files_and_dataset(client: Client, scope: str) -> str:
    client.add_dids(
        [NewDid(f"{scope}:f{i}", "file", bytes=10) for i in range(2)]
        + [NewDid(f"{scope}:ds", "dataset"), NewDid(f"{scope}:empty", "dataset")]
    )
    client.attach(f"{scope}:ds", [f"{scope}:f0"])
    return scope


def test_a_file_has_no_length_in_its_metadata(client: Client, files_and_dataset: str) -> None:
    scope = files_and_dataset
    for plugin in ("DID_COLUMN", "ALL"):
        assert "length" not in client.get_metadata(f"{scope}:f0", plugin)
    assert client.get_metadata(f"{scope}:ds")["length"] == 1
    assert client.get_metadata(f"{scope}:empty")["length"] == 0
    (row,) = client.get_metadata_bulk([f"{scope}:f1"], "DID_COLUMN")
    assert row[1] is not None and "length" not in row[1]
    # The wire Did.length of a file stays 0 (documented in did.proto).
    assert client.get_did(f"{scope}:f0").length == 0


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("length=0", ["empty"]),
        ("length>=0", ["ds", "empty"]),
        ("length<5", ["ds", "empty"]),
        ("length.in=[0,1]", ["ds", "empty"]),
        ("length.exists=true", ["ds", "empty"]),
        ("length.exists=false", ["f0", "f1"]),
        ("length=null", ["f0", "f1"]),
    ],
)
def test_a_length_clause_never_matches_a_file(
    client: Client, files_and_dataset: str, filter_: str, expected: list[str]
) -> None:
    assert names(client, files_and_dataset, filter_) == expected
    assert client.count_dids(files_and_dataset, filter_, type="all") == len(expected)


def test_a_length_clause_never_matches_a_file_in_a_recursive_listing(client: Client, files_and_dataset: str) -> None:
    scope = files_and_dataset
    assert [d.split(":")[1] for d in client.list_dids(scope, "name=ds,length<=1", type="all", recursive=True)] == ["ds"]


def test_long_listing_keys_omit_length_for_a_file(client: Client, files_and_dataset: str) -> None:
    rows = {r.name: r for r in client.list_dids_long(files_and_dataset, type="all", metadata_keys=["length"])}
    assert rows["ds"].metadata == {"length": 1}
    assert rows["f0"].metadata == {}


# --- every reserved key filters on its attribute -----------------------------------------------------------------
def _clauses(key: str, value: MetaValue) -> tuple[str, str]:
    """A clause on `key` that matches `value`, and one that does not."""
    if isinstance(value, datetime):
        low, high = (value - timedelta(seconds=1)).isoformat(), (value + timedelta(seconds=1)).isoformat()
        return f"{low} <= {key} <= {high}", f"{key}<{low}"
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}", f"{key}={str(not value).lower()}"
    if isinstance(value, int):
        return f"{key}={value}", f"{key}!={value}"
    return f'{key}="{value}"', f'{key}!="{value}"'


@pytest.fixture()
def described(client: Client, scope: str) -> str:
    """A closed dataset holding one file that has every intrinsic attribute set."""
    client.add_did(
        f"{scope}:f", "file", bytes=7, adler32="0a1b2c3d", md5="0123456789abcdef0123456789abcdef", guid="g-1", events=3
    )
    client.add_did(f"{scope}:ds", "dataset")
    client.attach(f"{scope}:ds", [f"{scope}:f"])
    client.set_status(f"{scope}:ds", open=False)
    for did in (f"{scope}:f", f"{scope}:ds"):
        client.set_metadata(
            did, {"lifetime": 86400, "eol_at": datetime(2030, 1, 1, tzinfo=UTC), "accessed_at": datetime.now(UTC)}
        )
    return scope


def _case(client: Client, scope: str, key: str) -> tuple[str, str, str]:
    """(target DID name, matching clause, non-matching clause) for one reserved key."""
    # The file, unless the key is an attribute of collections only (length, closed_at).
    file_values = client.get_metadata(f"{scope}:f", "DID_COLUMN")
    collection_only = key in COLLECTION_ONLY or (column_kind(key) is not None and key not in file_values)
    target = "ds" if collection_only else "f"
    values = client.get_metadata(f"{scope}:{target}", "DID_COLUMN")
    created = values["created_at"]
    assert isinstance(created, datetime)
    special = {
        "scope": (f"scope={scope}", "scope=elsewhere"),
        "name": (f"name={target}", "name=other"),
        "type": ("type=file", "type=dataset"),
        "did_type": ("did_type=FILE", "did_type=DATASET"),
        "created_after": (f"created_after={(created - timedelta(days=1)).isoformat()}", "created_after=2999-01-01"),
        "created_before": (f"created_before={(created + timedelta(days=1)).isoformat()}", "created_before=2000-01-01"),
    }
    if key in special:
        return target, *special[key]
    assert column_kind(key) is not None, f"reserved key {key!r} is neither special nor an attribute"
    assert key in values, f"{target} has no {key!r} to filter on: {values}"
    return target, *_clauses(key, values[key])


@pytest.mark.parametrize("key", RESERVED_FILTER_KEYS)
def test_every_reserved_key_filters_on_its_attribute(client: Client, described: str, key: str) -> None:
    if key == LIFETIME_KEY:
        expect_error(lambda: names(client, described, "lifetime>5"), INVALID, mentions=("expired_at", "lifetime>5"))
        return
    target, matching, other = _case(client, described, key)
    assert target in names(client, described, matching), matching
    assert target not in names(client, described, other), other


def test_did_type_is_an_alias_of_type(client: Client, described: str) -> None:
    for selector, expected in [("DATASET", ["ds"]), ("file", ["f"]), ("all", ["ds", "f"])]:
        assert names(client, described, f"did_type={selector}", "collection") == expected
        assert names(client, described, f"did_type={selector}") == names(client, described, f"type={selector}")


# --- migration of existing rows ----------------------------------------------------------------------------------
def test_migration_sets_events_0_on_existing_collections(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        schema_version.create(conn)
        for number, _, step in MIGRATIONS:
            if number < 5:
                step(conn)
                conn.execute(schema_version.insert().values(version=number, applied_at=datetime(2026, 1, 1)))
        conn.execute(text("INSERT INTO scopes VALUES ('s', 'root', '2026-01-01')"))
        for name, kind, count in [("ds", "D", None), ("cont", "C", None), ("f", "F", None), ("full", "D", 5)]:
            conn.execute(
                text(
                    "INSERT INTO dids (scope, name, did_type, account, bytes, length, events, is_open, suppressed,"
                    " hidden, created_at, updated_at) VALUES ('s', :n, :t, 'root', 0, 0, :e, 1, 0, 0,"
                    " '2026-01-01', '2026-01-01')"
                ),
                {"n": name, "t": kind, "e": count},
            )
    assert 5 in migrate(engine)
    with engine.connect() as conn:
        events: dict[str, int | None] = {
            row.name: row.events for row in conn.execute(text("SELECT name, events FROM dids"))
        }
    engine.dispose()
    assert events == {"ds": 0, "cont": 0, "f": None, "full": 5}
