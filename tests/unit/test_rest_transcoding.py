"""The REST gateway's pure parts: path templates, route choice, request building from path, query and body."""

from __future__ import annotations

import pytest

from didmeta.errors import InvalidArgument
from didmeta.server.rest.routes import find_route, routes_of
from didmeta.server.rest.templates import PathTemplate
from didmeta.server.rest.transcode import build_request
from didmeta.v1 import did_pb2, metadata_service_pb2

ROUTES = routes_of()


def test_template_with_a_rest_variable_and_a_verb() -> None:
    template = PathTemplate.parse("/v1/dids/{did.scope}/{did.name=**}:content")
    assert template.verb == "content" and template.segments == ("v1", "dids", "*", "**")
    assert template.match("/v1/dids/s/a/b/c:content") == {"did.scope": "s", "did.name": "a/b/c"}
    assert template.match("/v1/dids/s/a%20b:content") == {"did.scope": "s", "did.name": "a b"}
    assert template.match("/v1/dids/s/a%2Fb:content") == {"did.scope": "s", "did.name": "a%2Fb"}  # kept encoded
    assert template.match("/v1/dids/s/a:metadata") is None
    assert template.match("/v1/dids/s/a") is None
    assert template.openapi_path() == "/v1/dids/{did_scope}/{did_name}:content"


def test_one_segment_variable_decodes_everything() -> None:
    template = PathTemplate.parse("/v1/scopes/{scope}")
    assert template.match("/v1/scopes/a%2Fb") == {"scope": "a/b"}
    assert template.match("/v1/scopes/a/b") is None
    assert template.match("/v1/scopes") is None


@pytest.mark.parametrize("text", ["v1/x", "/v1/{a=**}/b", "/v1/{a=**}/{b=**}", "/v1//x"])
def test_bad_templates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        PathTemplate.parse(text)


def test_routes_prefer_a_verb_over_a_rest_variable() -> None:
    route, values, _ = find_route(ROUTES, "GET", "/v1/dids/s/x/y:content")
    assert route is not None and route.method.name == "ListContent" and values["did.name"] == "x/y"
    route, values, _ = find_route(ROUTES, "GET", "/v1/dids/s/x/y")
    assert route is not None and route.method.name == "GetDid" and values == {"did.scope": "s", "did.name": "x/y"}
    route, _, _ = find_route(ROUTES, "POST", "/v1/dids:count")
    assert route is not None and route.method.name == "CountDids" and route.binding == 1
    route, _, allowed = find_route(ROUTES, "PUT", "/v1/dids:count")
    assert route is None and sorted(allowed) == ["GET", "POST"]


def test_query_parameters_fill_nested_repeated_and_enum_fields() -> None:
    route, values, _ = find_route(ROUTES, "GET", "/v1/dids")
    assert route is not None
    query = [
        ("scope", "mc*"),
        ("filter.expression", "run>1"),
        ("type", "dataset"),  # a short enum name
        ("long", "true"),
        ("metadata_keys", "a"),
        ("metadataKeys", "b"),  # the JSON name works too
        ("limit", "10"),
    ]
    request = build_request(route, values, query, None)
    assert isinstance(request, metadata_service_pb2.ListDidsRequest)
    assert (request.scope, request.filter.expression, request.type) == (
        "mc*",
        "run>1",
        did_pb2.DID_TYPE_SELECTOR_DATASET,
    )
    assert request.long and request.limit == 10 and list(request.metadata_keys) == ["a", "b"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ([("nope", "1")], "nope"),
        ([("filter", "x")], "filter"),  # a message, not a value
        ([("filter.groups", "x")], "filter.groups"),  # a list of messages
        ([("limit", "ten")], "limit"),
        ([("long", "yes please")], "long"),
    ],
)
def test_bad_query_parameters_name_the_parameter(query: list[tuple[str, str]], field: str) -> None:
    route, values, _ = find_route(ROUTES, "GET", "/v1/dids")
    assert route is not None
    with pytest.raises(InvalidArgument) as info:
        build_request(route, values, query, None)
    assert info.value.metadata["field"] == field


def test_path_variables_win_over_the_body() -> None:
    route, values, _ = find_route(ROUTES, "POST", "/v1/dids/s/n:metadata")
    assert route is not None
    body = {"did": {"scope": "other", "name": "x"}, "metadata": {"k": {"intValue": "1"}}}
    request = build_request(route, values, [], body)
    assert isinstance(request, metadata_service_pb2.SetMetadataRequest)
    assert (request.did.scope, request.did.name) == ("s", "n") and request.metadata["k"].int_value == 1
    with pytest.raises(InvalidArgument, match="query parameters are not read"):
        build_request(route, values, [("recursive", "true")], body)
    with pytest.raises(InvalidArgument, match="must be a JSON object"):
        build_request(route, values, [], [1, 2])
