"""Plain Python results of the client: no protobuf types leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from didmeta.identifiers import DidKey
from didmeta.values import Metadata, MetaValue


@dataclass(frozen=True)
class Scope:
    name: str
    account: str
    created_at: datetime


@dataclass(frozen=True)
class DidInfo:
    """A DID with its intrinsic attributes."""

    scope: str
    name: str
    type: str
    account: str
    bytes: int
    length: int
    events: int
    md5: str
    adler32: str
    guid: str
    is_open: bool
    created_at: datetime | None
    updated_at: datetime | None
    closed_at: datetime | None
    expired_at: datetime | None
    suppressed: bool = False
    hidden: bool = False
    accessed_at: datetime | None = None
    eol_at: datetime | None = None

    @property
    def key(self) -> DidKey:
        return DidKey(self.scope, self.name)


@dataclass(frozen=True)
class DidRow:
    """One DID of a long listing."""

    scope: str
    name: str
    type: str
    bytes: int
    length: int
    metadata: Metadata = field(default_factory=dict)

    @property
    def key(self) -> DidKey:
        return DidKey(self.scope, self.name)


@dataclass
class NewDid:
    """A DID to create."""

    did: str | DidKey
    type: str
    bytes: int | None = None
    adler32: str | None = None
    md5: str | None = None
    guid: str | None = None
    events: int | None = None
    metadata: Metadata = field(default_factory=dict)
    #: Owner account; None (or empty) means the caller.
    account: str | None = None


@dataclass
class LoadChunk:
    """One atomic chunk of a bulk load."""

    dids: list[NewDid] = field(default_factory=list)
    metadata: list[tuple[str | DidKey, Metadata]] = field(default_factory=list)
    attachments: list[tuple[str | DidKey, str | DidKey]] = field(default_factory=list)


@dataclass(frozen=True)
class LoadResult:
    chunks: int
    created: int
    updated: int
    attached: int


@dataclass(frozen=True)
class PluginInfo:
    name: str
    order: int
    description: str
    features: tuple[str, ...]
    healthy: bool
    managed_keys: tuple[str, ...]


@dataclass(frozen=True)
class EmbargoInfo:
    """A DID's embargo (times UTC-aware)."""

    did: str
    until: datetime
    recursive: bool
    account: str
    created_at: datetime
    expired: bool


@dataclass(frozen=True)
class HistoryEvent:
    """One audit record: who changed what on a DID, when, in which request; old/new None when absent."""

    id: int
    at: datetime
    account: str
    request_id: str
    did: str
    action: str
    key: str | None
    old: MetaValue | None
    new: MetaValue | None


@dataclass(frozen=True)
class CountTotals:
    """CountDids with totals: the count and the sums of bytes and events of the matching DIDs."""

    count: int
    bytes: int
    events: int


@dataclass(frozen=True)
class Facet:
    """One key summarised over the matching DIDs (FacetDids).

    values: the most frequent scalar values with their counts; buckets: (lower bound, count) of the
    histogram when a bucket width was given; missing: DIDs lacking the key; other: DIDs whose value
    is a list or a map; distinct: number of distinct scalar values.
    """

    key: str
    values: list[tuple[MetaValue, int]]
    buckets: list[tuple[MetaValue, int]]
    missing: int
    other: int
    distinct: int


@dataclass(frozen=True)
class FacetResult:
    """FacetDids: the number of matching DIDs and one Facet per requested key."""

    count: int
    facets: list[Facet]


@dataclass(frozen=True)
class ExplainedClause:
    clause: str
    plugin: str
    complement: bool


@dataclass(frozen=True)
class ExplainedQuery:
    """One query a listing runs: on the CATALOGUE database or a plugin's backend, for group `group` (-1: all)."""

    backend: str
    group: int
    language: str
    query: str
    parameters: dict[str, str]
    plan: str


@dataclass(frozen=True)
class Explanation:
    """ExplainDids: the normalised filter's groups (types, routed clauses), whether streams are merged, the queries."""

    groups: list[tuple[list[str], list[ExplainedClause]]]
    merged: bool
    queries: list[ExplainedQuery]


@dataclass(frozen=True)
class KeyInfo:
    """A declared key: type (bool, int, double, string, timestamp), whether a list, constraints."""

    key: str
    type: str
    is_list: bool = False
    allowed_values: list[MetaValue] = field(default_factory=list)
    pattern: str = ""
    did_types: list[str] = field(default_factory=list)
    unit: str = ""
    description: str = ""
    account: str = ""


@dataclass(frozen=True)
class DeclareResult:
    """DeclareKey: the stored declaration and the existing DIDs that violate it (the first 100)."""

    declaration: KeyInfo
    violation_count: int
    violations: list[str]


@dataclass(frozen=True)
class SavedQueryInfo:
    """A saved query: a named listing of an account (`filter` is the expression as saved)."""

    name: str
    account: str
    scope: str
    filter: str
    type: str
    recursive: bool
    ignore_case: bool
