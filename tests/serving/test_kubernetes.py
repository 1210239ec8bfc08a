"""``shipyard deploy kubernetes``: a Dockerfile and manifests valid against the Kubernetes
OpenAPI schemas, whose container command, run here with the environment the manifests give
the pod, serves the deployment from PostgreSQL and S3 and answers its probes.

No image is built: base images cannot be pulled on this machine, and nothing here needs one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.cli.app import app
from shipyard.core.errors import ConfigurationError
from shipyard.serving.deploy import deploy_online
from shipyard.serving.kubernetes import KubernetesOptions, kubernetes_manifests
from tests.conftest import new_postgres_database
from tests.registered_model import make_frame
from tests.services import PostgresServer, SeaweedServer, free_port

KUBERNETES = "1.30.0"


@pytest.fixture
def shared(postgres: PostgresServer, s3_url: str, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace pods can share: metadata on PostgreSQL, artifacts on S3; churn/1 deployed
    online as churn-online."""
    settings = sy.load_settings(
        home=tmp_path / "home", store_url=new_postgres_database(postgres),
        artifacts_url=f"{s3_url}/artifacts", capture_git=False, capture_packages=False,
        actor="tester@test",
    )  # fmt: skip
    workspace = Workspace(settings)
    frame = make_frame(500)[["age", "income"]]
    model = LogisticRegression().fit(frame, (frame["age"] > 50).astype(int))
    with sy.start_run(workspace=workspace) as run:
        run.log_model(model, "churn", input_example=frame.head(3))
    deploy_online("churn-online", routes=["churn/1=100"], workspace=workspace)
    try:
        yield workspace
    finally:
        workspace.close()


def _validate(manifest: dict[str, Any]) -> None:
    kubernetes_validate.validate(manifest, KUBERNETES, strict=True)


