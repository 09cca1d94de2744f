"""Conversions between the protobuf contract (`didmeta.v1`) and Python values. Shared by server and client."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from google.protobuf import struct_pb2, timestamp_pb2

from didmeta.errors import InvalidArgument
from didmeta.filters.grammar import RawClause
from didmeta.filters.model import Op, Quantifier
from didmeta.filters.tree import MAX_PARSE_DEPTH, RawAnd, RawNode, RawNot, RawOr, too_deep
from didmeta.identifiers import TYPE_SELECTORS, DidKey, DidType
from didmeta.v1 import did_pb2, filter_pb2, value_pb2
from didmeta.values import (
    MAX_VALUE_DEPTH,
    Metadata,
    MetaValue,
    check_text,
    check_value,
    format_value,
)

DID_TYPE_TO_WIRE = {
    DidType.FILE: did_pb2.DID_TYPE_FILE,
    DidType.DATASET: did_pb2.DID_TYPE_DATASET,
    DidType.CONTAINER: did_pb2.DID_TYPE_CONTAINER,
}
DID_TYPE_FROM_WIRE = {wire: python for python, wire in DID_TYPE_TO_WIRE.items()}

SELECTOR_FROM_WIRE = {
    did_pb2.DID_TYPE_SELECTOR_UNSPECIFIED: "collection",
    did_pb2.DID_TYPE_SELECTOR_ALL: "all",
    did_pb2.DID_TYPE_SELECTOR_COLLECTION: "collection",
    did_pb2.DID_TYPE_SELECTOR_CONTAINER: "container",
    did_pb2.DID_TYPE_SELECTOR_DATASET: "dataset",
    did_pb2.DID_TYPE_SELECTOR_FILE: "file",
}
SELECTOR_TO_WIRE = {name: wire for wire, name in SELECTOR_FROM_WIRE.items() if wire}
assert set(SELECTOR_TO_WIRE) == set(TYPE_SELECTORS)

OP_FROM_WIRE = {
    filter_pb2.FILTER_OPERATOR_EQ: Op.EQ,
    filter_pb2.FILTER_OPERATOR_NE: Op.NE,
    filter_pb2.FILTER_OPERATOR_LT: Op.LT,
    filter_pb2.FILTER_OPERATOR_LTE: Op.LTE,
    filter_pb2.FILTER_OPERATOR_GT: Op.GT,
    filter_pb2.FILTER_OPERATOR_GTE: Op.GTE,
    filter_pb2.FILTER_OPERATOR_EXISTS: Op.EXISTS,
    filter_pb2.FILTER_OPERATOR_IN: Op.IN,
    filter_pb2.FILTER_OPERATOR_CONTAINS: Op.CONTAINS,
    filter_pb2.FILTER_OPERATOR_PREFIX: Op.PREFIX,
    filter_pb2.FILTER_OPERATOR_NOT_IN: Op.NOT_IN,
    filter_pb2.FILTER_OPERATOR_REGEX: Op.REGEX,
    filter_pb2.FILTER_OPERATOR_IREGEX: Op.IREGEX,
}
OP_TO_WIRE = {op: wire for wire, op in OP_FROM_WIRE.items()}
QUANTIFIER_FROM_WIRE = {
    filter_pb2.FILTER_QUANTIFIER_ANY: Quantifier.ANY,
    filter_pb2.FILTER_QUANTIFIER_ALL: Quantifier.ALL,
    filter_pb2.FILTER_QUANTIFIER_LEN: Quantifier.LEN,
}
QUANTIFIER_TO_WIRE = {q: wire for wire, q in QUANTIFIER_FROM_WIRE.items()}


def did_type_from_wire(value: int, field: str) -> DidType:
    try:
        return DID_TYPE_FROM_WIRE[value]  # type: ignore[index]
    except KeyError:
        raise InvalidArgument.for_field(
            field, "a DID type (FILE, DATASET or CONTAINER) is required", reason="INVALID_TYPE"
        ) from None


def value_to_wire(value: MetaValue, out: value_pb2.Value | None = None) -> value_pb2.Value:
    """A Python value as a wire Value (filled into `out` if given)."""
    message = out if out is not None else value_pb2.Value()
    if value is None:
        message.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        message.bool_value = value
    elif isinstance(value, int):
        message.int_value = value
    elif isinstance(value, float):
        message.double_value = value
    elif isinstance(value, str):
        message.string_value = value
    elif isinstance(value, datetime):
        timestamp_to_wire(value, message.timestamp_value)
    elif isinstance(value, list):
        message.list_value.SetInParent()
        for item in value:
            value_to_wire(item, message.list_value.values.add())
    elif isinstance(value, dict):
        message.map_value.SetInParent()
        for key, item in value.items():
            value_to_wire(item, message.map_value.fields[key])
    else:
        raise TypeError(f"not a metadata value: {type(value).__name__}")
    return message


#: The Unix epoch, and the seconds of a Timestamp that datetime can hold (years 1-9999), as protobuf's own.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECONDS_MIN, _SECONDS_MAX = -62_135_596_800, 253_402_300_799


def timestamp_to_wire(value: datetime, out: timestamp_pb2.Timestamp) -> None:
    """Fill `out` with `value` (a naive datetime is taken as UTC); protobuf's `FromDatetime`, 4x faster."""
    delta = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - _EPOCH
    out.seconds = delta.days * 86_400 + delta.seconds
    out.nanos = delta.microseconds * 1_000


