"""Helpers for integration tests: expected errors, catalogue snapshots, direct SQL on a server's database."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from didmeta.client import Client, DidmetaError
from tests.support.server import ServerProcess


def expect_error(
    call: Callable[[], Any],
    code: grpc.StatusCode,
    *,
    reason: str | None = None,
    field: str | None = None,
    mentions: tuple[str, ...] = (),
) -> DidmetaError:
    """Run `call` (iterating a generator fully) and check the didmeta error it raises."""
    with pytest.raises(DidmetaError) as info:
        result = call()
        if isinstance(result, Iterator):
            list(result)
    error = info.value
    assert error.code == code, f"expected {code.name}, got {error.code.name}: {error.message}"
    if reason is not None:
        assert error.reason == reason, f"expected reason {reason}, got {error.reason}: {error.message}"
    if field is not None:
        fields = [v.field for v in error.field_violations]
        assert any(field in f for f in fields), f"no field violation naming {field!r}: {fields}"
    for text_ in mentions:
        assert text_ in error.message, f"{text_!r} not in the message {error.message!r}"
    return error


def snapshot(client: Client, scope_pattern: str) -> dict[str, Any]:
    """Everything observable about the DIDs of some scopes: attributes, metadata of every plugin, content."""
    state: dict[str, Any] = {}
    for did in client.list_dids(scope_pattern, type="all"):
        info = client.get_did(did)
        children = [f"{c.scope}:{c.name}" for c in client.list_content(did)] if info.type != "FILE" else []
        state[did] = {
            "info": info,
            "metadata": client.get_metadata(did, "ALL"),
            "content": children,
        }
    return state


def engine_for(server: ServerProcess) -> Engine:
    """A SQLAlchemy engine on the catalogue database of a running server (psycopg 3 for PostgreSQL)."""
    url = str(server.settings["database"])
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url)


def catalogue_fingerprint(engine: Engine) -> str:
    """A hash of every row of every table of a catalogue database (history, embargoes, metadata too)."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"')))
            digest.update(f"{table}:{rows}".encode())
    return digest.hexdigest()


@contextmanager
def catalogue_sql(server: ServerProcess) -> Iterator[Callable[..., Any]]:
    """`execute(sql, **params)` on the server's catalogue database, committed at the end."""
    engine = engine_for(server)
    try:
        with engine.begin() as conn:
            yield lambda sql, **params: conn.execute(text(sql), params)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll `condition` every 0.1 s; fail naming `what` if it is still false after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
