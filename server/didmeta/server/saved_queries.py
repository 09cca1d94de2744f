"""Saved queries: named listings owned by an account, stored in the catalogue database.

A saved query is the `SavedQuery` message (scope, filter, type, recursive, ignore_case) as the
caller sent it, validated like a listing when saved; clients run it by reading it back
(`GetSavedQuery`) and listing with its arguments, so every client language can use it.
"""

from __future__ import annotations

import base64
import re

from sqlalchemy import delete, insert, select

from didmeta.errors import AlreadyExists, InvalidArgument, NotFound
from didmeta.server.store.catalog import utcnow
from didmeta.server.store.engine import Store
from didmeta.server.store.schema import saved_queries
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.values import check_text

NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def check_name(name: str, field: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise InvalidArgument.for_field(field, "1-100 letters, digits, `_`, `-`, `.`, not starting with `.` or `-`")
    return name


def _decode(text: str, account: str) -> pb.SavedQuery:
    query = pb.SavedQuery.FromString(base64.b64decode(text))
    query.account = account
    return query


def save(store: Store, query: pb.SavedQuery, account: str, replace: bool) -> pb.SavedQuery:
    stored = pb.SavedQuery()
    stored.CopyFrom(query)
    stored.account = account
    check_name(stored.name, "query.name")
    with store.write() as conn:
        where = (saved_queries.c.account == account) & (saved_queries.c.name == stored.name)
        exists = conn.execute(select(saved_queries.c.name).where(where)).first() is not None
        if exists and not replace:
            raise AlreadyExists(
                f"saved query {stored.name!r} exists (replace it with `replace`)",
                reason="SAVED_QUERY_EXISTS",
                metadata={"name": stored.name},
            )
        conn.execute(delete(saved_queries).where(where))
        text = base64.b64encode(stored.SerializeToString()).decode()
        conn.execute(insert(saved_queries).values(account=account, name=stored.name, query=text, created_at=utcnow()))
    return stored


def list_for(store: Store, account: str) -> list[pb.SavedQuery]:
    check_text(account, "account", 255)
    with store.read() as conn:
        rows = conn.execute(
            select(saved_queries.c.query).where(saved_queries.c.account == account).order_by(saved_queries.c.name)
        ).all()
    return [_decode(row.query, account) for row in rows]


def get(store: Store, account: str, name: str) -> pb.SavedQuery:
    check_name(name, "name")
    check_text(account, "account", 255)
    with store.read() as conn:
        row = conn.execute(
            select(saved_queries.c.query).where(saved_queries.c.account == account, saved_queries.c.name == name)
        ).first()
    if row is None:
        raise NotFound(
            f"no saved query {name!r} of account {account!r}",
            reason="SAVED_QUERY_NOT_FOUND",
            metadata={"name": name, "account": account},
        )
    return _decode(row.query, account)


def remove(store: Store, account: str, name: str) -> None:
    check_name(name, "name")
    with store.write() as conn:
        gone = conn.execute(
            delete(saved_queries).where(saved_queries.c.account == account, saved_queries.c.name == name)
        ).rowcount
    if not gone:
        raise NotFound(f"no saved query {name!r} of account {account!r}", reason="SAVED_QUERY_NOT_FOUND")
