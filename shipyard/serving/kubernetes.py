"""A deployment as a container image recipe and Kubernetes manifests.

:func:`kubernetes_manifests` writes, for one online deployment, the files a team applies to a
cluster:

- ``Dockerfile``: installs this version of Shipyard (with PostgreSQL and S3 support) and runs
  ``shipyard serve DEPLOYMENT`` on port 8000;
- ``deployment.yaml``: the pods, with liveness and readiness probes on ``/health/live`` and
  ``/health/ready``, resource requests and limits, a non-root read-only container, the
  metadata store URL, the S3 credentials and the bearer tokens read from a Secret, and the
  artifact store (so the prediction log) pointed at the workspace's object store;
- ``service.yaml`` and ``hpa.yaml``: a ClusterIP Service and a HorizontalPodAutoscaler on CPU;
- with ``kserve``, ``inferenceservice.yaml``: the same container as a KServe
  ``InferenceService`` (the server speaks the Open Inference Protocol v2).

Pods on several machines share nothing local, so a workspace whose metadata is SQLite or
whose artifacts are a local folder is refused: it would serve from files no pod has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import ConfigurationError, UsageError
from shipyard.core.names import check_model_name
from shipyard.core.version import shipyard_version
from shipyard.serving.deploy import deployments_of

PORT = 8000
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (a pod is reached on its own IP, behind the Service)
SCRATCH = "/tmp"  # noqa: S108 (an emptyDir private to the pod; the root filesystem is read-only)
HOME = f"{SCRATCH}/shipyard"
SECRET_KEYS = {
    "SHIPYARD_STORE_URL": "store-url",
    "SHIPYARD_SERVE_TOKENS": "serve-tokens",
    "AWS_ACCESS_KEY_ID": "aws-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-access-key",
}
"""Environment variable of the pod → key of the Secret it is read from."""
OPTIONAL_SECRETS = frozenset(
    {"SHIPYARD_SERVE_TOKENS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
)
"""Without these keys the pod still starts: no bearer tokens, or S3 credentials that come
from the node or a service account instead."""


@dataclass(frozen=True)
class KubernetesOptions:
    """How the manifests size and scale the pods."""

    image: str | None = None
    """The image the Dockerfile builds; default ``shipyard-<deployment>:<shipyard version>``."""
    namespace: str | None = None
    min_replicas: int = 2
    max_replicas: int = 10
    cpu_target_percent: int = 70
    cpu_request: str = "500m"
    memory_request: str = "512Mi"
    cpu_limit: str = "2"
    memory_limit: str = "2Gi"
    secret: str | None = None
    """The Secret holding the store URL, tokens and S3 credentials; default ``<name>-shipyard``."""
    environment: dict[str, str] = field(default_factory=dict)
    """Plain variables for the pods, e.g. ``AWS_ENDPOINT_URL`` and ``AWS_DEFAULT_REGION``."""
    kserve: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise UsageError(
                f"Replicas must satisfy 1 <= min ({self.min_replicas}) <= max "
                f"({self.max_replicas})."
            )
        if not 1 <= self.cpu_target_percent <= 100:
            raise UsageError("The CPU target must be a percentage between 1 and 100.")


@dataclass(frozen=True)
class KubernetesBundle:
    """The files written, by name (``Dockerfile``, ``deployment.yaml`` …), and the manifests."""

    directory: Path
    files: dict[str, Path]
    manifests: dict[str, dict[str, Any]]


def kubernetes_manifests(
    deployment: str,
    output: str | Path,
    *,
    options: KubernetesOptions | None = None,
    workspace: Workspace | None = None,
) -> KubernetesBundle:
    """Write the Dockerfile and Kubernetes manifests serving the online deployment
    ``deployment`` into the folder ``output`` (created; files of the same names replaced)."""
    options = options or KubernetesOptions()
    workspace = workspace or workspace_for(None)
    record = deployments_of(workspace).get(check_model_name(deployment))
    if record.mode != "online":
        raise UsageError(f"Deployment {deployment} is a {record.mode} deployment; only an "
                         "online deployment runs on Kubernetes.")  # fmt: skip
    settings = workspace.settings
    if settings.resolved_store_url.startswith("sqlite"):
        raise ConfigurationError(
            "Pods on Kubernetes cannot share this workspace's SQLite metadata store.",
            hint="Point SHIPYARD_STORE_URL at PostgreSQL (postgresql+psycopg://…) first.",
        )
    if workspace.artifacts.is_local:
        raise ConfigurationError(
            f"Pods on Kubernetes cannot read the local artifact folder "
            f"{settings.resolved_artifacts_url}.",
            hint="Point SHIPYARD_ARTIFACTS_URL at object storage (s3://bucket/prefix) first.",
        )
    name = record.name
    image = options.image or f"shipyard-{name}:{shipyard_version()}"
    manifests = _manifests(name, image, settings.resolved_artifacts_url, options)
    directory = Path(output)
    directory.mkdir(parents=True, exist_ok=True)
    files = {"Dockerfile": directory / "Dockerfile"}
    files["Dockerfile"].write_text(dockerfile(name), encoding="utf-8")
    for key, manifest in manifests.items():
        files[f"{key}.yaml"] = directory / f"{key}.yaml"
        text = yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False)
        files[f"{key}.yaml"].write_text(text, encoding="utf-8")
    return KubernetesBundle(directory, files, manifests)


def dockerfile(deployment: str) -> str:
    """A Dockerfile serving ``deployment`` with this version of Shipyard."""
    return f"""\
