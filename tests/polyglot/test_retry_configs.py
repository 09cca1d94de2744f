"""Every client retries the same read-only methods with the same policy as the Python client
(`didmeta.client.retries`): the Go service config, the Java one and the TypeScript interceptor's tables are
copies, checked here against it. (tests/polyglot/test_cross_language.py shows each one at work behind a
gateway that refuses the first call of every read.)"""

from __future__ import annotations

import json
import re
import subprocess

from didmeta.client.retries import READ_METHODS, READ_RETRY_POLICY, read_retry_method_config
from tests.polyglot import toolchain

CLIENTS = toolchain.REPO / "clients"


def test_go_service_config_is_the_python_one() -> None:
    source = (CLIENTS / "go" / "retries.go").read_text()
    found = re.search(r"const ReadRetryServiceConfig = `(.*?)`", source, re.DOTALL)
    assert found is not None
    assert json.loads(found.group(1)) == {"methodConfig": [read_retry_method_config()]}


def test_java_service_config_is_the_python_one() -> None:
    source = (CLIENTS / "java" / "src" / "main" / "java" / "org" / "didmeta" / "client" / "ReadRetries.java").read_text(
        encoding="utf-8"
    )

    def names(array: str) -> tuple[str, ...]:
        found = re.search(rf"{array} = \{{(.*?)\}};", source, re.DOTALL)
        assert found is not None, array
        return tuple(re.findall(r'"(\w+)"', found.group(1)))

    assert names("DID_SERVICE_READS") == READ_METHODS["didmeta.v1.DidService"]
    assert names("METADATA_SERVICE_READS") == READ_METHODS["didmeta.v1.MetadataService"]
    policy = re.search(r"Map<String, \?> policy = Map\.of\((.*?)\);", source, re.DOTALL)
    assert policy is not None
    pairs = dict(re.findall(r'"(\w+)",\s*("[^"]*"|[\d.]+|List\.of\([^)]*\))', policy.group(1)))
    assert float(pairs.pop("maxAttempts")) == READ_RETRY_POLICY["maxAttempts"]
    assert float(pairs.pop("backoffMultiplier")) == READ_RETRY_POLICY["backoffMultiplier"]
    assert json.loads(pairs.pop("initialBackoff")) == READ_RETRY_POLICY["initialBackoff"]
    assert json.loads(pairs.pop("maxBackoff")) == READ_RETRY_POLICY["maxBackoff"]
    codes = re.findall(r'"(\w+)"', pairs.pop("retryableStatusCodes"))
    assert codes == READ_RETRY_POLICY["retryableStatusCodes"] and not pairs


def test_typescript_tables_are_the_python_ones() -> None:
    tsx = toolchain.ts_example()[0]
    script = (
        'import { READ_METHODS, READ_RETRY_POLICY } from "./src/retries.ts";'
        "console.log(JSON.stringify({ methods: READ_METHODS, policy: READ_RETRY_POLICY }));"
    )
    result = subprocess.run(
        [tsx, "--eval", script], cwd=CLIENTS / "ts", capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    tables = json.loads(result.stdout)
    assert {service: tuple(methods) for service, methods in tables["methods"].items()} == READ_METHODS
    assert tables["policy"] == READ_RETRY_POLICY