def timestamp_from_wire(message: timestamp_pb2.Timestamp, field: str) -> datetime:
    """A wire Timestamp as a UTC datetime (its nanoseconds cut to microseconds, as protobuf's `ToDatetime`);
    outside years 1-9999, or with nanos outside 0-999999999, it is INVALID_ARGUMENT."""
    seconds, nanos = message.seconds, message.nanos
    if not (_SECONDS_MIN <= seconds <= _SECONDS_MAX and 0 <= nanos <= 999_999_999):
        raise InvalidArgument.for_field(
            field,
            "timestamp out of range: seconds must fall in years 1-9999 and nanos in 0-999999999",
            reason="INVALID_VALUE",
        )
    return _EPOCH + timedelta(0, seconds, nanos // 1_000)  # days, seconds, microseconds


def value_from_wire(message: value_pb2.Value, field: str = "value", depth: int = 0) -> MetaValue:
    """A wire Value as a Python value; an unset Value is INVALID_ARGUMENT."""
    kind = message.WhichOneof("kind")
    if kind is None:
        raise InvalidArgument.for_field(field, "value has no type set", reason="INVALID_VALUE")
    if kind == "null_value":
        return None
    if kind == "bool_value":
        return message.bool_value
    if kind == "int_value":
        return message.int_value
    if kind == "double_value":
        return check_value(message.double_value, field)
    if kind == "string_value":
        return check_text(message.string_value, field)
    if kind == "timestamp_value":
        return timestamp_from_wire(message.timestamp_value, field)
    if depth >= MAX_VALUE_DEPTH:
        raise InvalidArgument.for_field(
            field, f"lists and maps nest at most {MAX_VALUE_DEPTH} levels deep", reason="VALUE_TOO_DEEP"
        )
    if kind == "list_value":
        return [value_from_wire(item, f"{field}[{i}]", depth + 1) for i, item in enumerate(message.list_value.values)]
    return check_value(
        {key: value_from_wire(item, f"{field}.{key}", depth + 1) for key, item in message.map_value.fields.items()},
        field,
        depth,
    )


def metadata_to_wire(metadata: Mapping[str, MetaValue], out: Mapping[str, value_pb2.Value]) -> None:
    """Fill a protobuf map<string, Value> from a Python mapping."""
    for key, value in metadata.items():
        value_to_wire(value, out[key])


def metadata_from_wire(message: Mapping[str, value_pb2.Value], field: str = "metadata") -> Metadata:
    """The metadata of a message; common scalars inline (no field path built unless a value is refused)."""
    metadata: Metadata = {}
    for key, value in message.items():
        kind = value.WhichOneof("kind")
        if kind == "int_value":
            metadata[key] = value.int_value
        elif kind == "string_value" and "\x00" not in (text := value.string_value):
            metadata[key] = text
        elif kind == "bool_value":
            metadata[key] = value.bool_value
        elif kind == "double_value" and math.isfinite(number := value.double_value):
            metadata[key] = number + 0.0  # -0.0 is stored as 0.0 (check_value)
        else:
            metadata[key] = value_from_wire(value, f"{field}.{key}")
    return metadata


def did_key_to_wire(key: DidKey) -> did_pb2.DidKey:
    return did_pb2.DidKey(scope=key.scope, name=key.name)


def did_key_from_wire(message: did_pb2.DidKey) -> DidKey:
    return DidKey(message.scope, message.name)


def _clause_from_wire(clause: filter_pb2.FilterClause, where: str) -> RawClause:
    op = OP_FROM_WIRE.get(clause.operator)
    if op is None:
        raise InvalidArgument.for_field(f"{where}.operator", "operator is required", reason="INVALID_FILTER")
    value = value_from_wire(clause.value, f"{where}.value")
    quantifier = QUANTIFIER_FROM_WIRE.get(clause.quantifier)
    if quantifier is None and clause.quantifier != filter_pb2.FILTER_QUANTIFIER_UNSPECIFIED:
        raise InvalidArgument.for_field(f"{where}.quantifier", "unknown quantifier", reason="INVALID_FILTER")
    key = clause.key if quantifier is None else f"{clause.key}.{quantifier.value}"
    return RawClause(clause.key, op, value, False, f"{key}.{op.value}={format_value(value)}", quantifier)


def node_from_wire(message: filter_pb2.FilterNode, field: str, depth: int = 0) -> RawNode:
    """A wire filter tree as a raw tree; an unset node or an empty and/or is INVALID_ARGUMENT."""
    if depth > MAX_PARSE_DEPTH:
        raise too_deep(depth, MAX_PARSE_DEPTH)
    kind = message.WhichOneof("node")
    if kind == "clause":
        return _clause_from_wire(message.clause, f"{field}.clause")
    if kind == "negation":
        return RawNot(node_from_wire(message.negation, f"{field}.negation", depth + 1))
    if kind in ("all_of", "any_of"):
        nodes = message.all_of.nodes if kind == "all_of" else message.any_of.nodes
        if not nodes:
            raise InvalidArgument.for_field(
                f"{field}.{kind}", f"{kind} needs at least one node", reason="INVALID_FILTER"
            )
        children = tuple(node_from_wire(n, f"{field}.{kind}.nodes[{i}]", depth + 1) for i, n in enumerate(nodes))
        return RawAnd(children) if kind == "all_of" else RawOr(children)
    raise InvalidArgument.for_field(field, "filter node has no kind set", reason="INVALID_FILTER")


def filter_from_wire(message: filter_pb2.Filter, field: str = "filter") -> list[list[RawClause]] | str | RawNode:
    """The string expression, the structured groups as raw clauses, or the tree as a raw tree."""
    given = [bool(message.expression), len(message.groups) > 0, message.HasField("tree")]
    if sum(given) > 1:
        raise InvalidArgument.for_field(
            field, "give at most one of groups, expression and tree", reason="INVALID_FILTER"
        )
    if message.expression:
        return check_text(message.expression, f"{field}.expression")
    if message.HasField("tree"):
        return node_from_wire(message.tree, f"{field}.tree")
    groups: list[list[RawClause]] = []
    for g, group in enumerate(message.groups):
        clauses = [
            _clause_from_wire(clause, f"{field}.groups[{g}].clauses[{c}]") for c, clause in enumerate(group.clauses)
        ]
        if clauses:
            groups.append(clauses)
    return groups


def node_to_wire(node: RawNode, out: filter_pb2.FilterNode | None = None) -> filter_pb2.FilterNode:
    """A raw tree as a wire filter tree (filled into `out` if given)."""
    message = out if out is not None else filter_pb2.FilterNode()
    if isinstance(node, RawClause):
        message.clause.key = node.key
        message.clause.operator = OP_TO_WIRE[node.op]
        if node.quantifier is not None:
            message.clause.quantifier = QUANTIFIER_TO_WIRE[node.quantifier]
        value_to_wire(node.value, message.clause.value)
    elif isinstance(node, RawNot):
        node_to_wire(node.child, message.negation)
    else:
        target = message.all_of if isinstance(node, RawAnd) else message.any_of
        target.SetInParent()
        for child in node.children:
            node_to_wire(child, target.nodes.add())
    return message


def filter_to_wire(groups: list[list[tuple[str, Op, MetaValue]]]) -> filter_pb2.Filter:
    message = filter_pb2.Filter()
    for group in groups:
        wire_group = message.groups.add()
        for key, op, value in group:
            clause = wire_group.clauses.add(key=key, operator=OP_TO_WIRE[op])
            value_to_wire(value, clause.value)
    return message


#: Request header asking a server with read replicas for reads from the primary database (read-after-write).
READ_FROM_HEADER = "didmeta-read-from"
