"""Spec §5 through a real server (SQLite and PostgreSQL): ListDids and CountDids."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from didmeta.client import Client, NewDid
from didmeta.server.query.meta_sql import MAX_METADATA_KEYS
from didmeta.values import MetaValue
from didmeta.wire import metadata_from_wire
from tests.support.checks import catalogue_sql, expect_error
from tests.support.server import ServerProcess

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def names(client: Client, scope: str, filter_: str = "", **options: object) -> list[str]:
    return [d.split(":", 1)[1] for d in client.list_dids(scope, filter_, **options)]


def byte_order(items: list[str]) -> list[str]:
    return sorted(items, key=lambda s: s.encode())


@pytest.fixture()
def mixed(client: Client, scope: str) -> str:
    """A container, two datasets and three files, created in a shuffled order."""
    dids = [
        NewDid(f"{scope}:cont", "container"),
        NewDid(f"{scope}:ds1", "dataset"),
        NewDid(f"{scope}:ds2", "dataset"),
        NewDid(f"{scope}:f1", "file", bytes=1),
        NewDid(f"{scope}:f2", "file", bytes=2),
        NewDid(f"{scope}:f3", "file", bytes=3),
    ]
    random.Random(7).shuffle(dids)
    client.add_dids(dids)
    return scope


# --- type selectors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("all", ["cont", "ds1", "ds2", "f1", "f2", "f3"]),
        ("collection", ["cont", "ds1", "ds2"]),
        ("container", ["cont"]),
        ("dataset", ["ds1", "ds2"]),
        ("file", ["f1", "f2", "f3"]),
        ("ALL", ["cont", "ds1", "ds2", "f1", "f2", "f3"]),
        ("Dataset", ["ds1", "ds2"]),
    ],
)
def test_type_selectors(client: Client, mixed: str, selector: str, expected: list[str]) -> None:
    assert names(client, mixed, type=selector) == expected
    assert client.count_dids(mixed, type=selector) == len(expected)


def test_default_selector_is_collection(client: Client, mixed: str) -> None:
    assert names(client, mixed) == ["cont", "ds1", "ds2"]


def test_type_in_a_filter_group_overrides_the_selector(client: Client, mixed: str) -> None:
    assert names(client, mixed, "type=file") == ["f1", "f2", "f3"]
    assert names(client, mixed, "type=container;type=file,bytes>=2") == ["cont", "f2", "f3"]
    assert names(client, mixed, "type=ALL") == ["cont", "ds1", "ds2", "f1", "f2", "f3"]


def test_empty_filter_lists_only_the_scope(client: Client, mixed: str) -> None:
    other = f"{mixed}o"
    client.add_scope(other)
    client.add_did(f"{other}:elsewhere", "dataset")
    assert names(client, mixed, type="all") == ["cont", "ds1", "ds2", "f1", "f2", "f3"]
    assert list(client.list_dids(other, type="all")) == [f"{other}:elsewhere"]


# --- order and scopes -----------------------------------------------------------------------------------------
def test_stable_scope_name_order(client: Client, scope: str) -> None:
    given = ["b", "a", "B", "Z9", "a.b", "a-b", "a_b", "0", "/x", "a/b", "aa", "a0"]
    shuffled = list(given)
    random.Random(3).shuffle(shuffled)
    for name in shuffled:  # one by one: insertion order must not matter
        client.add_did(f"{scope}:{name}", "dataset")
    assert names(client, scope) == byte_order(given)
    assert names(client, scope) == names(client, scope)


def test_wildcard_scope_patterns(client: Client, scope: str) -> None:
    scopes = [f"{scope}a", f"{scope}b", f"{scope}xa", f"{scope}_1", f"{scope}.2"]
    for s in scopes:
        client.add_scope(s)
        client.add_did(f"{s}:d", "dataset")
    assert list(client.list_dids(f"{scope}*")) == [f"{s}:d" for s in byte_order(scopes)]
    assert list(client.list_dids(f"{scope}x*")) == [f"{scope}xa:d"]
    assert list(client.list_dids(f"{scope}*a")) == [f"{scope}a:d", f"{scope}xa:d"]
    # `_` and `.` are literal in a scope pattern, `*` is the only wildcard
    assert list(client.list_dids(f"{scope}_*")) == [f"{scope}_1:d"]
    assert list(client.list_dids(f"{scope}.*")) == [f"{scope}.2:d"]
    assert client.count_dids(f"{scope}*") == len(scopes)


def test_listing_a_scope_that_does_not_exist_is_empty(client: Client, scope: str) -> None:
    assert list(client.list_dids(f"{scope}nothing")) == []


@pytest.mark.parametrize("bad", ["bad scope", "a:b", "x" * 26, "sc?pe"])
def test_invalid_scope_pattern_is_refused(client: Client, bad: str) -> None:
    expect_error(lambda: client.list_dids(bad), INVALID, field="scope")


def test_empty_scope_is_refused(client: Client) -> None:
    expect_error(lambda: client.list_dids(""), INVALID, field="scope")


# --- limit ------------------------------------------------------------------------------------------------------
def test_limit_is_global(client: Client, scope: str) -> None:
    for s in (f"{scope}a", f"{scope}b"):
        client.add_scope(s)
        client.add_dids([NewDid(f"{s}:d{i}", "dataset") for i in range(5)])
    listed = list(client.list_dids(f"{scope}*", limit=7))
    assert listed == [f"{scope}a:d{i}" for i in range(5)] + [f"{scope}b:d0", f"{scope}b:d1"]
    assert list(client.list_dids(f"{scope}*", limit=7, batch_size=2)) == listed


@pytest.mark.parametrize("limit", [0, 100])
def test_zero_or_large_limit_is_no_limit(client: Client, mixed: str, limit: int) -> None:
    assert len(list(client.list_dids(mixed, type="all", limit=limit))) == 6


def test_negative_limit_is_invalid_argument(client: Client, mixed: str) -> None:
    expect_error(lambda: client.list_dids(mixed, limit=-1), INVALID, field="limit")


def test_negative_batch_size_is_invalid_argument(client: Client, mixed: str) -> None:
    expect_error(lambda: client.list_dids(mixed, batch_size=-1), INVALID, field="batch_size")


# --- batches and resume ------------------------------------------------------------------------------------------
@pytest.fixture()
def forty(client: Client, scope: str) -> str:
    client.add_dids([NewDid(f"{scope}:d{i:02d}", "dataset", metadata={"i": i}) for i in range(40)])
    return scope


def test_batches_carry_many_dids_and_tokens(client: Client, forty: str) -> None:
    batches = list(client.list_dids_batches(forty, batch_size=7))
    sizes = [len(b.batch.names) for b in batches]
    assert sum(sizes) == 40
    assert len(batches) >= 6 and max(sizes) <= 7
    assert all(b.next_page_token for b in batches)


def test_resume_token_continues_exactly(client: Client, forty: str) -> None:
    batches = list(client.list_dids_batches(forty, batch_size=5))
    everything = [n for b in batches for n in b.batch.names]
    assert everything == [f"d{i:02d}" for i in range(40)]
    delivered = 0
    for index, batch in enumerate(batches[:-1]):
        delivered += len(batch.batch.names)
        rest = [
            n
            for b in client.list_dids_batches(forty, batch_size=5, page_token=batch.next_page_token)
            for n in b.batch.names
        ]
        assert rest == everything[delivered:], f"resuming after batch {index}"


def test_resume_token_with_another_batch_size(client: Client, forty: str) -> None:
    first = next(iter(client.list_dids_batches(forty, batch_size=3)))
    rest = [
        n
        for b in client.list_dids_batches(forty, batch_size=11, page_token=first.next_page_token)
        for n in b.batch.names
    ]
    assert list(first.batch.names) + rest == [f"d{i:02d}" for i in range(40)]


def test_resume_token_after_the_last_batch_gives_nothing(client: Client, forty: str) -> None:
    last = list(client.list_dids_batches(forty, batch_size=10))[-1]
    assert [
        n
        for b in client.list_dids_batches(forty, batch_size=10, page_token=last.next_page_token)
        for n in b.batch.names
    ] == []


def test_resume_with_a_filter_and_a_limit_keeps_the_global_limit(client: Client, forty: str) -> None:
    batches = list(client.list_dids_batches(forty, "i>=10", batch_size=4, limit=15))
    listed = [n for b in batches for n in b.batch.names]
    assert listed == [f"d{i:02d}" for i in range(10, 25)]
    rest = [
        n
        for b in client.list_dids_batches(forty, "i>=10", batch_size=4, limit=15, page_token=batches[1].next_page_token)
        for n in b.batch.names
    ]
    assert rest == listed[8:]


def test_resume_continues_after_the_last_delivered_even_if_data_changed(client: Client, forty: str) -> None:
    first = next(iter(client.list_dids_batches(forty, batch_size=10)))
    client.delete_dids([f"{forty}:d10", f"{forty}:d05"])  # one after, one before the token
    client.add_did(f"{forty}:d09x", "dataset")
    rest = [
        n
        for b in client.list_dids_batches(forty, batch_size=10, page_token=first.next_page_token)
        for n in b.batch.names
    ]
    assert rest == ["d09x"] + [f"d{i:02d}" for i in range(11, 40)]


@pytest.mark.parametrize(
    "change",
    [
        {"filter": "i>3"},
        {"scope": "other"},
        {"type": "all"},
        {"limit": 5},
        {"long": True},
        {"recursive": True},
        {"ignore_case": True},
    ],
)
def test_token_reused_with_a_different_request_is_invalid_argument(
    client: Client, forty: str, change: dict[str, object]
) -> None:
    token = next(iter(client.list_dids_batches(forty, batch_size=5))).next_page_token
    arguments: dict[str, object] = {"scope": forty, "filter": "", "batch_size": 5, "page_token": token, **change}
    if arguments["scope"] == "other":
        arguments["scope"] = f"{forty}z"
    error = expect_error(lambda: client.list_dids_batches(**arguments), INVALID, field="page_token")  # type: ignore[arg-type]
    assert error.reason == "PAGE_TOKEN_MISMATCH"


@pytest.mark.parametrize("token", ["garbage", "AAAA", "x" * 400])
def test_malformed_token_is_invalid_argument(client: Client, forty: str, token: str) -> None:
    expect_error(lambda: client.list_dids_batches(forty, page_token=token), INVALID, field="page_token")


# --- long output ------------------------------------------------------------------------------------------------
def test_long_output(client: Client, scope: str) -> None:
    client.add_dids(
        [NewDid(f"{scope}:f{i}", "file", bytes=10 * i, events=i) for i in range(1, 4)]
        + [NewDid(f"{scope}:ds", "dataset"), NewDid(f"{scope}:c", "container")]
    )
    client.attach(f"{scope}:ds", [f"{scope}:f1", f"{scope}:f2"])
    client.attach(f"{scope}:c", [f"{scope}:ds"])
    rows = list(client.list_dids_long(scope, type="all"))
    assert [(r.name, r.type, r.bytes, r.length) for r in rows] == [
        ("c", "CONTAINER", 30, 2),
        ("ds", "DATASET", 30, 2),
        ("f1", "FILE", 10, 0),
        ("f2", "FILE", 20, 0),
        ("f3", "FILE", 30, 0),
    ]
    assert all(r.metadata == {} for r in rows)


def test_long_output_with_metadata_keys_from_every_plugin(client: Client, scope: str) -> None:
    client.add_dids(
        [
            NewDid(f"{scope}:a", "dataset", metadata={"run_number": 1, "colour": "red", "n": 1.5}),
            NewDid(f"{scope}:b", "dataset", metadata={"colour": "blue"}),
            NewDid(f"{scope}:c", "dataset"),
        ]
    )
    rows = list(client.list_dids_long(scope, metadata_keys=["run_number", "colour", "n", "absent"]))
    assert [(r.name, r.metadata) for r in rows] == [
        ("a", {"run_number": 1, "colour": "red", "n": 1.5}),
        ("b", {"colour": "blue"}),
        ("c", {}),
    ]


#: Values of every type (JSON plugin keys, DID_COLUMN columns), each key missing on some DIDs.
TYPED_VALUES: list[dict[str, MetaValue]] = [
    {
        "i": 7, "big": 2**63 - 1, "d": 1.5, "whole": 2.0, "huge": 1e20, "tiny": -2.5e-7, "s": "a'b\"c\\ é\n",
        "empty": "", "yes": True, "no": False, "t": datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC),
        "l": [1, 2.5, "x", True, None, datetime(2001, 1, 1, tzinfo=UTC), [3], {"k": "v"}], "e": [],
        "m": {"a": 1, "b": {"c": [datetime(1999, 12, 31, 1, 2, 3, tzinfo=UTC)]}, "n": None},
        "my-key": "hyphen", "run_number": 42, "datatype": "RAW",
    },
    {"i": -1, "d": 0.0, "s": "second", "yes": False, "l": ["only"], "m": {}, "campaign": "mc23"},
    {"t": datetime(1970, 1, 1, tzinfo=UTC), "run_number": 0},
    {},
]  # fmt: skip
TYPED_KEYS = [*sorted({k for values in TYPED_VALUES for k in values}), "bytes", "created_at", "absent"]


def test_long_output_metadata_of_every_type_equals_get_metadata(client: Client, scope: str) -> None:
    """The keys read in the listing's SQL (JSON and DID_COLUMN) and per batch (intrinsic attributes):
    values and types as GetMetadata returns them, a key missing on a DID absent; the same through
    resume tokens, a limit, a filter and recursion."""
    client.add_did(f"{scope}:top", "container")
    client.add_dids([NewDid(f"{scope}:d{i}", "dataset", metadata=m) for i, m in enumerate(TYPED_VALUES)])
    client.attach(f"{scope}:top", [f"{scope}:d{i}" for i in range(len(TYPED_VALUES))])
    stored = {key.name: metadata or {} for key, metadata in client.get_metadata_bulk(
        [f"{scope}:top", *(f"{scope}:d{i}" for i in range(len(TYPED_VALUES)))], "ALL"
    )}  # fmt: skip

    def expected(name: str) -> dict[str, MetaValue]:
        return {k: stored[name][k] for k in TYPED_KEYS if k in stored[name]}

    def typed(metadata: dict[str, MetaValue]) -> dict[str, Any]:
        return {k: (type(v), v) for k, v in metadata.items()}

    rows = list(client.list_dids_long(scope, type="all", metadata_keys=TYPED_KEYS))
    assert [r.name for r in rows] == ["d0", "d1", "d2", "d3", "top"]
    for row in rows:
        assert typed(row.metadata) == typed(expected(row.name)), row.name
    assert rows[0].metadata["t"] == TYPED_VALUES[0]["t"] and rows[0].metadata["m"] == TYPED_VALUES[0]["m"]
    assert "i" not in rows[2].metadata and "absent" not in rows[0].metadata
    # Paged by two with resume tokens, limited, filtered, recursive: the same rows.
    paged: list[tuple[str, dict[str, MetaValue]]] = []
    token = ""
    while True:
        responses = client.list_dids_batches(
            scope, type="all", long=True, metadata_keys=TYPED_KEYS, batch_size=2, page_token=token
        )
        first = next(responses, None)
        if first is None:
            break
        responses.close()  # type: ignore[attr-defined]
        paged.extend(
            (n, metadata_from_wire(m.values)) for n, m in zip(first.batch.names, first.batch.metadata, strict=True)
        )
        token = first.next_page_token
    assert paged == [(r.name, r.metadata) for r in rows]
    limited = list(client.list_dids_long(scope, type="all", metadata_keys=TYPED_KEYS, limit=3, batch_size=2))
    assert [(r.name, r.metadata) for r in limited] == [(r.name, r.metadata) for r in rows[:3]]
    filtered = list(client.list_dids_long(scope, "yes=false", type="all", metadata_keys=["s", "m", "run_number"]))
    assert [(r.name, r.metadata) for r in filtered] == [("d1", {"s": "second", "m": {}})]
    below = list(client.list_dids_long(scope, "name=top", recursive=True, type="all", metadata_keys=TYPED_KEYS))
    assert [(r.name, r.metadata) for r in below] == [(r.name, r.metadata) for r in rows]


def test_long_output_with_intrinsic_metadata_keys(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:f", "file", bytes=5, adler32="0a1b2c3d")
    (row,) = client.list_dids_long(scope, type="file", metadata_keys=["adler32", "bytes"])
    assert row.metadata == {"adler32": "0a1b2c3d", "bytes": 5}


def test_metadata_keys_without_long_output_are_refused(client: Client, mixed: str) -> None:
    expect_error(lambda: client.list_dids_batches(mixed, metadata_keys=["x"]), INVALID, field="metadata_keys")


def test_bad_metadata_key_in_long_output_is_refused(client: Client, mixed: str) -> None:
    expect_error(lambda: client.list_dids_long(mixed, metadata_keys=["a.b"]), INVALID, field="metadata_keys")


def test_the_most_metadata_keys_a_listing_takes(client: Client, scope: str) -> None:
    """MAX_METADATA_KEYS keys: every path answers (one column each: SQLite takes 2,000 result columns,
    PostgreSQL 1,664); one more is INVALID_ARGUMENT naming the field (it was an internal error on SQLite)."""
    client.add_did(f"{scope}:f", "file", bytes=5, metadata={"k7": 7, "k999": "last"})
    keys = [f"k{i}" for i in range(MAX_METADATA_KEYS)]
    (row,) = client.list_dids_long(scope, type="file", metadata_keys=keys)
    assert row.metadata == {"k7": 7, "k999": "last"}
    table = client.list_dids_table(scope, type="file", metadata_keys=keys)
    assert table.num_columns == 7 + MAX_METADATA_KEYS and table.column("k999").to_pylist() == ["last"]
    too_many = [*keys, "one_more"]
    expect_error(lambda: client.list_dids_long(scope, metadata_keys=too_many), INVALID, field="metadata_keys")
    expect_error(lambda: client.list_dids_table(scope, metadata_keys=too_many), INVALID, field="metadata_keys")


def test_a_metadata_key_asked_for_twice_is_one_column(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:f", "file", metadata={"k": 1, "j": "x"})
    (row,) = client.list_dids_long(scope, type="file", metadata_keys=["k", "j", "k"])
    assert row.metadata == {"k": 1, "j": "x"}
    table = client.list_dids_table(scope, type="file", metadata_keys=["k", "j", "k"])
    assert table.column_names[7:] == ["k", "j"]


# --- recursive -----------------------------------------------------------------------------------------------
@pytest.fixture()
def hierarchy(client: Client, scope: str) -> tuple[str, str]:
    """scope: top (container) -> mid (container) -> ds1, ds2 (datasets); other scope: files.

    ds1 holds o:f1 and o:f2, ds2 holds o:f2 and o:f3 (o:f2 reachable twice). Key `k` is set on some.
    """
    other = f"{scope}o"
    client.add_scope(other)
    client.add_dids(
        [
            NewDid(f"{scope}:top", "container", metadata={"k": 1}),
            NewDid(f"{scope}:mid", "container", metadata={"k": 1}),
            NewDid(f"{scope}:ds1", "dataset", metadata={"k": 1}),
            NewDid(f"{scope}:ds2", "dataset", metadata={"k": 2}),
            NewDid(f"{scope}:loose", "dataset", metadata={"k": 1}),
        ]
    )
    client.add_dids([NewDid(f"{other}:f{i}", "file", metadata={"k": 1 if i != 3 else 2}) for i in (1, 2, 3)])
    client.attach(f"{scope}:top", [f"{scope}:mid"])
    client.attach(f"{scope}:mid", [f"{scope}:ds1", f"{scope}:ds2"])
    client.attach(f"{scope}:ds1", [f"{other}:f1", f"{other}:f2"])
    client.attach(f"{scope}:ds2", [f"{other}:f2", f"{other}:f3"])
    return scope, other


def test_recursive_lists_roots_and_matching_descendants_across_scopes(
    client: Client, hierarchy: tuple[str, str]
) -> None:
    s, o = hierarchy
    listed = list(client.list_dids(s, "name=top", type="all", recursive=True))
    expected = [f"{s}:ds1", f"{s}:ds2", f"{s}:mid", f"{s}:top", f"{o}:f1", f"{o}:f2", f"{o}:f3"]
    assert listed == sorted(expected, key=lambda d: tuple(p.encode() for p in d.split(":", 1)))
    assert client.count_dids(s, "name=top", type="all", recursive=True) == len(expected)


def test_recursive_descendants_must_match_the_filter_without_its_name(
    client: Client, hierarchy: tuple[str, str]
) -> None:
    s, o = hierarchy
    listed = list(client.list_dids(s, "name=top,k=1", type="all", recursive=True))
    # ds2 (k=2) does not match; its children are still reached through the graph: f2 via ds1, f3 is k=2
    assert listed == [f"{s}:ds1", f"{s}:mid", f"{s}:top", f"{o}:f1", f"{o}:f2"]


def test_recursive_lists_a_did_reached_twice_once(client: Client, hierarchy: tuple[str, str]) -> None:
    s, o = hierarchy
    listed = list(client.list_dids(s, "name=ds*", type="all", recursive=True))
    assert listed == [f"{s}:ds1", f"{s}:ds2", f"{o}:f1", f"{o}:f2", f"{o}:f3"]
    assert len(listed) == len(set(listed))


def test_recursive_type_selector_applies_to_descendants(client: Client, hierarchy: tuple[str, str]) -> None:
    s, _ = hierarchy
    assert list(client.list_dids(s, "name=top", type="collection", recursive=True)) == [
        f"{s}:ds1",
        f"{s}:ds2",
        f"{s}:mid",
        f"{s}:top",
    ]


def test_limit_is_global_under_recursion(client: Client, hierarchy: tuple[str, str]) -> None:
    s, o = hierarchy
    full = list(client.list_dids(s, "name=top", type="all", recursive=True))
    assert len(full) == 7 and f"{o}:f2" in full
    for limit in (1, 3, 5, 6):
        assert list(client.list_dids(s, "name=top", type="all", recursive=True, limit=limit)) == full[:limit]
    # resuming a recursive listing continues exactly too
    batches = list(client.list_dids_batches(s, "name=top", type="all", recursive=True, batch_size=2))
    rest = [
        f"{sc}:{n}"
        for b in client.list_dids_batches(
            s, "name=top", type="all", recursive=True, batch_size=2, page_token=batches[0].next_page_token
        )
        for sc, n in zip(b.batch.scopes, b.batch.names, strict=True)
    ]
    assert rest == full[2:]


def test_non_recursive_listing_stays_at_the_roots(client: Client, hierarchy: tuple[str, str]) -> None:
    s, _ = hierarchy
    assert list(client.list_dids(s, "name=top", type="all")) == [f"{s}:top"]


# --- count -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filter_", "options"),
    [
        ("", {}),
        ("", {"type": "all"}),
        ("k=1", {"type": "all"}),
        ("k!=1", {"type": "all"}),
        ("name=top", {"type": "all", "recursive": True}),
        ("k=2;name=mid", {}),
        ("type=file", {}),
    ],
)
def test_count_equals_the_listing(
    client: Client, hierarchy: tuple[str, str], filter_: str, options: dict[str, object]
) -> None:
    s, _ = hierarchy
    listed = list(client.list_dids(s, filter_, **options))
    assert client.count_dids(s, filter_, **options) == len(listed)  # type: ignore[arg-type]


def test_count_with_a_bad_filter_is_invalid_argument(client: Client, mixed: str) -> None:
    expect_error(lambda: client.count_dids(mixed, "a=b=c"), INVALID, field="filter")


# --- suppressed and expired ---------------------------------------------------------------------------------------
def test_suppressed_dids_are_never_listed(client: Client, server: ServerProcess, scope: str) -> None:
    client.add_dids(
        [
            NewDid(f"{scope}:visible", "dataset", metadata={"k": 1}),
            NewDid(f"{scope}:hidden_one", "dataset", metadata={"k": 1}),
            NewDid(f"{scope}:top", "container"),
        ]
    )
    client.attach(f"{scope}:top", [f"{scope}:visible", f"{scope}:hidden_one"])
    with catalogue_sql(server) as sql:
        sql(
            "UPDATE dids SET suppressed = :yes WHERE scope = :scope AND name = :name",
            yes=True,
            scope=scope,
            name="hidden_one",
        )
    assert names(client, scope) == ["top", "visible"]
    assert names(client, scope, "k=1") == ["visible"]
    assert names(client, scope, "name=top", recursive=True) == ["top", "visible"]
    assert client.count_dids(scope) == 2
    assert client.count_dids(scope, "k=1") == 1
    assert [r.name for r in client.list_dids_long(scope, metadata_keys=["k"])] == ["top", "visible"]


def test_expired_dids_are_listed(client: Client, server: ServerProcess, scope: str) -> None:
    client.add_did(f"{scope}:old", "dataset")
    with catalogue_sql(server) as sql:
        sql(
            "UPDATE dids SET expired_at = :when WHERE scope = :scope AND name = 'old'",
            when="2000-01-01 00:00:00",
            scope=scope,
        )
    assert client.get_did(f"{scope}:old").expired_at is not None
    assert names(client, scope) == ["old"]


# --- filters through the server (spec §4) ----------------------------------------------------------------------
@pytest.fixture()
def typed(client: Client, scope: str) -> str:
    client.add_dids(
        [
            NewDid(f"{scope}:int_neg", "dataset", metadata={"v": -5, "colour": "Red", "run_number": 10}),
            NewDid(f"{scope}:str_neg", "dataset", metadata={"v": "-5", "colour": "red", "run_number": 20}),
            NewDid(f"{scope}:small", "dataset", metadata={"v": 0.001, "colour": "blue", "project": "Data24"}),
            NewDid(f"{scope}:five", "dataset", metadata={"v": 5.0, "tags": ["a", "b"]}),
            NewDid(f"{scope}:none", "dataset"),
        ]
    )
    return scope


def test_typed_filter_values_match_typed_data_only(client: Client, typed: str) -> None:
    assert names(client, typed, "v=-5") == ["int_neg"]
    assert names(client, typed, 'v="-5"') == ["str_neg"]
    assert names(client, typed, "v=1e-3") == ["small"]
    assert names(client, typed, "v=5") == ["five"]  # int and double compare numerically
    assert names(client, typed, "v<1") == ["int_neg", "small"]  # strings never match a numeric filter


def test_ne_matches_dids_lacking_the_key(client: Client, typed: str) -> None:
    assert names(client, typed, "v!=-5") == ["five", "none", "small", "str_neg"]
    assert names(client, typed, "run_number!=10") == ["five", "none", "small", "str_neg"]


def test_presence_and_absence(client: Client, typed: str) -> None:
    assert names(client, typed, "v=*") == ["five", "int_neg", "small", "str_neg"]
    assert names(client, typed, "v!=*") == ["none"]
    assert names(client, typed, "v=null") == ["none"]
    assert names(client, typed, "run_number!=null") == ["int_neg", "str_neg"]


def test_keys_of_different_plugins_in_one_group(client: Client, typed: str) -> None:
    assert names(client, typed, "run_number>=10,colour=red") == ["str_neg"]
    assert names(client, typed, "run_number>=10,colour=red;project=Data24") == ["small", "str_neg"]


def test_ignore_case_is_honoured(client: Client, typed: str) -> None:
    assert names(client, typed, "colour=red") == ["str_neg"]
    assert names(client, typed, "colour=red", ignore_case=True) == ["int_neg", "str_neg"]
    assert names(client, typed, "colour=R*", ignore_case=True) == ["int_neg", "str_neg"]
    assert names(client, typed, "project=data24", ignore_case=True) == ["small"]
    assert names(client, typed, "project=data24") == []
    assert names(client, typed, "name=INT_*", ignore_case=True) == ["int_neg"]
    assert client.count_dids(typed, "colour=RED", ignore_case=True) == 2


def test_wildcards_are_anchored_and_other_characters_literal(client: Client, scope: str) -> None:
    client.add_dids(
        [
            NewDid(f"{scope}:{n}", "dataset", metadata={"s": v})
            for n, v in [("a", "abc"), ("b", "xabcx"), ("c", "a_c"), ("d", "a%c"), ("e", "a?c"), ("f", "a[b]c")]
        ]
    )
    assert names(client, scope, "s=abc*") == ["a"]
    assert names(client, scope, "s=*abc*") == ["a", "b"]
    assert names(client, scope, "s=a_c") == ["c"]
    assert names(client, scope, "s=a%c") == ["d"]
    assert names(client, scope, "s=a?c") == ["e"]
    assert names(client, scope, "s=a[b]*") == ["f"]
    assert names(client, scope, "s=a*c") == ["a", "c", "d", "e", "f"]
    assert names(client, scope, "s!=a*c") == ["b"]


def test_contains_in_prefix_and_exists(client: Client, typed: str) -> None:
    assert names(client, typed, "tags.contains=a") == ["five"]
    assert names(client, typed, "colour.in=[red,blue]") == ["small", "str_neg"]
    assert names(client, typed, "colour.prefix=bl") == ["small"]
    assert names(client, typed, "tags.exists=true") == ["five"]
    assert names(client, typed, "tags.exists=false") == ["int_neg", "none", "small", "str_neg"]


def test_intrinsic_filters(client: Client, scope: str) -> None:
    client.add_dids([NewDid(f"{scope}:f{i}", "file", bytes=i) for i in range(3)] + [NewDid(f"{scope}:ds", "dataset")])
    client.attach(f"{scope}:ds", [f"{scope}:f1", f"{scope}:f2"])
    assert names(client, scope, "length>=2") == ["ds"]
    assert names(client, scope, "type=file,bytes>0") == ["f1", "f2"]
    assert names(client, scope, "type=all,created_after=2000-01-01") == ["ds", "f0", "f1", "f2"]
    assert names(client, scope, "type=all,created_before=2000-01-01") == []
    assert names(client, scope, "is_open=true") == ["ds"]
