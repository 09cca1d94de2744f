"""The OpenAPI 3.1 document of the gateway, built from the same routes and message descriptors it serves.

Schemas follow the proto3 JSON mapping the gateway speaks: lowerCamelCase property names, 64-bit
integers as strings, enums by name, timestamps as RFC 3339 strings, maps as objects. Server-streaming
routes answer `application/x-ndjson`, one `{"result": ...}` (or a final `{"error": ...}`) per line.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from didmeta.server.rest.routes import Route
from didmeta.server.rest.transcode import enum_type, is_map, message_type, query_fields

_TYPES: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"},
    FieldDescriptor.TYPE_SFIXED64: {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"},
    FieldDescriptor.TYPE_FIXED64: {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"},
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
    },
}
_NULL_ENUM = "google.protobuf.NullValue"
STATUS_REF = {"$ref": "#/components/schemas/google.rpc.Status"}


class _Schemas:
    """Collects component schemas for every message reached from the routes."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, descriptor: Descriptor) -> dict[str, Any]:
        if descriptor.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[descriptor.full_name])
        if descriptor.full_name not in self.components:
            self.components[descriptor.full_name] = {}  # placeholder: recursive types (Value) refer to it
            self.components[descriptor.full_name] = self._message(descriptor)
        return {"$ref": f"#/components/schemas/{descriptor.full_name}"}

    def _message(self, descriptor: Descriptor) -> dict[str, Any]:
        properties = {field.json_name: self.field(field) for field in descriptor.fields}
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        oneofs = [o for o in descriptor.oneofs if not o.name.startswith("_")]
        if oneofs and len(oneofs[0].fields) == len(descriptor.fields):  # a pure oneof message (Value)
            names = [f.json_name for f in oneofs[0].fields]
            schema["description"] = f"Exactly one of: {', '.join(names)}."
            schema["minProperties"] = schema["maxProperties"] = 1
        return schema

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        if is_map(field):
            value = message_type(field).fields_by_name["value"]
            return {"type": "object", "additionalProperties": self.single(value)}
        single = self.single(field)
        if field.is_repeated:
            return {"type": "array", "items": single}
        return single

    def single(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            return self.ref(message_type(field))
        if field.type == FieldDescriptor.TYPE_ENUM:
            return enum_schema(enum_type(field))
        return dict(_TYPES[field.type])


def enum_schema(enum: EnumDescriptor) -> dict[str, Any]:
    if enum.full_name == _NULL_ENUM:
        return {"type": "null"}
    return {"type": "string", "enum": [value.name for value in enum.values]}


def _parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    bound = {variable.name for variable in route.template.variables}
    parameters: list[dict[str, Any]] = [
        {
            "name": variable.parameter,
            "in": "path",
            "required": True,
            "description": f"The request field `{variable.name}`"
            + (" (may contain `/`)" if "**" in route.template.segments[variable.start : variable.end] else ""),
            "schema": {"type": "string", "minLength": 1},
        }
        for variable in sorted(route.template.variables, key=lambda v: v.parameter)
    ]
    if route.body == "*" or route.client_streaming:
        return parameters
    for name, field in query_fields(route.method.input_type):
        if name in bound:
            continue
        schema = schemas.field(field)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
        if schema.get("type") == "array":
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return parameters


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    method = route.method
    output = schemas.ref(method.output_type)
    kind = "server stream" if route.server_streaming else "client stream" if route.client_streaming else "unary"
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": f"{method.containing_service.name}.{method.name} ({kind})",
        "tags": [method.containing_service.name],
        "parameters": _parameters(route, schemas),
        "responses": {
            "default": {
                "description": "An error: google.rpc.Status",
                "content": {"application/json": {"schema": STATUS_REF}},
            }
        },
    }
    if route.server_streaming:
        line = {
            "type": "object",
            "properties": {"result": output, "error": STATUS_REF},
            "minProperties": 1,
            "maxProperties": 1,
        }
        operation["responses"]["200"] = {
            "description": "One JSON object per line: each message as `result`; a failure after the first as `error`",
            "content": {"application/x-ndjson": {"schema": line}},
        }
    else:
        operation["responses"]["200"] = {
            "description": "The response",
            "content": {"application/json": {"schema": output}},
        }
    if route.client_streaming:
        operation["requestBody"] = {
            "required": True,
            "description": f"One {method.input_type.name} per line (newline-delimited JSON)",
            "content": {"application/x-ndjson": {"schema": schemas.ref(method.input_type)}},
        }
    elif route.body == "*":
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(method.input_type)}},
        }
    return operation


def openapi_document(routes: tuple[Route, ...]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the routes."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: (r.template.openapi_path(), r.http_method)):
        paths.setdefault(route.template.openapi_path(), {})[route.http_method.lower()] = _operation(route, schemas)
    from google.rpc import status_pb2

    schemas.ref(status_pb2.Status.DESCRIPTOR)
    try:
        version = metadata.version("didmeta")
    except metadata.PackageNotFoundError:
        version = "0"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "didmeta REST/JSON gateway",
            "version": version,
            "description": "The didmeta.v1 gRPC contract over HTTP/JSON (google.api.http rules); see docs/rest.md.",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.components.items()))},
    }
