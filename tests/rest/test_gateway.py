"""The REST/JSON gateway against a live server: every route family over real HTTP (urllib), on SQLite and
PostgreSQL. Writes made over REST are read back with the Python gRPC client and the other way round."""

from __future__ import annotations

import http.client
import itertools
import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

from didmeta.client import NewDid
from tests.support.rest import Rest, RestServer

_names = itertools.count()


@pytest.fixture()
def rest(rest_server: RestServer) -> Rest:
    return rest_server.rest


@pytest.fixture()
def scope(rest: Rest) -> str:
    name = f"r{next(_names)}"
    assert rest.ok("POST", "/v1/scopes", {"scope": name})["scope"]["name"] == name
    return name


def _add(rest: Rest, scope: str, *dids: tuple[str, str], **metadata: dict[str, object]) -> None:
    body = {
        "dids": [
            {"scope": scope, "name": name, "type": kind, "metadata": metadata.get(name.replace("/", "_"), {})}
            for name, kind in dids
        ]
    }
    assert rest.ok("POST", "/v1/dids", body)["created"] == str(len(dids))


def _names_of(results: list[dict[str, object]]) -> list[str]:
    names: list[str] = []
    for result in results:
        batch = result["batch"]
        assert isinstance(batch, dict)
        names += [f"{s}:{n}" for s, n in zip(batch["scopes"], batch["names"], strict=True)]
    return names


def test_scopes(rest: Rest, rest_server: RestServer, scope: str) -> None:
    listed = rest.ok("GET", "/v1/scopes", query={"pattern": f"{scope}*"})["scopes"]
    assert [s["name"] for s in listed] == [scope]
    with rest_server.process.client() as client:  # the gRPC side sees the scope made over REST
        assert [s.name for s in client.list_scopes(scope)] == [scope]
    again = rest.post("/v1/scopes", {"scope": scope})
    assert again.status == 409 and again.json()["code"] == 6 and again.error_reason() == "SCOPE_EXISTS"


def test_dids_with_slashes_typed_metadata_and_attachments(rest: Rest, rest_server: RestServer, scope: str) -> None:
    typed = {
        "run": {"intValue": "42"},
        "energy": {"doubleValue": 13.6},
        "tags": {"listValue": {"values": [{"stringValue": "calib"}, {"boolValue": True}]}},
        "when": {"timestampValue": "2024-05-01T12:00:00Z"},
        "conf": {"mapValue": {"fields": {"a": {"intValue": "1"}}}},
    }
    _add(rest, scope, ("ds/one", "DID_TYPE_DATASET"), ("f1", "DID_TYPE_FILE"), ("f2", "DID_TYPE_FILE"), ds_one=typed)
    did = rest.ok("GET", f"/v1/dids/{scope}/ds/one")["did"]
    assert (did["name"], did["type"], did["isOpen"]) == ("ds/one", "DID_TYPE_DATASET", True)
    attached = rest.ok(
        "POST",
        "/v1/dids:attach",
        {
            "attachments": [
                {"parent": {"scope": scope, "name": "ds/one"}, "child": {"scope": scope, "name": n}}
                for n in ("f1", "f2")
            ]
        },
    )
    assert attached["attached"] == "2"
    content = rest.ok("GET", f"/v1/dids/{scope}/ds/one:content")
    assert [d["name"] for r in content for d in r["dids"]] == ["f1", "f2"]
    metadata = rest.ok("GET", f"/v1/dids/{scope}/ds/one:metadata", query={"plugin": "JSON"})["metadata"]
    assert metadata == typed
    with rest_server.process.client() as client:  # typed values went through unchanged
        values = client.get_metadata(f"{scope}:ds/one", plugin="JSON")
        assert values["run"] == 42 and values["energy"] == 13.6 and values["tags"] == ["calib", True]
        assert values["when"] == datetime(2024, 5, 1, 12, tzinfo=UTC) and values["conf"] == {"a": 1}
    detached = rest.ok(
        "POST",
        "/v1/dids:detach",
        {"attachments": [{"parent": {"scope": scope, "name": "ds/one"}, "child": {"scope": scope, "name": "f2"}}]},
    )
    assert detached["detached"] == "1"
    closed = rest.ok("POST", f"/v1/dids/{scope}/ds/one:setStatus", {"open": False})["did"]
    assert closed["isOpen"] is False and "closedAt" in closed
    assert rest.ok("POST", "/v1/dids:delete", {"dids": [{"scope": scope, "name": "f2"}]})["deleted"] == "1"
    gone = rest.get(f"/v1/dids/{scope}/f2")
    assert gone.status == 404 and gone.error_reason() == "DID_NOT_FOUND"


