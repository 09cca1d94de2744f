"""The served OpenAPI document matches the contract's google.api.http rules and the gateway's real routes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from google.api import annotations_pb2

from didmeta.v1 import did_service_pb2, metadata_service_pb2
from tests.support.rest import Rest, RestServer

SERVICES = (
    did_service_pb2.DESCRIPTOR.services_by_name["DidService"],
    metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"],
)
METHODS = ("get", "put", "post", "delete", "patch")


def _rules() -> set[tuple[str, str, str]]:
    """(HTTP method, OpenAPI path, RPC) of every http rule in the generated descriptors."""
    found: set[tuple[str, str, str]] = set()
    for service in SERVICES:
        for method in service.methods:
            options = method.GetOptions()
            assert options.HasExtension(annotations_pb2.http), f"{method.full_name} has no google.api.http rule"
            rule = options.Extensions[annotations_pb2.http]
            for each in (rule, *rule.additional_bindings):
                verb = each.WhichOneof("pattern")
                path = re.sub(
                    r"\{([^}=]+)(=[^}]*)?\}", lambda m: "{" + m[1].replace(".", "_") + "}", getattr(each, verb)
                )
                found.add((verb, path, method.full_name))
    return found


@pytest.fixture(scope="module")
def document(rest_server: RestServer) -> dict[str, Any]:
    reply = rest_server.rest.get("/openapi.json")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    doc: dict[str, Any] = reply.json()
    return doc


def test_every_rpc_has_an_http_rule_and_the_document_lists_exactly_those(document: dict[str, Any]) -> None:
    rules = _rules()
    assert len({rpc for _, _, rpc in rules}) == sum(len(s.methods) for s in SERVICES) == 33
    listed = {
        (verb, path, operation["summary"].split(" ")[0])
        for path, item in document["paths"].items()
        for verb, operation in item.items()
        if verb in METHODS
    }
    assert {(v, p) for v, p, _ in listed} == {(v, p) for v, p, _ in rules}
    by_route = {(v, p): rpc.removeprefix("didmeta.v1.") for v, p, rpc in rules}
    assert all(by_route[(v, p)] == rpc for v, p, rpc in listed)


def test_document_shape(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    list_dids = document["paths"]["/v1/dids"]["get"]
    assert list_dids["operationId"] == "MetadataService_ListDids"
    assert "application/x-ndjson" in list_dids["responses"]["200"]["content"]
    parameters = {p["name"]: p for p in list_dids["parameters"]}
    assert {"scope", "filter.expression", "type", "page_token", "limit", "metadata_keys"} <= set(parameters)
    assert parameters["metadata_keys"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert parameters["type"]["schema"]["enum"][1] == "DID_TYPE_SELECTOR_ALL"
    get_did = document["paths"]["/v1/dids/{did_scope}/{did_name}"]["get"]
    assert [p["name"] for p in get_did["parameters"]] == ["did_name", "did_scope"]
    schemas = document["components"]["schemas"]
    # every $ref points at a schema that exists
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs and refs <= set(schemas)
    assert schemas["didmeta.v1.Did"]["properties"]["createdAt"] == {"type": "string", "format": "date-time"}
    assert schemas["didmeta.v1.Did"]["properties"]["bytes"]["type"] == "string"  # int64 as in proto3 JSON
    assert schemas["google.rpc.Status"]["properties"]["code"]["type"] == "integer"


def test_every_documented_operation_reaches_its_rpc(document: dict[str, Any], rest_server: RestServer) -> None:
    """A request to each documented path and method is routed (any answer but NO_ROUTE or 405)."""
    rest: Rest = rest_server.rest
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            concrete = re.sub(r"\{[^}]+\}", "probe", path)
            body: dict[str, Any] | None = {} if "requestBody" in operation else None
            raw = b"" if "application/x-ndjson" in operation.get("requestBody", {}).get("content", {}) else None
            reply = rest.call(verb.upper(), concrete, body if raw is None else None, raw=raw)
            assert reply.status != 405, (verb, path, reply.body)
            if reply.status == 404:
                assert reply.error_reason() != "NO_ROUTE", (verb, path)