def test_every_manifest_is_valid_kubernetes(shared: Workspace, tmp_path: Path) -> None:
    options = KubernetesOptions(kserve=True, namespace="ml", min_replicas=2, max_replicas=6,
                                environment={"AWS_ENDPOINT_URL": "http://minio:9000"})  # fmt: skip
    bundle = kubernetes_manifests("churn-online", tmp_path / "k8s", options=options,
                                  workspace=shared)  # fmt: skip
    assert sorted(bundle.files) == ["Dockerfile", "deployment.yaml", "hpa.yaml",
                                    "inferenceservice.yaml", "service.yaml"]  # fmt: skip
    written = {name: yaml.safe_load(path.read_text()) for name, path in bundle.files.items()
               if name.endswith(".yaml")}  # fmt: skip
    for name in ("deployment.yaml", "service.yaml", "hpa.yaml"):
        _validate(written[name])
    # KServe's CRD is not in the Kubernetes schemas: its predictor is a pod spec, checked as one
    service = written["inferenceservice.yaml"]
    assert (service["apiVersion"], service["kind"]) == ("serving.kserve.io/v1beta1",
                                                        "InferenceService")  # fmt: skip
    predictor = dict(service["spec"]["predictor"])
    assert (predictor.pop("minReplicas"), predictor.pop("maxReplicas")) == (2, 6)
    _validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "predictor"},
               "spec": predictor})  # fmt: skip

    deployment = written["deployment.yaml"]
    assert deployment["metadata"]["namespace"] == "ml"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    env = {e["name"]: e for e in container["env"]}
    assert env["SHIPYARD_ARTIFACTS_URL"]["value"] == shared.settings.resolved_artifacts_url
    assert env["AWS_ENDPOINT_URL"]["value"] == "http://minio:9000"
    tokens = env["SHIPYARD_SERVE_TOKENS"]["valueFrom"]["secretKeyRef"]
    assert tokens["name"] == "churn-online-shipyard" and tokens["key"] == "serve-tokens"
    assert env["SHIPYARD_STORE_URL"]["valueFrom"]["secretKeyRef"]["optional"] is False
    assert not any("postgresql" in str(e.get("value")) for e in container["env"])  # no secret
    hpa = written["hpa.yaml"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "churn-online" and hpa["maxReplicas"] == 6

    dockerfile = bundle.files["Dockerfile"].read_text()
    assert 'ENTRYPOINT ["shipyard", "serve", "churn-online"' in dockerfile
    assert "pip install" in dockerfile and "shipyard[postgres,s3]==" in dockerfile
    assert "USER 10001" in dockerfile


def test_a_workspace_pods_cannot_share_is_refused(sqlite_workspace: Workspace,
                                                  tmp_path: Path) -> None:  # fmt: skip
    frame = make_frame(100)[["age", "income"]]
    with sy.start_run(workspace=sqlite_workspace) as run:
        run.log_model(LogisticRegression().fit(frame, frame["age"] > 50), "churn",
                      input_example=frame.head(2))  # fmt: skip
    deploy_online("churn-online", routes=["churn/1"], workspace=sqlite_workspace)
    with pytest.raises(ConfigurationError, match="SQLite") as caught:
        kubernetes_manifests("churn-online", tmp_path / "k8s", workspace=sqlite_workspace)
    assert "SHIPYARD_STORE_URL" in (caught.value.hint or "")
    assert not (tmp_path / "k8s").exists()


@pytest.mark.slow
def test_the_pod_command_serves_the_deployment_and_answers_its_probes(
    shared: Workspace, seaweedfs: SeaweedServer, tmp_path: Path
) -> None:
    """Run the manifest's command with the environment it gives the pod (Secret values filled
    in as kubectl would), on loopback instead of the pod's address."""
    runner = CliRunner()
    settings = shared.settings
    result = runner.invoke(app, [
        "--store", settings.resolved_store_url, "--artifacts", settings.resolved_artifacts_url,
        "deploy", "kubernetes", "churn-online", "-o", str(tmp_path / "k8s"),
    ], env=seaweedfs.environment)  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((tmp_path / "k8s" / "deployment.yaml").read_text())
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    secret = {"store-url": settings.resolved_store_url, "serve-tokens": "token-for-the-pod",
              "aws-access-key-id": seaweedfs.environment["AWS_ACCESS_KEY_ID"],
              "aws-secret-access-key": seaweedfs.environment["AWS_SECRET_ACCESS_KEY"]}  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPYARD_", "AWS_"))}
    for item in container["env"]:
        reference = item.get("valueFrom", {}).get("secretKeyRef")
        environment[item["name"]] = secret[reference["key"]] if reference else item["value"]
    assert environment["AWS_ENDPOINT_URL"] == seaweedfs.endpoint  # passed on from the shell
    environment["SHIPYARD_HOME"] = str(tmp_path / "pod-home")
    port = free_port()
    args = [a.replace("0.0.0.0", "127.0.0.1") for a in container["args"]]
    args[args.index("--port") + 1] = str(port)
    assert container["command"] == ["shipyard"]  # the console script the image installs
    command = [str(Path(sys.executable).parent / "shipyard"), *args]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        probes = container["readinessProbe"]["httpGet"]["path"], container["livenessProbe"][
            "httpGet"]["path"]  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx.get(base + probes[0], timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert ready is not None and ready.status_code == 200, (tmp_path / "server.log").read_text()
        assert httpx.get(base + probes[1], timeout=5).status_code == 200
        rows = {"instances": [{"age": 30, "income": 1000.0}]}
        assert httpx.post(f"{base}/predict", json=rows, timeout=10).status_code == 401
        answer = httpx.post(f"{base}/predict", json=rows, timeout=10,
                            headers={"Authorization": "Bearer token-for-the-pod"})  # fmt: skip
        assert answer.status_code == 200, answer.text
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    # the pod's prediction log went to the deployment's object store
    assert sy.PredictionLogReader(shared.artifacts).count("churn-online") == 1
