"""Plain HTTP calls (urllib) to a live REST/JSON gateway, and a didmeta server with `rest_listen` for tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.support.checks import free_port
from tests.support.server import ServerProcess


@dataclass
class Reply:
    """One HTTP response: status, headers, raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def lines(self) -> list[dict[str, Any]]:
        """The NDJSON lines of a streamed response."""
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]

    def results(self) -> list[dict[str, Any]]:
        """The `result` of every NDJSON line; fails on an `error` line."""
        lines = self.lines()
        errors = [line["error"] for line in lines if "error" in line]
        assert not errors, errors
        return [line["result"] for line in lines]

    def error_reason(self) -> str:
        """The ErrorInfo reason of a google.rpc.Status body."""
        details = self.json().get("details", [])
        infos = [d for d in details if d.get("@type", "").endswith("google.rpc.ErrorInfo")]
        assert infos, self.body
        return str(infos[0]["reason"])


@dataclass
class Rest:
    """A client for one gateway base URL (http://127.0.0.1:PORT)."""

    base: str
    headers: dict[str, str] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> Reply:
        url = self.base + path + (("?" + urlencode(query, doseq=True)) if query else "")
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(url, data=data, method=method, headers={**self.headers, **(headers or {})})
        if data is not None and "Content-Type" not in request.headers:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

    def get(self, path: str, **options: Any) -> Reply:
        return self.call("GET", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Reply:
        return self.call("POST", path, body if body is not None else {}, **options)

    def ok(self, method: str, path: str, body: Any = None, **options: Any) -> Any:
        """Call and require 200; the JSON body (or the NDJSON results of a stream)."""
        reply = self.call(method, path, body, **options)
        assert reply.status == 200, (reply.status, reply.body[:2000])
        if reply.headers.get("Content-Type", "").startswith("application/x-ndjson"):
            return reply.results()
        return reply.json()


@dataclass
class RestServer:
    """A didmeta server process with its gateway; `rest` calls it over HTTP, `grpc()` is a Python client."""

    process: ServerProcess
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest(self) -> Rest:
        return Rest(self.base)


def start_rest_server(start_server: Callable[..., ServerProcess], settings: dict[str, Any]) -> RestServer:
    """Start `didmeta serve` with `rest_listen` on a free port of 127.0.0.1."""
    port = free_port()
    process = start_server({"log_format": "text", **settings, "rest_listen": f"127.0.0.1:{port}"})
    return RestServer(process, port)
