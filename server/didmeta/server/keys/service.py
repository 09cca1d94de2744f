"""DeclareKey and friends: store a declaration, report the existing DIDs that violate it, wire forms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from didmeta.errors import InvalidArgument
from didmeta.filters.model import Clause, Filter, Group, Op
from didmeta.identifiers import DidKey, DidType
from didmeta.server.keys.declarations import TYPES, Declaration
from didmeta.server.query.plan import ListQuery
from didmeta.v1 import did_pb2
from didmeta.v1 import metadata_service_pb2 as pb
from didmeta.wire import value_from_wire, value_to_wire

if TYPE_CHECKING:
    from didmeta.server.dispatcher import Dispatcher

MAX_REPORTED = 100
_CHUNK = 2000
_WIRE_TYPES = {"bool": pb.KEY_TYPE_BOOL, "int": pb.KEY_TYPE_INT, "double": pb.KEY_TYPE_DOUBLE}
_WIRE_TYPES |= {"string": pb.KEY_TYPE_STRING, "timestamp": pb.KEY_TYPE_TIMESTAMP}
_TYPES_FROM_WIRE = {wire: name for name, wire in _WIRE_TYPES.items()}
_DID_TYPES = {DidType.FILE: did_pb2.DID_TYPE_FILE, DidType.DATASET: did_pb2.DID_TYPE_DATASET}
_DID_TYPES[DidType.CONTAINER] = did_pb2.DID_TYPE_CONTAINER
_DID_TYPES_FROM_WIRE = {wire: kind for kind, wire in _DID_TYPES.items()}


def declaration_from_wire(message: pb.KeyDeclaration, field: str = "declaration") -> Declaration:
    kind = _TYPES_FROM_WIRE.get(message.type)
    if kind is None:
        raise InvalidArgument.for_field(f"{field}.type", f"one of {', '.join(TYPES)}")
    did_types = set()
    for index, wire in enumerate(message.did_types):
        if wire not in _DID_TYPES_FROM_WIRE:
            raise InvalidArgument.for_field(f"{field}.did_types[{index}]", "FILE, DATASET or CONTAINER")
        did_types.add(_DID_TYPES_FROM_WIRE[wire])
    return Declaration(
        message.key,
        kind,
        message.list,
        tuple(value_from_wire(v, f"{field}.allowed_values[{i}]") for i, v in enumerate(message.allowed_values)),
        message.pattern,
        frozenset(did_types),
        message.unit,
        message.description,
    ).checked(field)


def declaration_to_wire(declaration: Declaration, out: pb.KeyDeclaration | None = None) -> pb.KeyDeclaration:
    message = out if out is not None else pb.KeyDeclaration()
    message.key = declaration.key
    message.type = _WIRE_TYPES[declaration.type]
    message.list = declaration.list
    for value in declaration.allowed:
        value_to_wire(value, message.allowed_values.add())
    message.pattern = declaration.pattern
    message.did_types.extend(sorted(_DID_TYPES[t] for t in declaration.did_types))
    message.unit = declaration.unit
    message.description = declaration.description
    message.account = declaration.account
    return message


def violations(dispatcher: Dispatcher, declaration: Declaration) -> tuple[int, list[DidKey]]:
    """The DIDs (every scope and type) whose stored value of the key violates the declaration."""
    everything = frozenset(DidType)
    query = ListQuery("*", Filter((Group((Clause(declaration.key, Op.EXISTS, True),)),)), everything)
    owner = dispatcher.owner_of(declaration.key)
    stream = dispatcher.open_listing(query, long=True, after=None, limit=None)
    count = 0
    first: list[DidKey] = []
    try:
        while rows := stream.fetch(_CHUNK):
            types = {DidKey(row[0], row[1]): DidType(row[2]) for row in rows}
            with dispatcher.store.read() as conn:
                values = owner.get_many(conn, list(types))
            for did, did_type in types.items():
                value = values.get(did, {}).get(declaration.key)
                if value is not None and declaration.violation(value, did_type) is not None:
                    count += 1
                    if len(first) < MAX_REPORTED:
                        first.append(did)
    finally:
        stream.close()
    return count, first


def declare(dispatcher: Dispatcher, declaration: Declaration, account: str) -> tuple[Declaration, int, list[DidKey]]:
    stored = dispatcher.keys.put(declaration, account)
    count, first = violations(dispatcher, stored)
    return stored, count, first
