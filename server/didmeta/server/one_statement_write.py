"""SetMetadata of one DID's row on PostgreSQL in one statement: its old values, its UPDATE, its history.

The event loop's PostgreSQL write (point.py `set_async`) needs the row's old values for the history
records. Reading them first costs a round trip of its own. This statement does it all in one round trip
(autocommit, atomic):

    WITH old AS (SELECT <row>, xmin, <old value texts>, <simple> FROM dids WHERE <the DID>
                 [AND NOT <an embargo hides it from the caller>] FOR NO KEY UPDATE),
         changed AS (UPDATE dids SET ... FROM old WHERE <the same row> AND old.simple RETURNING <old texts>),
         recorded AS (INSERT INTO history ... SELECT ... FROM changed, (VALUES <key, old, new>)
                      WHERE old IS DISTINCT FROM new)
    SELECT (SELECT count(*) FROM changed), <row>, xmin FROM old

The locking read in `old` returns the row's latest version (READ COMMITTED follows a concurrent writer's
update once it commits), and the UPDATE, which waits for nobody since the row is locked, applies to that
version: the old values are those of the version the statement changes, as the locking transaction's are.

**The old values' text comes from PostgreSQL**, and a history record must read the same whichever path
wrote it (`history.value_text`: canonical JSON). PostgreSQL gives that text itself for the values it
renders the same way, which the `simple` condition checks on the row:
- an int or bool column (`col::text`), a string column in printable ASCII (`to_jsonb(col)::text`:
  PostgreSQL and Python's `json` escape `"` and `\\` alike and nothing else in that range);
- a timestamp column (`to_char` in `format_timestamp`'s form, in the `{"$ts":...}` tag);
- a JSON value that is a number, a boolean or a string in printable ASCII (`(meta -> key)::text`), or a
  timestamp's tag (its text of `format_timestamp`'s form, the tag rebuilt without jsonb's space). A
  number's text is the one the service stored (`dump_json`: a double's shortest digits with a decimal
  point), which jsonb's numeric keeps digit for digit.
Anything else (another object, a list, JSON null, a string with other characters) makes `simple`
false: the statement changes nothing and returns the row with its version, and the optimistic write
(point.py `_set_optimistic`) carries on from that row with its second statement. A record is written for
a key whose old text differs from the new one, as `history.metadata_changes` decides for these values
(texts differ exactly when the values differ or their types do; a double -0.0, equal to 0.0 with another
text, never arrives: `values.check_value` makes it 0.0 before any write).

Which writes it takes (`plan`): keys of DID_COLUMN's int, string, bool and timestamp columns (not `lifetime`,
not a collection-only column) and of the JSON plugin, at most `MAX_KEYS` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from didmeta.attributes import COLLECTION_ONLY, OPTIMISED, SETTABLE_INTRINSIC, column_kind
from didmeta.identifiers import DidKey
from didmeta.server.history import History, value_text
from didmeta.values import Metadata, dump_json, to_json

#: Keys one statement writes (one history record each at most); more go to the optimistic write.
MAX_KEYS = 100
#: Statements kept per writer (one per layout of keys, see `_Layout`).
MAX_STATEMENTS = 256
#: DID_COLUMN keys whose old value PostgreSQL renders as `history.value_text` does.
PLAIN_COLUMNS: frozenset[str] = frozenset(
    key
    for key in (*OPTIMISED, *SETTABLE_INTRINSIC)
    if column_kind(key) in ("int", "string", "bool", "timestamp") and key not in COLLECTION_ONLY
)
#: SQL: a text of printable ASCII only (PostgreSQL's regular expressions take a bracket range by character
#: code, whatever the collation: tests/integration/test_one_statement_write.py).
PRINTABLE_ASCII = "'^[ -~]*$'"
#: SQL: `format_timestamp`'s text (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), in a pattern and as `to_char` writes it.
_TIMESTAMP_TEXT = "'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}Z$'"
_TIMESTAMP_FORMAT = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""

#: A layout: per key in name order, the column it is (None: a JSON key); whether JSON keys are set, removed;
#: whether the caller's view is checked (embargoes).
_Layout = tuple[tuple[str | None, ...], bool, bool, bool]


@dataclass(frozen=True)
class Plan:
    """One write's statement and its named parameters (psycopg style)."""

    sql: str
    params: dict[str, Any]


def _column_old(column: str) -> tuple[str, str | None]:
    """A column's old value as history text, and the condition under which that text is right (None: always)."""
    kind = column_kind(column)
    if kind == "string":
        return f"to_jsonb(dids.{column})::text", f"(dids.{column} IS NULL OR dids.{column} ~ {PRINTABLE_ASCII})"
    if kind == "timestamp":  # naive UTC, as `format_timestamp` writes it in its tag (NULL stays NULL)
        return f"'{{\"$ts\":\"' || to_char(dids.{column}, {_TIMESTAMP_FORMAT}) || '\"}}'", None
    return f"dids.{column}::text", None


