"""HTTP request -> request message, response message -> JSON, following the `google.api.http` rules.

- `body: "*"`: the JSON body is the request; path variables then override their fields.
- No body (GET, DELETE): every field not bound by the path may be a query parameter, named by its field
  path (`filter.expression`, `page_token` or `pageToken`); repeat a parameter for a repeated field.
- Output is proto3 JSON (lowerCamelCase names, int64 as strings, enums by name, RFC 3339 timestamps),
  with fields at their default value included.
Bad JSON, an unknown field or parameter, or a value of the wrong type is INVALID_ARGUMENT naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from didmeta.errors import InvalidArgument
from didmeta.server.rest.routes import Route

MALFORMED = "MALFORMED_REQUEST"
_INTEGERS = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_SFIXED64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64,
}
_FLOATS = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}
#: Message types a query parameter may set as a whole (from their JSON string form).
_STRING_MESSAGES = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}


def message_type(field: FieldDescriptor) -> Descriptor:
    """The message type of a message field."""
    assert field.message_type is not None, field.full_name
    return field.message_type


def enum_type(field: FieldDescriptor) -> EnumDescriptor:
    assert field.enum_type is not None, field.full_name
    return field.enum_type


def is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and bool(message_type(field).GetOptions().map_entry)


def message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


def to_json(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    return data


def parse_json(text: bytes, what: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidArgument.for_field(what, f"not valid JSON: {error}", reason=MALFORMED) from None


def _parse_into(data: Any, message: Message, what: str) -> None:
    if not isinstance(data, dict):
        raise InvalidArgument.for_field(what, "must be a JSON object", reason=MALFORMED)
    try:
        json_format.ParseDict(data, message)
    except json_format.ParseError as error:
        raise InvalidArgument.for_field(what, str(error), reason=MALFORMED) from None


def _field(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    field = descriptor.fields_by_name.get(name)
    if field is None:
        field = next((f for f in descriptor.fields if f.json_name == name), None)
    return field


def _set_path(target: dict[str, Any], path: list[str], value: Any) -> None:
    for name in path[:-1]:
        child = target.setdefault(name, {})
        if not isinstance(child, dict):
            raise InvalidArgument.for_field(".".join(path), "conflicts with another parameter", reason=MALFORMED)
        target = child
    target[path[-1]] = value


def _scalar(field: FieldDescriptor, text: str, name: str) -> Any:
    try:
        if field.type == FieldDescriptor.TYPE_BOOL:
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError("expected true or false")
            return lowered in ("true", "1")
        if field.type in _INTEGERS:
            return int(text)
        if field.type in _FLOATS:
            return float(text)
        if field.type == FieldDescriptor.TYPE_ENUM:
            return _enum_name(field, text)
    except ValueError as error:
        raise InvalidArgument.for_field(name, f"{text!r} is not a valid value: {error}", reason=MALFORMED) from None
    return text


def _enum_name(field: FieldDescriptor, text: str) -> int | str:
    """An enum value by number, full name (`DID_TYPE_SELECTOR_ALL`) or short name (`all`, `ALL`)."""
    if text.lstrip("-").isdigit():
        return int(text)
    names = enum_type(field).values_by_name
    if text in names:
        return text
    prefix = enum_type(field).values[0].name.removesuffix("UNSPECIFIED")  # DID_TYPE_SELECTOR_
    candidate = prefix + text.upper()
    return candidate if candidate in names else text


def query_fields(descriptor: Descriptor, prefix: str = "", depth: int = 0) -> Iterable[tuple[str, FieldDescriptor]]:
    """(dotted proto name, leaf field) of every field a query parameter can set."""
    for field in descriptor.fields:
        name = prefix + field.name
        if field.type == FieldDescriptor.TYPE_MESSAGE and message_type(field).full_name not in _STRING_MESSAGES:
            if field.is_repeated or is_map(field):
                continue  # not expressible as query parameters: use the POST binding with a body
            if depth < 3:
                yield from query_fields(message_type(field), name + ".", depth + 1)
            continue
        yield name, field


def _leaf(descriptor: Descriptor, key: str) -> tuple[list[str], FieldDescriptor]:
    """(proto field path, leaf field) named by a query parameter; INVALID_ARGUMENT if it names none."""
    path: list[str] = []
    field: FieldDescriptor | None = None
    for part in key.split("."):
        if field is not None:
            if not _is_nested(field):
                raise InvalidArgument.for_field(key, "unknown query parameter", reason=MALFORMED)
            descriptor = message_type(field)
        field = _field(descriptor, part)
        if field is None:
            raise InvalidArgument.for_field(key, "unknown query parameter", reason=MALFORMED)
        path.append(field.name)
    assert field is not None
    if field.type == FieldDescriptor.TYPE_MESSAGE and message_type(field).full_name not in _STRING_MESSAGES:
        raise InvalidArgument.for_field(
            key, "cannot be a query parameter (a message, list of messages or map): use the POST binding with a body"
        )
    return path, field


def _is_nested(field: FieldDescriptor) -> bool:
    """A message field whose own fields a query parameter may name (`filter` in `filter.expression`)."""
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE
        and message_type(field).full_name not in _STRING_MESSAGES
        and not field.is_repeated
    )


def _query_to_dict(descriptor: Descriptor, query: Iterable[tuple[str, str]], bound: set[str]) -> dict[str, Any]:
    """Query parameters as a proto3 JSON dict; a field named twice (`page_token`, `pageToken`) takes both."""
    grouped: dict[str, tuple[str, list[str], FieldDescriptor, list[str]]] = {}
    for key, value in query:
        path, field = _leaf(descriptor, key)
        dotted = ".".join(path)
        if dotted in bound:
            raise InvalidArgument.for_field(key, "is already given in the path", reason=MALFORMED)
        grouped.setdefault(dotted, (key, path, field, []))[3].append(value)
    data: dict[str, Any] = {}
    for key, path, field, values in grouped.values():
        if field.is_repeated:
            _set_path(data, path, [_scalar(field, v, key) for v in values])
        else:
            _set_path(data, path, _scalar(field, values[-1], key))
    return data


def build_request(route: Route, variables: Mapping[str, str], query: list[tuple[str, str]], body: Any) -> Message:
    """The request message of `route` from path variables, query parameters and the parsed JSON body."""
    descriptor = route.method.input_type
    request = message_class(descriptor)()
    if route.body == "*":
        if query:
            raise InvalidArgument.for_field(
                query[0][0], "query parameters are not read when the body is the request", reason=MALFORMED
            )
        _parse_into(body, request, "body")
    else:
        data = _query_to_dict(descriptor, query, set(variables))
        if route.body:
            data[route.body] = body
        _parse_into(data, request, "query")
    if variables:
        path_data: dict[str, Any] = {}
        for name, value in variables.items():
            _set_path(path_data, name.split("."), value)
        bound = message_class(descriptor)()
        _parse_into(path_data, bound, "path")
        request.MergeFrom(bound)
    return request
