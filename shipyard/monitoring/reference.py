"""What a deployment is compared with: the stored profile of its model's training data.

deployment -> the model version of its main route -> the run that produced it (the version's
``source_run_id``) -> the dataset version that run read with context ``"train"`` -> its
stored profile. ``--reference DATASET/VERSION`` names a dataset version instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard._store.datasets import INPUT
from shipyard._store.deployments import DeploymentRecord
from shipyard._store.records import ModelVersionRecord
from shipyard._store.workspace import Workspace
from shipyard.core.errors import NotFoundError
from shipyard.data.versions import resolve as resolve_dataset
from shipyard.registry import parse_ref, resolve as resolve_model

TRAIN = "train"


@dataclass(frozen=True)
class Reference:
    """The reference profile, where it came from, and the model's signature."""

    dataset: str  # NAME/VERSION
    profile: dict[str, Any]
    model: ModelVersionRecord
    signature: dict[str, Any] | None

    @property
    def columns(self) -> dict[str, dict[str, Any]]:
        columns: dict[str, dict[str, Any]] = self.profile.get("columns", {})
        return columns

    @property
    def features(self) -> list[str]:
        """The model's input columns (from its signature), else the profile's columns."""
        if self.signature and self.signature.get("inputs"):
            return [str(column["name"]) for column in self.signature["inputs"]]
        return list(self.columns)

    @property
    def output(self) -> dict[str, Any]:
        return dict((self.signature or {}).get("outputs") or {})


def main_version(workspace: Workspace, deployment: DeploymentRecord) -> ModelVersionRecord:
    """The model version behind the deployment's heaviest route."""
    route = max(deployment.routes, key=lambda r: float(r.get("weight", 0)))
    if "alias" in route:
        ref = parse_ref(f"{deployment.model_name}@{route['alias']}")
    else:
        ref = parse_ref(f"{deployment.model_name}/{route['version']}")
    return resolve_model(ref, workspace=workspace)


def training_dataset(workspace: Workspace, version: ModelVersionRecord) -> str:
    """``NAME/VERSION`` of the dataset the version's source run trained on."""
    if version.source_run_id is None:
        raise NotFoundError(
            f"Model version {version.ref} records no source run, so its training data is unknown.",
            hint="Pass --reference DATASET/VERSION.",
        )
    usages = [u for u in workspace.datasets.run_datasets(version.source_run_id) if u.role == INPUT]
    train = [u for u in usages if u.context == TRAIN]
    if not train:
        logged = ", ".join(f"{u.dataset_ref} ({u.context or 'no context'})" for u in usages)
        raise NotFoundError(
            f"Run {version.source_run_id}, which produced {version.ref}, logged no dataset "
            f"with context 'train'" + (f" (it read {logged})." if logged else "."),
            hint='Log the training data with sy.log_dataset(..., context="train"), '
            "or pass --reference DATASET/VERSION.",
        )
    return train[-1].dataset_ref


def resolve_reference(
    workspace: Workspace, deployment: DeploymentRecord, explicit: str | None = None
) -> Reference:
    version = main_version(workspace, deployment)
    ref = explicit or training_dataset(workspace, version)
    record = resolve_dataset(workspace, ref)
    if not record.profile:
        raise NotFoundError(
            f"Dataset {record.ref} has no stored profile to compare with.",
            hint="Log it again with sy.log_dataset, which profiles it.",
        )
    return Reference(record.ref, record.profile, version, version.signature)
