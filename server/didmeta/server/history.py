"""The audit history (docs/security.md "Audit history"): who changed what, when, with which request.

Every catalogue change (add, attach, detach, close, reopen, delete, embargo set/clear) and every
metadata change (set, delete of a key) is one row of `history`, written with the same connection,
in the same transaction as the change itself: a change that rolls back leaves no record, a record
never describes a change that did not happen. External plugins' writes follow the unit of work's
compensation rules, so their records roll back with the catalogue transaction too.

The request id is the client's `x-request-id` call metadata, or one generated per call
(`current_request_id`, set by the servicers). Old and new values are stored as canonical JSON
(timestamps tagged, as in the JSON plugin).

Retention: `history_retention_days` (0 keeps everything) is applied at start-up and then on write,
at most once an hour, inside the writing transaction.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select

from didmeta.identifiers import DidKey
from didmeta.server.access.identity import current_identity
from didmeta.server.store import bulk
from didmeta.server.store.catalog import utcnow
from didmeta.server.store.schema import history
from didmeta.values import MetaValue, dump_json, from_json, to_json

#: Kinds of change recorded.
ACTIONS = frozenset(
    {"add", "attach", "detach", "close", "reopen", "delete", "set", "unset", "embargo_set", "embargo_clear"}
)
_ABSENT: Any = object()
_PRUNE_EVERY_SECONDS = 3600.0
_INSERT_CHUNK = 5000
COLUMNS = ("at", "account", "request_id", "scope", "name", "action", "key", "old_value", "new_value")

#: The call metadata a client may send its own request id in.
REQUEST_ID_HEADER = "x-request-id"

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("didmeta_request_id")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id() -> str:
    """The running request's id; one is made (and kept for the call) if none was set."""
    value = current_request_id.get(None)
    if value is None:
        value = new_request_id()
        current_request_id.set(value)
    return value


def accept_request_id(sent: str | None) -> str:
    """Use the client's request id (trimmed to 64 printable characters) or a new one, for this call."""
    cleaned = "".join(c for c in (sent or "") if c.isprintable())[:64].strip()
    value = cleaned or new_request_id()
    current_request_id.set(value)
    return value


@dataclass(frozen=True)
class Change:
    """One change to record: the DID, the kind, and for a key its old and new values (None: absent)."""

    did: DidKey
    action: str
    key: str | None = None
    old: MetaValue | None = None
    new: MetaValue | None = None


@dataclass(frozen=True)
class Event:
    """One recorded change, as read back."""

    id: int
    at: datetime
    account: str
    request_id: str
    did: DidKey
    action: str
    key: str | None
    old: MetaValue | None
    new: MetaValue | None


def value_text(value: MetaValue | None) -> str | None:
    """A value as a history record stores it: canonical JSON text (`dump_json` of `to_json`); None: absent."""
    return None if value is None else dump_json(to_json(value))


def _load(text: str | None) -> MetaValue | None:
    return None if text is None else from_json(json.loads(text))


class History:
    """Writes and reads the audit history; applies the retention setting."""

    def __init__(self, retention_days: int = 0) -> None:
        self.retention_days = retention_days
        self._last_prune = 0.0
        self._lock = threading.Lock()

    def record(self, conn: Connection, changes: Sequence[Change]) -> None:
        """Insert the changes with the caller, now and the request id, in the caller's transaction."""
        if not changes:
            return
        rows = self.rows(conn.dialect.name, changes)
        for start in range(0, len(rows), _INSERT_CHUNK):
            bulk.write_rows(conn, "history", COLUMNS, rows[start : start + _INSERT_CHUNK])
        self.maybe_prune(conn)

    @staticmethod
    def rows(dialect: str, changes: Sequence[Change]) -> list[tuple[Any, ...]]:
        """The history rows of the changes (`COLUMNS` order, driver values): the caller, now, the request id."""
        # Driver-level rows (COPY on PostgreSQL, executemany on SQLite): bulk loads write one row per DID.
        at, account, rid = History.caller(dialect)
        return [
            (at, account, rid, c.did.scope, c.did.name, c.action, c.key, value_text(c.old), value_text(c.new))
            for c in changes
        ]

    @staticmethod
    def caller(dialect: str) -> tuple[Any, str, str]:
        """The first three columns of this call's records (`at`, `account`, `request_id`): now, in the driver's
        form, the caller's account (`(internal)` for an in-process caller) and the request id."""
        identity = current_identity.get(None)
        account = identity.account if identity is not None else "(internal)"
        return bulk.driver_value(dialect, "at", utcnow()), account, request_id()

    def prune_due(self) -> bool:
        """Whether the next `record` may prune (a DELETE over the history table)."""
        return self.retention_days > 0 and (
            not self._last_prune or time.monotonic() - self._last_prune >= _PRUNE_EVERY_SECONDS
        )

    def maybe_prune(self, conn: Connection) -> int:
        """Apply the retention if the last pruning is over an hour old; the number of rows removed."""
        if self.retention_days <= 0:
            return 0
        with self._lock:
            if time.monotonic() - self._last_prune < _PRUNE_EVERY_SECONDS and self._last_prune:
                return 0
            self._last_prune = time.monotonic()
        return self.prune(conn)

    def prune(self, conn: Connection) -> int:
        """Remove records older than the retention (none with retention 0)."""
        if self.retention_days <= 0:
            return 0
        cutoff = utcnow() - timedelta(days=self.retention_days)
        return int(conn.execute(delete(history).where(history.c.at < cutoff)).rowcount or 0)

    def page(
        self,
        conn: Connection,
        did: DidKey,
        key: str | None = None,
        since: datetime | None = None,
        after: int = 0,
        limit: int = 1000,
    ) -> list[Event]:
        """Up to `limit` of the DID's records with an id above `after`, oldest first (keyset paging)."""
        query = select(
            history.c.id,
            history.c.at,
            history.c.account,
            history.c.request_id,
            history.c.action,
            history.c.key,
            history.c.old_value,
            history.c.new_value,
        ).where(history.c.scope == did.scope, history.c.name == did.name, history.c.id > after)
        if key is not None:
            query = query.where(history.c.key == key)
        if since is not None:
            query = query.where(history.c.at >= since)
        rows = conn.execute(query.order_by(history.c.id).limit(limit)).all()
        return [
            Event(row_id, at, account, rid, did, action, name, _load(old), _load(new))
            for row_id, at, account, rid, action, name, old, new in rows
        ]


def metadata_changes(
    did: DidKey, before: dict[str, MetaValue], after: dict[str, MetaValue | None], action: str = "set"
) -> list[Change]:
    """A `set` (or `unset`) change per key whose value differs, by key; `after` None means the key is removed."""
    changes: list[Change] = []
    for name, new in sorted(after.items()):
        old = before.get(name, _ABSENT)
        if old is _ABSENT:
            old = None
        if old == new and type(old) is type(new):
            continue
        changes.append(Change(did, action, name, old, new))
    return changes
