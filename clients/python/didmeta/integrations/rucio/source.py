"""Read-only access to a Rucio database in Rucio's own schema (SQLAlchemy Core, reflected tables).

Everything is read in keyset pages ordered by primary key (`(scope, name) > last`), so memory stays
constant at any size and a reader can start after any row: that is what makes an import resumable.
The tables are reflected, not declared, so the column set of the Rucio version at hand is used
(the physics columns, `did_meta`) and a missing optional table (`did_meta`) is simply absent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

PAGE = 1000


def engine_url(url: str) -> str:
    """SQLAlchemy URL with the psycopg 3 driver for a bare `postgresql://` URL (Rucio's own is accepted)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class RucioSource:
    """One Rucio database, opened read-only (`SET TRANSACTION READ ONLY` on PostgreSQL, `mode=ro` on SQLite)."""

    def __init__(self, url: str, schema: str | None = None, page: int = PAGE) -> None:
        url = engine_url(url)
        connect_args: dict[str, Any] = {}
        if url.startswith("sqlite:///") and "mode=ro" not in url:
            url = f"sqlite:///file:{url[len('sqlite:///') :]}?mode=ro&uri=true"
        self.engine = sa.create_engine(url, connect_args=connect_args)
        if self.engine.dialect.name == "postgresql":
            sa.event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("SET TRANSACTION READ ONLY"))
        self.page = page
        meta = sa.MetaData(schema=schema)
        try:
            names = set(sa.inspect(self.engine).get_table_names(schema=schema))
        except sa.exc.SQLAlchemyError as error:
            self.engine.dispose()
            raise ValueError(f"cannot read the Rucio database: {getattr(error, 'orig', None) or error}") from None
        missing = {"scopes", "dids", "contents"} - names
        if missing:
            raise ValueError(f"not a Rucio database: table(s) {', '.join(sorted(missing))} missing")
        meta.reflect(self.engine, only=[t for t in ("scopes", "dids", "contents", "did_meta") if t in names])
        prefix = f"{schema}." if schema else ""
        self.scopes = meta.tables[prefix + "scopes"]
        self.dids = meta.tables[prefix + "dids"]
        self.contents = meta.tables[prefix + "contents"]
        self.did_meta = meta.tables.get(prefix + "did_meta")

    def close(self) -> None:
        self.engine.dispose()

    def list_scopes(self, only: Sequence[str] = ()) -> list[tuple[str, str]]:
        """(scope, owner account) in scope order, restricted to `only` when given."""
        query = sa.select(self.scopes.c.scope, self.scopes.c.account).order_by(self.scopes.c.scope)
        if only:
            query = query.where(self.scopes.c.scope.in_(list(only)))
        with self.engine.connect() as conn:
            return [(str(s), str(a)) for s, a in conn.execute(query)]

    def count_dids(self, scopes: Sequence[str]) -> dict[tuple[str, str], int]:
        """{(scope, Rucio type code): count} of the DIDs in these scopes."""
        d = self.dids.c
        query = (
            sa.select(d.scope, d.did_type, sa.func.count())
            .where(d.scope.in_(list(scopes)))
            .group_by(d.scope, d.did_type)
        )
        with self.engine.connect() as conn:
            return {(str(s), _code(t)): int(n) for s, t, n in conn.execute(query)}

    def count_attachments(self, scopes: Sequence[str]) -> tuple[int, int]:
        """(attachments whose both ends are in `scopes`, attachments with only the parent there)."""
        c = self.contents.c
        inside = sa.and_(c.scope.in_(list(scopes)), c.child_scope.in_(list(scopes)))
        with self.engine.connect() as conn:
            both = conn.execute(sa.select(sa.func.count()).where(inside)).scalar_one()
            parent_only = conn.execute(
                sa.select(sa.func.count()).where(c.scope.in_(list(scopes)), sa.not_(c.child_scope.in_(list(scopes))))
            ).scalar_one()
        return int(both), int(parent_only)

    def dids_after(self, scopes: Sequence[str], after: tuple[str, str] | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of DID rows (every `dids` column, plus `meta` from `did_meta`), in (scope, name) order."""
        d = self.dids.c
        columns: list[Any] = list(self.dids.c)
        join: Any = self.dids
        if self.did_meta is not None:
            m = self.did_meta.c
            join = self.dids.outerjoin(self.did_meta, sa.and_(m.scope == d.scope, m.name == d.name))
            columns.append(m.meta.label("meta"))
        base = sa.select(*columns).select_from(join).where(d.scope.in_(list(scopes))).order_by(d.scope, d.name)
        while True:
            query = base if after is None else base.where(sa.tuple_(d.scope, d.name) > sa.tuple_(*after))
            with self.engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(query.limit(self.page))]
            if not rows:
                return
            for row in rows:
                row["scope"], row["did_type"] = str(row["scope"]), _code(row["did_type"])
            yield rows
            after = (rows[-1]["scope"], rows[-1]["name"])

    def attachments_after(
        self, scopes: Sequence[str], after: tuple[str, str, str, str] | None
    ) -> Iterator[list[tuple[str, str, str, str]]]:
        """Pages of (scope, name, child_scope, child_name), both ends in `scopes`, in key order."""
        c = self.contents.c
        key = (c.scope, c.name, c.child_scope, c.child_name)
        base = sa.select(*key).where(c.scope.in_(list(scopes)), c.child_scope.in_(list(scopes))).order_by(*key)
        while True:
            query = base if after is None else base.where(sa.tuple_(*key) > sa.tuple_(*after))
            with self.engine.connect() as conn:
                rows = [(str(s), str(n), str(cs), str(cn)) for s, n, cs, cn in conn.execute(query.limit(self.page))]
            if not rows:
                return
            yield rows
            after = rows[-1]

    def closed_after(self, scopes: Sequence[str], after: tuple[str, str] | None) -> Iterator[list[tuple[str, str]]]:
        """Pages of the closed collections (scope, name), in key order."""
        d = self.dids.c
        base = (
            sa.select(d.scope, d.name)
            .where(d.scope.in_(list(scopes)), d.is_open == sa.false(), d.did_type.in_(_collection_codes(self.dids)))
            .order_by(d.scope, d.name)
        )
        while True:
            query = base if after is None else base.where(sa.tuple_(d.scope, d.name) > sa.tuple_(*after))
            with self.engine.connect() as conn:
                rows = [(str(s), str(n)) for s, n in conn.execute(query.limit(self.page))]
            if not rows:
                return
            yield rows
            after = rows[-1]


def _code(value: Any) -> str:
    """Rucio's DIDType as its one-letter code, however the column hands it back."""
    text = str(getattr(value, "value", value) or "")
    return {"FILE": "F", "DATASET": "D", "CONTAINER": "C"}.get(text.upper(), text)


def _collection_codes(table: sa.Table) -> list[Any]:
    column_type = table.c.did_type.type
    if isinstance(column_type, sa.Enum) and column_type.enums and "DATASET" in column_type.enums:
        return ["DATASET", "CONTAINER"]
    return ["D", "C"]
