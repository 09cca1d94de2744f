"""deploy/: the Kubernetes manifests validate offline (kubernetes-validate's bundled schemas, strict), refer to
each other consistently, and configure a server that really starts and answers the probes they declare; the
Containerfile is multi-stage, non-root, health-checked, and copies only paths that exist."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from didmeta.server.config import Settings
from tests.mesh.scrape import scrape_text
from tests.polyglot import toolchain
from tests.support.checks import free_port
from tests.support.server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.37.0"


def _documents() -> dict[str, dict[str, Any]]:
    """kind -> the one resource of that kind, from the files kustomization.yaml lists."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    out: dict[str, dict[str, Any]] = {}
    for name in kustomization["resources"]:
        for document in yaml.safe_load_all((K8S / name).read_text()):
            assert document["kind"] not in out, f"two {document['kind']} resources"
            out[document["kind"]] = document
    return out


def test_every_manifest_file_is_in_the_kustomization() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


@pytest.mark.parametrize("kind", sorted(_documents()))
def test_manifest_validates_strictly(kind: str) -> None:
    document = _documents()[kind]
    # Raises ValidationError (a schema violation, or an unknown field in strict mode) or returns the version.
    assert kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_a_broken_manifest_is_rejected() -> None:
    """The validator is not a no-op: a misspelt field fails strict validation."""
    deployment = _documents()["Deployment"]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_manifests_refer_to_each_other() -> None:
    docs = _documents()
    deployment, service = docs["Deployment"], docs["Service"]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert docs["HorizontalPodAutoscaler"]["spec"]["minReplicas"] > docs["PodDisruptionBudget"]["spec"]["minAvailable"]
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["grpc"]["port"] == ports["grpc"], probe
    config, secret = docs["ConfigMap"], docs["Secret"]
    assert [s["configMapRef"]["name"] for s in container["envFrom"]] == [config["metadata"]["name"]]
    for variable in container["env"]:  # secret settings, one by one from the Secret
        reference = variable["valueFrom"]["secretKeyRef"]
        assert reference["name"] == secret["metadata"]["name"] and reference["key"] == variable["name"]
        assert reference["key"] in secret["stringData"]
    assert {v["name"] for v in container["env"]} == {k for k in secret["stringData"] if k.startswith("DIDMETA_")}
    # The token keys: the Secret's jwks.json, mounted where the ConfigMap's auth.jwks_file points.
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    (mount,) = [m for m in container["volumeMounts"] if "secret" in volumes[m["name"]]]
    source = volumes[mount["name"]]["secret"]
    assert source["secretName"] == secret["metadata"]["name"] and mount["readOnly"] is True
    (item,) = source["items"]
    assert item["key"] in secret["stringData"]
    assert f"{mount['mountPath']}/{item['path']}" == config["data"]["DIDMETA_AUTH__JWKS_FILE"]
    # Metrics: the ConfigMap's port is the container's `metrics` port and the scrape annotation's.
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert config["data"]["DIDMETA_METRICS_LISTEN"].endswith(f":{ports['metrics']}")
    assert int(annotations["prometheus.io/port"]) == ports["metrics"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    grace = float(docs["ConfigMap"]["data"]["DIDMETA_GRACE_SECONDS"])
    assert pod["spec"]["terminationGracePeriodSeconds"] > grace
    assert docs["ConfigMap"]["data"]["DIDMETA_LISTEN"].endswith(f":{ports['grpc']}")


def test_every_configured_variable_is_a_setting() -> None:
    """Unknown DIDMETA_* variables would be ignored silently: each ConfigMap/Secret key names a Settings field."""
    docs = _documents()
    keys = [*docs["ConfigMap"]["data"], *(k for k in docs["Secret"]["stringData"] if k.isupper())]
    for key in keys:
        assert key.startswith("DIDMETA_"), key
        model: Any = Settings
        for part in key.removeprefix("DIDMETA_").lower().split("__"):  # nested settings: AUTH__MODE
            assert part in model.model_fields, key
            model = model.model_fields[part].annotation


def test_the_configured_server_starts_and_answers_the_declared_probes(
    make_catalogue_url: Callable[[str], str], tmp_path: Path
) -> None:
    """The ConfigMap's settings are real settings: a server started with them passes the pod's probes."""
    docs = _documents()
    env = {k: v for k, v in docs["ConfigMap"]["data"].items() if k != "DIDMETA_LISTEN"}  # a free local port instead
    env["DIDMETA_DATABASE"] = make_catalogue_url("sqlite")  # the Secret names a PostgreSQL the test does not have
    keys = tmp_path / "jwks.json"  # the Secret's key set, where the pod would mount it
    keys.write_text(docs["Secret"]["stringData"]["jwks.json"])
    env["DIDMETA_AUTH__JWKS_FILE"] = str(keys)
    metrics = f"127.0.0.1:{free_port()}"  # the declared port, on loopback and free
    env["DIDMETA_METRICS_LISTEN"] = metrics
    server = ServerProcess(tmp_path / "server", {}, env=env).start()
    try:
        assert "\ndidmeta_db_pool_size 5.0\n" in scrape_text(metrics), "the declared metrics endpoint serves"
        (container,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
        for probe in ("livenessProbe", "readinessProbe"):
            service = container[probe]["grpc"].get("service", "")
            result = subprocess.run(
                [str(toolchain.tool("grpc-health-probe")), f"-addr={server.address}", f"-service={service}"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert result.returncode == 0, f"{probe}: {result.stdout}{result.stderr}"
    finally:
        server.stop()


def test_containerfile_is_multi_stage_non_root_and_health_checked() -> None:
    text = (REPO / "deploy" / "Containerfile").read_text()
    lines = [
        line.strip() for line in re.sub(r"\\\n", " ", text).splitlines() if line.strip() and not line.startswith("#")
    ]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2, "multi-stage"
    final = lines[lines.index(stages[-1]) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root"), "the runtime stage runs as a non-root user"
    health = [line for line in final if line.startswith("HEALTHCHECK ")]
    assert health and "grpc-health-probe" in health[0]
    assert any(line.startswith("COPY --from=") and "grpc-health-probe" in line for line in final)
    for line in lines:
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), f"COPY source {source} does not exist"