def _json_old(index: int) -> tuple[str, str]:
    """A JSON key's old value as history text, and the condition under which that text is right."""
    value = f"(dids.meta -> %(k{index})s::text)"
    kinds = f"jsonb_typeof({value})"
    stamp = f"({value} -> '$ts')"
    condition = (
        f"({value} IS NULL OR {kinds} IN ('number', 'boolean') "
        f"OR ({kinds} = 'string' AND ({value} #>> '{{}}') ~ {PRINTABLE_ASCII}) "
        # an object: a timestamp's tag alone (CASE: `-` on a scalar would fail, and AND has no order)
        f"OR CASE WHEN {kinds} = 'object' THEN ({value} - '$ts') = '{{}}'::jsonb "
        f"AND jsonb_typeof({stamp}) = 'string' AND ({stamp} #>> '{{}}') ~ {_TIMESTAMP_TEXT} ELSE false END)"
    )
    # a timestamp's tag without the space jsonb writes after its colon
    text = f"CASE WHEN {kinds} = 'object' THEN '{{\"$ts\":' || {stamp}::text || '}}' ELSE {value}::text END"
    return text, condition


class OneStatementWrite:
    """Builds (and keeps) the one-statement write of each layout of keys."""

    def __init__(self, select_list: Sequence[str], hidden: str) -> None:
        """`select_list`: the row's columns as point.py reads them; `hidden`: the SQL boolean of an embargo
        hiding the DID from the caller (`hidden_sql` over the `scope`, `name`, `now`, `account` parameters)."""
        self._columns = tuple(select_list)
        self._select_list = ", ".join(f"dids.{column}" for column in select_list)
        self._hidden = hidden
        self._statements: dict[_Layout, str] = {}

    def plan(
        self,
        key: DidKey,
        column_share: Metadata,
        json_share: Metadata,
        column_values: Mapping[str, Any],
        bind: Callable[[str, Any], Any],
        view: Mapping[str, Any] | None,
    ) -> Plan | None:
        """The statement of this write, or None when it is not one this statement takes (see the module).

        `column_values`: DID_COLUMN's checked values of `column_share` (`updated_at` included), `bind` their
        driver form; `view`: the `now` and `account` of the embargo check for a caller who does not see every
        DID (None: one who does)."""
        shares = {**column_share, **json_share}
        if not shares or len(shares) > MAX_KEYS or any(k not in PLAIN_COLUMNS for k in column_share):
            return None
        names = sorted(shares)
        setting = {name: value for name, value in json_share.items() if value is not None}
        removing = [name for name, value in json_share.items() if value is None]
        layout: _Layout = (
            tuple(name if name in column_share else None for name in names),
            bool(setting),
            bool(removing),
            view is not None,
        )
        sql = self._statements.get(layout)
        if sql is None:
            sql = self._statement(layout, sorted(column_values))
            if len(self._statements) >= MAX_STATEMENTS:
                self._statements.clear()
            self._statements[layout] = sql
        at, account, request_id = History.caller("postgresql")
        params: dict[str, Any] = {
            "scope": key.scope,
            "name": key.name,
            "h_at": at,
            "h_account": account,
            "h_request_id": request_id,
            **{f"c_{column}": bind(column, value) for column, value in column_values.items()},
        }
        for index, name in enumerate(names):
            params[f"k{index}"] = name
            params[f"n{index}"] = value_text(shares[name])
        if setting:
            params["patch"] = dump_json({name: to_json(value) for name, value in setting.items()})
        if removing:
            params["removed"] = removing
        if view is not None:
            params.update(view)
        return Plan(sql, params)

    def _statement(self, layout: _Layout, columns: Sequence[str]) -> str:
        keys, setting, removing, checked = layout
        olds: list[str] = []
        conditions: list[str] = []
        for index, column in enumerate(keys):
            text, condition = _column_old(column) if column is not None else _json_old(index)
            olds.append(f"{text} AS o{index}")
            if condition is not None:
                conditions.append(condition)
        simple = " AND ".join(conditions) or "true"
        where = "dids.scope = %(scope)s AND dids.name = %(name)s"
        if checked:
            where += f" AND NOT {self._hidden}"
        assignments = [f"{column} = %(c_{column})s" for column in columns]
        if setting or removing:
            document = "COALESCE(NULLIF(dids.meta, 'null'::jsonb), '{}'::jsonb)"
            if setting:
                document = f"({document} || %(patch)s::jsonb)"
            if removing:
                document = f"({document} - %(removed)s::text[])"
            # no key left: JSON null, as the other paths store it (SQLAlchemy's JSON type binds None so)
            assignments.append(f"meta = COALESCE(NULLIF({document}, '{{}}'::jsonb), 'null'::jsonb)")
        records = ", ".join(f"(%(k{i})s::text, changed.o{i}, %(n{i})s::text)" for i in range(len(keys)))
        returned = ", ".join(f"old.o{i}" for i in range(len(keys)))
        return (
            f"WITH old AS (SELECT {self._select_list}, dids.xmin AS row_version, {', '.join(olds)}, "
            f"{simple} AS simple FROM dids WHERE {where} FOR NO KEY UPDATE), "
            f"changed AS (UPDATE dids SET {', '.join(assignments)} FROM old "
            f"WHERE dids.scope = old.scope AND dids.name = old.name AND old.simple RETURNING {returned}), "
            "recorded AS (INSERT INTO history (at, account, request_id, scope, name, action, key, old_value, "
            "new_value) SELECT %(h_at)s::timestamp, %(h_account)s::text, %(h_request_id)s::text, "
            "%(scope)s, %(name)s, 'set', v.key, v.old_value, v.new_value "
            f"FROM changed CROSS JOIN LATERAL (VALUES {records}) AS v(key, old_value, new_value) "
            "WHERE v.old_value IS DISTINCT FROM v.new_value) "
            f"SELECT (SELECT count(*) FROM changed), {', '.join(f'old.{c}' for c in self._columns)}, "
            "old.row_version FROM old"
        )