def test_metadata_set_get_delete_and_bulk(rest: Rest, scope: str) -> None:
    _add(rest, scope, ("a", "DID_TYPE_DATASET"), ("b", "DID_TYPE_DATASET"))
    rest.ok(
        "POST",
        f"/v1/dids/{scope}/a:metadata",
        {"metadata": {"run_number": {"intValue": "7"}, "x": {"stringValue": "y"}}},
    )
    assert rest.ok("GET", f"/v1/dids/{scope}/a:metadata")["metadata"]["run_number"] == {"intValue": "7"}  # DID_COLUMN
    both = rest.ok("GET", f"/v1/dids/{scope}/a:metadata", query={"plugin": "ALL"})["metadata"]
    assert both["x"] == {"stringValue": "y"} and both["run_number"] == {"intValue": "7"}
    rest.ok("DELETE", f"/v1/dids/{scope}/a:metadata", query=[("keys", "x")])
    assert "x" not in rest.ok("GET", f"/v1/dids/{scope}/a:metadata", query={"plugin": "JSON"})["metadata"]
    missing_key = rest.call("DELETE", f"/v1/dids/{scope}/a:metadata", query=[("keys", "x")])
    assert missing_key.status == 404
    bulk = {
        "items": [
            {"did": {"scope": scope, "name": n}, "metadata": {"k": {"intValue": str(i)}}} for i, n in enumerate("ab")
        ]
    }
    assert rest.ok("POST", "/v1/metadata:set", bulk)["updated"] == "2"
    bulk_get = rest.call(
        "POST",
        "/v1/metadata:get",
        {"dids": [{"scope": scope, "name": n} for n in ("a", "b", "nope")], "plugin": "JSON"},
    )
    # GetMetadataBulk is a server stream: newline-delimited JSON, one {"result": ...} per message
    assert bulk_get.status == 200 and bulk_get.headers["Content-Type"].startswith("application/x-ndjson")
    assert all(set(line) == {"result"} for line in bulk_get.lines())
    results = bulk_get.results()
    found = {r["did"]["name"]: r["metadata"]["k"] for result in results for r in result["results"]}
    missing = [m["name"] for result in results for m in result["missing"]]
    assert found == {"a": {"intValue": "0"}, "b": {"intValue": "1"}} and missing == ["nope"]


def test_load_dids_reads_ndjson_chunks(rest: Rest, rest_server: RestServer, scope: str) -> None:
    chunks = [
        {"dids": [{"scope": scope, "name": "L", "type": "DID_TYPE_DATASET"}]},
        {"dids": [{"scope": scope, "name": f"l{i}", "type": "DID_TYPE_FILE", "bytes": "10"} for i in range(3)]},
        {
            "attachments": [
                {"parent": {"scope": scope, "name": "L"}, "child": {"scope": scope, "name": f"l{i}"}} for i in range(3)
            ]
        },
    ]
    raw = "\n".join(json.dumps(c) for c in chunks).encode() + b"\n"
    summary = rest.ok("POST", "/v1/dids:load", raw=raw, headers={"Content-Type": "application/x-ndjson"})
    assert summary == {"chunks": "3", "created": "4", "updated": "0", "attached": "3"}
    with rest_server.process.client() as client:
        assert client.get_did(f"{scope}:L").bytes == 30
    bad = rest.call("POST", "/v1/dids:load", raw=b'{"dids": []}\n{"nope": 1}\n')
    assert bad.status == 400 and bad.json()["message"].startswith("line 2:")


def test_list_dids_streams_ndjson_and_resumes_from_a_token(rest: Rest, rest_server: RestServer, scope: str) -> None:
    with rest_server.process.client() as client:
        client.add_dids([NewDid(f"{scope}:d{i:02}", "dataset", metadata={"run": i}) for i in range(25)])
    query = {"scope": scope, "filter.expression": "run>=5", "type": "all", "batchSize": 4}
    reply = rest.get("/v1/dids", query=query)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/x-ndjson")
    results = reply.results()
    names = _names_of(results)
    assert names == [f"{scope}:d{i:02}" for i in range(5, 25)] and len(results) == 5
    with rest_server.process.client() as client:  # the same listing as gRPC gives
        assert names == list(client.list_dids(scope, "run>=5", type="all"))
    resumed = rest.ok("GET", "/v1/dids", query={**query, "pageToken": results[1]["nextPageToken"]})
    assert _names_of(resumed) == names[8:]
    counted = rest.ok("GET", "/v1/dids:count", query={"scope": scope, "filter.expression": "run>=5", "type": "all"})
    assert counted == {"count": "20", "bytes": "0", "events": "0"}  # totals only when asked for
    structured = {
        "scope": scope,
        "type": "DID_TYPE_SELECTOR_ALL",
        "long": True,
        "metadataKeys": ["run"],
        "filter": {
            "groups": [{"clauses": [{"key": "run", "operator": "FILTER_OPERATOR_LT", "value": {"intValue": "2"}}]}]
        },
    }
    searched = rest.ok("POST", "/v1/dids:search", structured)
    assert _names_of(searched) == [f"{scope}:d00", f"{scope}:d01"]
    assert searched[0]["batch"]["metadata"][1] == {"values": {"run": {"intValue": "1"}}}
    assert rest.ok(
        "POST", "/v1/dids:count", {k: v for k, v in structured.items() if k in ("scope", "type", "filter")}
    ) == {"count": "2", "bytes": "0", "events": "0"}
    limited = rest.ok("GET", "/v1/dids", query={**query, "limit": 3})
    assert _names_of(limited) == names[:3]


