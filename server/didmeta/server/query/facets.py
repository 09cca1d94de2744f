"""Summaries without fetching: CountDids totals and FacetDids (docs/filters.md#summaries).

The DIDs summarised are exactly those a listing with the same arguments returns (embargo and
unreadable scopes excluded, recursion included). Each backend aggregates natively: a `GROUP BY`
for the relational plugins (one statement over the whole selection when the filter is pure SQL),
a MongoDB `$group`, OpenSearch/Elasticsearch terms aggregations (chunk by chunk of the selected
DIDs when the selection needs the merged listing). What the backends return — distinct stored
values with counts — is then summarised here, in one place, so every backend gives the same
answer: numbers merged numerically, top-N order, histogram buckets, missing and other counts.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

from didmeta.errors import InvalidArgument, OutOfRange
from didmeta.identifiers import DidKey, validate_key
from didmeta.plugins.base import MetadataPlugin, RelationalPlugin, ValueCounts
from didmeta.server.query.plan import ListQuery
from didmeta.server.store.schema import dids
from didmeta.values import INT64_MAX, INT64_MIN, MetaValue

if TYPE_CHECKING:
    from didmeta.server.dispatcher import Dispatcher

DEFAULT_TOP = 10
MAX_TOP = 1000
MAX_FACETS = 32
#: Matched DIDs handed to a plugin per aggregation when the selection is streamed.
STREAM_CHUNK = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_KIND_ORDER = {"bool": 0, "number": 1, "string": 2, "timestamp": 3}


@dataclass(frozen=True)
class FacetSpec:
    """One key to summarise: the `top` most frequent values, and buckets of `width` if given."""

    key: str
    top: int = DEFAULT_TOP
    width: float | None = None


@dataclass
class Facet:
    key: str
    values: list[tuple[MetaValue, int]] = field(default_factory=list)
    buckets: list[tuple[MetaValue, int]] = field(default_factory=list)
    missing: int = 0
    other: int = 0
    distinct: int = 0


@dataclass(frozen=True)
class Totals:
    count: int
    bytes: int
    events: int


def check_specs(specs: Sequence[FacetSpec]) -> list[FacetSpec]:
    """Validated specs (top 0 becomes the default); INVALID_ARGUMENT naming the field otherwise."""
    if not specs:
        raise InvalidArgument.for_field("facets", "name at least one key to summarise")
    if len(specs) > MAX_FACETS:
        raise InvalidArgument.for_field("facets", f"at most {MAX_FACETS} keys per request")
    checked: list[FacetSpec] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        validate_key(spec.key, f"facets[{index}].key")
        if spec.key in seen:
            raise InvalidArgument.for_field(f"facets[{index}].key", f"the key {spec.key!r} is given twice")
        seen.add(spec.key)
        top = spec.top or DEFAULT_TOP
        if not 1 <= top <= MAX_TOP:
            raise InvalidArgument.for_field(f"facets[{index}].top", f"between 0 and {MAX_TOP}, not {spec.top}")
        width = spec.width or None
        if width is not None and not (math.isfinite(width) and width > 0):
            raise InvalidArgument.for_field(f"facets[{index}].bucket_width", f"a positive number, not {spec.width}")
        checked.append(FacetSpec(spec.key, top, width))
    return checked


# --- summarising ----------------------------------------------------------------------------------
def _kind(value: MetaValue) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, datetime):
        return "timestamp"
    return "string"


def canonical_number(value: float) -> int | float:
    """An integral number as an int (5.0 -> 5), anything else unchanged."""
    if isinstance(value, float) and value.is_integer() and INT64_MIN <= value <= INT64_MAX:
        return int(value)
    return value


def _marker(stored: MetaValue) -> tuple[str, MetaValue]:
    """(kind, value) under which equal values meet: 5 and 5.0 are one marker (equal and hashed alike)."""
    exact = type(stored)  # the common types first: a facet may merge millions of values
    if exact is float:
        return "number", canonical_number(cast(float, stored))
    if exact is str:
        return "string", stored
    if exact is int:
        return "number", stored
    if exact is bool:
        return "bool", stored
    kind = _kind(stored)
    return kind, (canonical_number(cast(float, stored)) if kind == "number" else stored)


def _merge(counts: ValueCounts) -> dict[tuple[str, MetaValue], int]:
    merged: dict[tuple[str, MetaValue], int] = {}
    get = merged.get
    for stored, count in counts.values:
        marker = _marker(stored)
        merged[marker] = get(marker, 0) + count
    return merged


def _bucket(kind: str, value: MetaValue, width: float) -> MetaValue | None:
    if kind == "number":
        assert isinstance(value, int | float)
        return canonical_number(math.floor(value / width) * width)
    if kind == "timestamp":
        assert isinstance(value, datetime)
        step = max(1, round(width * 1_000_000))
        micros = (value - _EPOCH) // _MICROSECOND
        return _EPOCH + (micros // step) * step * _MICROSECOND
    return None


def summarise(spec: FacetSpec, counts: ValueCounts, matched: int) -> Facet:
    """The facet of one key from its distinct values over `matched` DIDs."""
    merged = _merge(counts)
    scalar = sum(merged.values())
    # The top values only: heapq.nsmallest equals sorted(...)[:top] (ties included) without sorting them all.
    ordered = heapq.nsmallest(
        spec.top, merged.items(), key=lambda item: (-item[1], _KIND_ORDER[item[0][0]], item[0][1])
    )
    facet = Facet(spec.key, missing=matched - counts.present, other=counts.present - scalar, distinct=len(merged))
    facet.values = [(value, count) for (_, value), count in ordered]
    if spec.width is not None:
        buckets: dict[tuple[str, MetaValue], int] = {}
        for (kind, value), count in merged.items():
            lower = _bucket(kind, value, spec.width)
            if lower is not None:
                buckets[(kind, lower)] = buckets.get((kind, lower), 0) + count
        ordered_buckets = sorted(buckets.items(), key=lambda item: (_KIND_ORDER[item[0][0]], item[0][1]))
        facet.buckets = [(lower, count) for (_, lower), count in ordered_buckets]
    return facet


def _total_out_of_range() -> OutOfRange:
    return OutOfRange(
        "the sum of bytes or events over the matching DIDs exceeds the int64 range; narrow the filter",
        reason="TOTAL_OUT_OF_RANGE",
    )


def _checked(totals: Totals) -> Totals:
    if not (INT64_MIN <= totals.bytes <= INT64_MAX and INT64_MIN <= totals.events <= INT64_MAX):
        raise _total_out_of_range()
    return totals


# --- running --------------------------------------------------------------------------------------
class Summaries:
    """CountDids totals and FacetDids over the dispatcher's catalogue and plugins."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.planner = dispatcher.planner

    def totals(self, query: ListQuery) -> Totals:
        """Count, and the sums of `bytes` and `events` of the matching DIDs.

        A sum past int64 is OUT_OF_RANGE on every database (PostgreSQL sums into `numeric`, SQLite
        stops with "integer overflow"): the contract's fields are int64, and a wrapped or rounded total
        would be a wrong answer."""
        from sqlalchemy import exc as sa_exc
        from sqlalchemy import func, select

        if self.planner.is_pure_sql(query):
            statement = select(
                func.count(), func.coalesce(func.sum(dids.c.bytes), 0), func.coalesce(func.sum(dids.c.events), 0)
            ).where(self.planner.matching(query))
            try:
                with self.dispatcher.store.read() as conn:
                    count, total_bytes, events = conn.execute(statement).one()
            except sa_exc.OperationalError as error:
                if "integer overflow" in str(error.orig).lower():
                    raise _total_out_of_range() from None
                raise
            return _checked(Totals(int(count), int(total_bytes), int(events)))
        stream = self.dispatcher.open_listing(query, long=True, after=None, limit=None, wide=True)
        count = total_bytes = events = 0
        try:  # long wide rows: scope, name, type, bytes, length, events, created_at
            while rows := stream.fetch(10_000):
                count += len(rows)
                total_bytes += sum(int(row[3] or 0) for row in rows)
                events += sum(int(row[5] or 0) for row in rows)
        finally:
            stream.close()
        return _checked(Totals(count, total_bytes, events))

    def owner(self, key: str) -> MetadataPlugin:
        if self.dispatcher.did_column.facet_kind(key) is not None:
            return self.dispatcher.did_column
        return self.planner.owner_for_filter(key)

    def facets(self, query: ListQuery, specs: Sequence[FacetSpec]) -> tuple[int, list[Facet]]:
        """The number of matching DIDs and one facet per spec."""
        owners = [self.owner(spec.key) for spec in specs]
        if self.planner.is_pure_sql(query) and all(isinstance(o, RelationalPlugin) for o in owners):
            where = self.planner.matching(query)
            with self.dispatcher.store.read() as conn:
                counts = [
                    cast(RelationalPlugin, owner).value_counts_where(conn, spec.key, where)
                    for spec, owner in zip(specs, owners, strict=True)
                ]
                # The first aggregation counted the rows it looked at, i.e. the matching DIDs, in the
                # same scan; an aggregation that does not count them needs the count apart.
                rows = counts[0].rows
                matched = rows if rows is not None else int(conn.execute(self.planner.count(query)).scalar_one())
        else:
            counts = [ValueCounts() for _ in specs]
            matched = self._streamed(query, specs, owners, counts)
        return matched, [summarise(s, c, matched) for s, c in zip(specs, counts, strict=True)]

    def _streamed(
        self, query: ListQuery, specs: Sequence[FacetSpec], owners: Sequence[MetadataPlugin], counts: list[ValueCounts]
    ) -> int:
        """Aggregate chunk by chunk of the matching DIDs, as a listing delivers them."""
        stream = self.dispatcher.open_listing(query, long=False, after=None, limit=None)
        matched = 0
        try:
            while rows := stream.fetch(STREAM_CHUNK):
                chunk = [DidKey(row[0], row[1]) for row in rows]
                matched += len(chunk)
                with self.dispatcher.store.read() as conn:
                    for spec, owner, count in zip(specs, owners, counts, strict=True):
                        count.add(owner.value_counts(conn, spec.key, chunk))
        finally:
            stream.close()
        return matched
