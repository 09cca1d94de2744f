"""A first end-to-end pass through a real server on SQLite and PostgreSQL."""

from __future__ import annotations

from didmeta.client import Client


def test_add_set_list(client: Client, scope: str) -> None:
    client.add_did(f"{scope}:ds1", "dataset")
    client.add_did(f"{scope}:ds2", "dataset")
    client.set_metadata(f"{scope}:ds1", {"run_number": 5, "colour": "red"})
    client.set_metadata(f"{scope}:ds2", {"run_number": 7, "colour": "blue"})
    assert list(client.list_dids(scope, "run_number>=6")) == [f"{scope}:ds2"]
    assert list(client.list_dids(scope, "colour=r*")) == [f"{scope}:ds1"]
    assert list(client.list_dids(scope, "colour!=red")) == [f"{scope}:ds2"]
    assert client.count_dids(scope, "run_number<10") == 2