def test_list_errors_before_the_first_message_are_http_errors(rest: Rest, scope: str) -> None:
    bad_filter = rest.get("/v1/dids", query={"scope": scope, "filter.expression": "run>>3"})
    assert bad_filter.status == 400 and bad_filter.error_reason() == "INVALID_FILTER"
    status = bad_filter.json()
    assert status["code"] == 3 and "run>>3" in status["message"]
    violations = [d for d in status["details"] if d["@type"].endswith("google.rpc.BadRequest")]
    assert violations and violations[0]["fieldViolations"][0]["field"] == "filter"
    bad_token = rest.get("/v1/dids", query={"scope": scope, "pageToken": "not-a-token"})
    assert bad_token.status == 400 and bad_token.json()["code"] == 3
    no_scope = rest.get(f"/v1/dids/{scope}x/nothing:content")
    assert no_scope.status == 404 and no_scope.json()["code"] == 5


def test_embargo_and_history(rest: Rest, scope: str) -> None:
    _add(rest, scope, ("e", "DID_TYPE_DATASET"))
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    until_text = until.isoformat().replace("+00:00", "Z")
    embargo = rest.ok(
        "PUT", f"/v1/dids/{scope}/e:embargo", {"until": until_text}, headers={"X-Request-Id": "rest-req-1"}
    )["embargo"]
    assert embargo["did"] == {"scope": scope, "name": "e"} and embargo["expired"] is False
    assert rest.ok("GET", f"/v1/dids/{scope}/e:embargo")["embargo"]["until"] == embargo["until"]
    assert rest.ok("DELETE", f"/v1/dids/{scope}/e:embargo") == {"cleared": True}
    assert "embargo" not in rest.ok("GET", f"/v1/dids/{scope}/e:embargo")
    past = rest.call("PUT", f"/v1/dids/{scope}/e:embargo", {"until": "2000-01-01T00:00:00Z"})
    assert past.status == 400
    events = [e for r in rest.ok("GET", f"/v1/dids/{scope}/e:history") for e in r["events"]]
    assert [e["action"] for e in events] == ["add", "embargo_set", "embargo_clear"]
    assert events[1]["requestId"] == "rest-req-1"  # the X-Request-Id header went through as metadata


def test_plugins(rest: Rest) -> None:
    plugins = rest.ok("GET", "/v1/plugins")["plugins"]
    assert [p["name"] for p in plugins] == ["DID_COLUMN", "JSON"] and all(p["healthy"] for p in plugins)


def test_gateway_side_errors(rest: Rest) -> None:
    no_route = rest.get("/v2/nothing")
    assert no_route.status == 404 and no_route.error_reason() == "NO_ROUTE"
    wrong_method = rest.call("PATCH", "/v1/plugins", {})
    assert wrong_method.status == 405 and wrong_method.headers["Allow"] == "GET"
    not_json = rest.call("POST", "/v1/scopes", raw=b"{not json")
    assert not_json.status == 400 and not_json.error_reason() == "MALFORMED_REQUEST"
    unknown_field = rest.post("/v1/scopes", {"scope": "x", "colour": "red"})
    assert unknown_field.status == 400 and "colour" in unknown_field.json()["message"]
    unknown_parameter = rest.get("/v1/dids", query={"scope": "x", "colour": "red"})
    assert unknown_parameter.status == 400 and unknown_parameter.json()["details"][0]["metadata"] == {"field": "colour"}
    bad_bool = rest.get("/v1/dids", query={"scope": "x", "long": "maybe"})
    assert bad_bool.status == 400 and "long" in bad_bool.json()["message"]
    too_large = rest.call("POST", "/v1/scopes", raw=b" " * (16 * 1024 * 1024 + 1))
    assert too_large.status == 429 and too_large.error_reason() == "REQUEST_TOO_LARGE"
    bad_scope = rest.post("/v1/scopes", {"scope": "no spaces allowed"})
    assert bad_scope.status == 400 and bad_scope.json()["code"] == 3


def test_a_client_leaving_mid_stream_leaves_the_server_clean(rest: Rest, rest_server: RestServer, scope: str) -> None:
    with rest_server.process.client() as client:
        client.add_dids([NewDid(f"{scope}:m{i:04}", "dataset") for i in range(1500)])
    connection = http.client.HTTPConnection("127.0.0.1", rest_server.port, timeout=30)
    connection.request("GET", f"/v1/dids?scope={scope}&batchSize=1")
    response = connection.getresponse()
    first = json.loads(response.readline())
    assert _names_of([first["result"]]) == [f"{scope}:m0000"]
    connection.sock.shutdown(socket.SHUT_RDWR)  # leave with ~1500 lines unread
    connection.close()
    assert rest.ok("GET", "/v1/dids:count", query={"scope": scope})["count"] == "1500"  # still serving
    log = rest_server.process.log_path.read_text()
    assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]
