"""The canonical cross-language transcript of tests/polyglot/scenario.json, run by the Python client.

Every client (clients/go, clients/ts, clients/java) has an example program that runs the same scenario
and prints the same lines; the format is specified in docs/contract.md ("Cross-language transcript").
Usage: python -m tests.polyglot.transcript SCENARIO.json HOST:PORT SCOPE
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from didmeta.client import Client, DidmetaError, NewDid
from didmeta.values import Metadata, MetaValue
from didmeta.wire import DID_TYPE_FROM_WIRE, metadata_from_wire  # as the client's list_dids_long


def typed(spec: dict[str, Any]) -> MetaValue:
    """A scenario value ({"int": "5"}, {"timestamp": "...Z"}, ...) as the Python client's typed value."""
    ((kind, raw),) = spec.items()
    if kind == "int":
        return int(raw)
    if kind == "double":
        return float(raw)
    if kind == "timestamp":
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    if kind == "list":
        return [typed(item) for item in raw]
    if kind == "map":
        return {key: typed(item) for key, item in raw.items()}
    if kind in ("string", "bool", "null"):
        return raw  # type: ignore[no-any-return]
    raise ValueError(f"unknown value kind {kind!r}")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def double_text(value: float) -> str:
    text = repr(value)
    return text if any(c in text for c in ".en") else text + ".0"


def canonical(value: MetaValue) -> str:
    """type:value, recursively; maps sorted by key (docs/contract.md)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"bool:{'true' if value else 'false'}"
    if isinstance(value, int):
        return f"int:{value}"
    if isinstance(value, float):
        return f"double:{double_text(value)}"
    if isinstance(value, str):
        return f"string:{quote(value)}"
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        return f"timestamp:{utc.year:04d}-{utc.strftime('%m-%dT%H:%M:%S.%f')}Z"
    if isinstance(value, list):
        return "[" + ", ".join(canonical(item) for item in value) + "]"
    return canonical_map(value)


def canonical_map(values: Metadata) -> str:
    return "{" + ", ".join(f"{key}={canonical(values[key])}" for key in sorted(values)) + "}"


def error_text(error: DidmetaError) -> str:
    code = error.code.name if error.code is not None else "UNKNOWN"
    return f"error {code} reason={error.reason or ''} metadata={canonical_map(dict(error.metadata))} message={error}"


def run(scenario: dict[str, Any], target: str, scope: str, out: Callable[[str], None]) -> None:
    token = ""
    last_list: dict[str, Any] = {}
    with Client(target, timeout=30) as client:

        def did(name: str) -> str:
            return f"{scope}:{name}"

        def listing(step: dict[str, Any], page_token: str) -> Iterator[tuple[str, str]]:
            """(text of one DID, next_page_token) per DID, as the listing streams."""
            options: dict[str, Any] = {
                "type": step.get("type", "COLLECTION").lower(),
                "batch_size": step.get("batch_size", 0),
                "page_token": page_token,
            }
            if step.get("long"):
                options.update(long=True, metadata_keys=step.get("metadata_keys", []))
            for response in client.list_dids_batches(scope, step.get("filter", ""), **options):
                batch = response.batch
                rows = (
                    client_rows(response)
                    if step.get("long")
                    else [f"{s}:{n}" for s, n in zip(batch.scopes, batch.names, strict=True)]
                )
                for row in rows:
                    yield row, response.next_page_token

        def client_rows(response: Any) -> list[str]:
            batch = response.batch
            metadata = [metadata_from_wire(m.values) for m in batch.metadata] or [{}] * len(batch.names)
            return [
                f"{s}:{n} {DID_TYPE_FROM_WIRE[t].name} bytes={b} length={length} {canonical_map(md)}"
                for s, n, t, b, length, md in zip(
                    batch.scopes, batch.names, batch.types, batch.bytes, batch.lengths, metadata, strict=True
                )
            ]

        for step in scenario["steps"]:
            op = step["op"]
            label = op if "name" not in step else f"{op} {did(step['name'])}"
            try:
                if op == "add_scope":
                    label = f"add_scope {scope}"
                    client.add_scope(scope)
                    out(f"{label}: ok")
                elif op == "add_dids":
                    news = [
                        NewDid(
                            did(d["name"]),
                            d["type"],
                            bytes=int(d["bytes"]) if "bytes" in d else None,
                            adler32=d.get("adler32"),
                        )
                        for d in step["dids"]
                    ]
                    out(f"{label}: created {client.add_dids(news)}")
                elif op == "set_metadata":
                    client.set_metadata(did(step["name"]), {k: typed(v) for k, v in step["metadata"].items()})
                    out(f"{label}: ok")
                elif op == "get_metadata":
                    label += f" {step['plugin']}"
                    out(f"{label}: {canonical_map(client.get_metadata(did(step['name']), step['plugin']))}")
                elif op == "get_did":
                    info = client.get_did(did(step["name"]))
                    out(
                        f"{label}: type={info.type} bytes={info.bytes} length={info.length}"
                        f" adler32={info.adler32} open={'true' if info.is_open else 'false'}"
                    )
                elif op in ("list_dids", "resume_list_dids"):
                    if op == "list_dids":
                        last_list, token = step, ""
                    label = f"{op} filter={quote(last_list.get('filter', ''))}"
                    rows: list[str] = []
                    batches = step.get("take_batches", 0)
                    seen_tokens: list[str] = []
                    for row, next_token in listing(last_list, token):
                        if not seen_tokens or seen_tokens[-1] != next_token:
                            if batches and len(seen_tokens) == batches:
                                break
                            seen_tokens.append(next_token)
                        rows.append(row)
                    token = seen_tokens[-1] if seen_tokens else ""
                    out(f"{label}: {len(rows)} DID(s){' (stopped early)' if batches else ''}")
                    for row in rows:
                        out(f"  {row}")
                    out(f"  token={'yes' if token else 'no'}")
                else:
                    raise ValueError(f"unknown op {op!r}")
            except DidmetaError as error:
                out(f"{label}: {error_text(error)}")


def main() -> None:
    scenario_path, target, scope = sys.argv[1:4]
    run(json.loads(Path(scenario_path).read_text()), target, scope, print)


if __name__ == "__main__":
    main()
