"""FreezeDids: a DATASET or CONTAINER whose content is exactly what a listing returns now.

The selection is listed as the caller sees it (embargo, unreadable scopes), checked against the
collection type (a dataset holds files; a container datasets and containers), and the collection is
created, filled and closed in one unit of work. Its metadata records the query, the time and the
count (`frozen_*` keys), so an analysis can cite a fixed, reproducible selection.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from didmeta.errors import InvalidArgument
from didmeta.filters.model import Group
from didmeta.identifiers import DidKey, DidType
from didmeta.server.query.explain import clause_text
from didmeta.server.query.plan import ListQuery
from didmeta.values import Metadata, MetaValue

if TYPE_CHECKING:
    from didmeta.server.dispatcher import Dispatcher, NewDid

_FETCH = 10_000


def filter_text(query: ListQuery) -> str:
    """The normalised filter in the grammar: `;` between groups, `,` between clauses, group types first."""
    groups = []
    for group in query.filter.groups or (Group(),):
        parts = [] if group.types is None else ["type.in=[" + ",".join(sorted(t.name for t in group.types)) + "]"]
        parts += [clause_text(c) for c in group.clauses]
        groups.append(",".join(parts))
    return ";".join(groups)


def frozen_metadata(query: ListQuery, count: int, at: datetime) -> Metadata:
    types: list[MetaValue] = []
    types.extend(sorted(t.name for t in query.types))
    metadata: Metadata = {
        "frozen_query": filter_text(query),
        "frozen_scope": query.scope_pattern,
        "frozen_types": types,
        "frozen_at": at,
        "frozen_count": count,
    }
    if query.recursive:
        metadata["frozen_recursive"] = True
    if query.ignore_case:
        metadata["frozen_ignore_case"] = True
    return metadata


def freeze(dispatcher: Dispatcher, new: NewDid, query: ListQuery) -> int:
    kind = new.spec.did_type
    if kind is DidType.FILE:
        raise InvalidArgument.for_field("did.type", "a frozen selection is a DATASET or a CONTAINER")
    stream = dispatcher.open_listing(query, long=True, after=None, limit=None)
    selected: list[DidKey] = []
    first: tuple[DidType, DidKey] | None = None  # a container holds datasets or containers, not both
    try:
        while rows := stream.fetch(_FETCH):
            for row in rows:
                child_type, child = DidType(row[2]), DidKey(row[0], row[1])
                if (kind is DidType.DATASET) != (child_type is DidType.FILE):
                    holds = "files only" if kind is DidType.DATASET else "datasets and containers only"
                    raise InvalidArgument.for_field(
                        "type",
                        f"the selection contains the {child_type.name} {child}; a {kind.name} holds {holds}"
                        " (select the types with `type`)",
                    )
                first = first or (child_type, child)
                if child_type is not first[0]:
                    raise InvalidArgument.for_field(
                        "type",
                        f"the selection contains the {first[0].name} {first[1]} and the {child_type.name} {child};"
                        " a CONTAINER holds datasets or containers, not both (select one type with `type`)",
                    )
                selected.append(child)
    finally:
        stream.close()
    metadata = {**new.metadata, **frozen_metadata(query, len(selected), datetime.now(UTC))}
    return dispatcher.add_closed_collection(dataclasses.replace(new, metadata=metadata), selected)