# Serves the Shipyard deployment {deployment}. Build: docker build -t IMAGE .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SHIPYARD_HOME={HOME}
RUN pip install --no-cache-dir "shipyard[postgres,s3]=={shipyard_version()}" \\
    && useradd --uid 10001 --no-create-home shipyard
USER 10001
EXPOSE {PORT}
ENTRYPOINT ["shipyard", "serve", "{deployment}", "--host", "{ALL_INTERFACES}", "--port", "{PORT}"]
"""


def _manifests(
    name: str, image: str, artifacts_url: str, options: KubernetesOptions
) -> dict[str, dict[str, Any]]:
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "shipyard"}
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if options.namespace:
        metadata["namespace"] = options.namespace
    container = _container(name, image, artifacts_url, options)
    pod_security = {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001}
    scratch = [{"name": "scratch", "emptyDir": {}}]
    manifests: dict[str, dict[str, Any]] = {
        "deployment": {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
            "spec": {
                "replicas": options.min_replicas,
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"securityContext": pod_security, "containers": [container],
                             "volumes": scratch, "terminationGracePeriodSeconds": 30},
                },
            },
        },
        "service": {
            "apiVersion": "v1", "kind": "Service", "metadata": metadata,
            "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": name},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
        "hpa": {
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": metadata,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": options.min_replicas, "maxReplicas": options.max_replicas,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                    "type": "Utilization", "averageUtilization": options.cpu_target_percent}}}],
            },
        },
    }  # fmt: skip
    if options.kserve:
        manifests["inferenceservice"] = {
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": metadata,
            "spec": {"predictor": {
                "minReplicas": options.min_replicas, "maxReplicas": options.max_replicas,
                "securityContext": pod_security, "volumes": scratch,
                "containers": [{**container, "name": "kserve-container"}],
            }},
        }  # fmt: skip
    return manifests


def _container(
    name: str, image: str, artifacts_url: str, options: KubernetesOptions
) -> dict[str, Any]:
    secret = options.secret or f"{name}-shipyard"
    environment: list[dict[str, Any]] = [
        {"name": "SHIPYARD_HOME", "value": HOME},
        {"name": "SHIPYARD_ARTIFACTS_URL", "value": artifacts_url},
    ]
    environment += [{"name": k, "value": v} for k, v in sorted(options.environment.items())]
    environment += [
        {"name": variable, "valueFrom": {"secretKeyRef": {
            "name": secret, "key": key, "optional": variable in OPTIONAL_SECRETS}}}
        for variable, key in SECRET_KEYS.items()
    ]  # fmt: skip
    probe = {"httpGet": {"port": "http"}, "periodSeconds": 10, "timeoutSeconds": 2}
    return {
        "name": "server", "image": image,
        "args": ["serve", name, "--host", ALL_INTERFACES, "--port", str(PORT)],
        "command": ["shipyard"],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": environment,
        "resources": {
            "requests": {"cpu": options.cpu_request, "memory": options.memory_request},
            "limits": {"cpu": options.cpu_limit, "memory": options.memory_limit},
        },
        "startupProbe": _probe(probe, "/health/ready", failureThreshold=30),
        "livenessProbe": _probe(probe, "/health/live", failureThreshold=3),
        "readinessProbe": _probe(probe, "/health/ready", failureThreshold=2),
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "scratch", "mountPath": SCRATCH}],
    }  # fmt: skip


def _probe(base: dict[str, Any], path: str, **extra: Any) -> dict[str, Any]:
    return {**base, "httpGet": {**base["httpGet"], "path": path}, **extra}
