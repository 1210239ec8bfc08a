"""Everything the scorecard judges, read once through the public library functions: runs,
versions and their evaluations, policies, the audit log (alias moves, marks, rollouts,
attestations), deployments, monitor results, alerts, dataset versions and validations, and
the project's ``shipyard.yaml`` through the pipeline's loader."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from shipyard._store.deployments import DeploymentRecord
from shipyard._store.monitoring import AlertRecord, MonitorResultRecord
from shipyard._store.records import (
    AuditRecord,
    DatasetVersionRecord,
    EvaluationRecord,
    ModelVersionRecord,
    PolicyRecord,
    RunRecord,
    RunUsage,
    ValidationRecord,
)
from shipyard._store.workspace import Workspace
from shipyard.core.settings import find_config_file
from shipyard.core.yamlfile import load_yaml
from shipyard.data.api import (
    dataset_usage,
    list_dataset_versions,
    list_datasets,
    list_validations,
)
from shipyard.monitoring.alert_api import list_alerts
from shipyard.monitoring.config import MonitoringConfig, Rule, load_config
from shipyard.pipeline.config import PipelineConfig, load_pipeline_config
from shipyard.registry.audit import get_audit
from shipyard.registry.policies import get_policy, latest_evaluation
from shipyard.registry.versions import get_model, list_model_versions, list_models
from shipyard.serving.deployments import list_deployments
from shipyard.tracking.search import search_runs

PRODUCTION = "production"
MAX_RUNS = 5000
"""The newest runs of the window that are read (a scorecard needs patterns, not every run)."""


@dataclass(frozen=True)
class Evidence:
    """The records of one project (or one model) since ``since``."""

    now: datetime
    since: datetime
    models: tuple[str, ...]
    config: PipelineConfig | None
    monitoring: MonitoringConfig
    runs: tuple[RunRecord, ...]
    versions: tuple[ModelVersionRecord, ...]
    evaluations: tuple[EvaluationRecord, ...]
    policies: tuple[PolicyRecord, ...]
    audit: tuple[AuditRecord, ...]
    deployments: tuple[DeploymentRecord, ...]
    results: tuple[MonitorResultRecord, ...]
    alerts: tuple[AlertRecord, ...]
    dataset_versions: tuple[DatasetVersionRecord, ...]
    validations: tuple[ValidationRecord, ...]
    usages: tuple[RunUsage, ...]

    # -- views the items share -------------------------------------------------------------

    def recent(self, moment: datetime | None) -> bool:
        return moment is not None and self.since <= moment <= self.now

    @property
    def rules(self) -> list[Rule]:
        """The alert rules of ``monitoring.rules`` in shipyard.yaml."""
        return list(self.monitoring.rules)

    def runs_of(self, kind: str) -> list[RunRecord]:
        return [run for run in self.runs if run.kind == kind]

    def run(self, run_id: str | None) -> RunRecord | None:
        return next((run for run in self.runs if run.id == run_id), None)

    def events(self, *actions: str) -> list[AuditRecord]:
        """Audit events of the window with one of ``actions``, oldest first."""
        return [event for event in self.audit if event.action in actions]

    def production_moves(self) -> list[AuditRecord]:
        """``alias.set`` events that moved a model's ``production`` alias, oldest first."""
        targets = {f"{name}@{PRODUCTION}" for name in self.models}
        return [e for e in self.events("alias.set") if e.target in targets]

    def rollout_events(self, *actions: str) -> list[AuditRecord]:
        """Rollout events (target: a deployment) of the model's deployments, oldest first."""
        names = {d.name for d in self.deployments}
        return [e for e in self.events(*actions) if e.target in names]

    def recent_evaluations(self) -> list[EvaluationRecord]:
        return [e for e in self.evaluations if self.recent(e.created_at)]


def gather(
    workspace: Workspace,
    *,
    model: str | None,
    config: str | Path | None,
    since: datetime,
    now: datetime,
) -> Evidence:
    """Read the evidence of ``model`` (default: the model of shipyard.yaml, else every model)
    recorded since ``since``."""
    loaded, monitoring = _config(config)
    if model is not None and loaded is not None and loaded.model.name != model:
        loaded = None  # shipyard.yaml declares another model's pipeline
    if model is not None:
        get_model(model, workspace=workspace)  # an unknown model is a NotFoundError
        models: tuple[str, ...] = (model,)
    elif loaded is not None:
        models = (loaded.model.name,)
    else:
        models = tuple(m.name for m in list_models(workspace=workspace))
    known = {m.name for m in list_models(workspace=workspace)}
    versions = [v for name in models if name in known
                for v in list_model_versions(name, workspace=workspace)]  # fmt: skip
    evaluations = [
        e
        for v in versions
        if (e := latest_evaluation(v.model_name, v.version, workspace=workspace))
    ]
    policies = [p for name in models if name in known
                if (p := get_policy(name, PRODUCTION, workspace=workspace))]  # fmt: skip
    audit = [e for e in get_audit(limit=None, newest_first=False, workspace=workspace)
             if since <= e.time <= now]  # fmt: skip
    deployments = [d for d in list_deployments(workspace=workspace) if d.model_name in models]
    results = [r for d in deployments
               for r in workspace.monitoring.results(d.name, since=since, until=now)]  # fmt: skip
    names = {d.name for d in deployments}
    alerts = [a for a in list_alerts(limit=None, workspace=workspace)
              if a.deployment in names and since <= a.opened_at <= now]  # fmt: skip
    dataset_versions = [
        v for d in list_datasets(workspace=workspace)
        for v in list_dataset_versions(d.name, workspace=workspace)
    ]  # fmt: skip
    recent_datasets = [v for v in dataset_versions if since <= v.created_at <= now]
    validations = [
        check for v in recent_datasets for check in list_validations(v.ref, workspace=workspace)
        if since <= check.created_at <= now
    ]  # fmt: skip
    runs = _runs(workspace, since, now)
    return Evidence(
        now=now, since=since, models=models, config=loaded, monitoring=monitoring,
        runs=tuple(runs),
        versions=tuple(versions), evaluations=tuple(evaluations), policies=tuple(policies),
        audit=tuple(audit), deployments=tuple(deployments), results=tuple(results),
        alerts=tuple(alerts), dataset_versions=tuple(dataset_versions),
        validations=tuple(validations), usages=tuple(_usages(workspace, recent_datasets)),
    )  # fmt: skip


def _config(config: str | Path | None) -> tuple[PipelineConfig | None, MonitoringConfig]:
    """The project's shipyard.yaml, each section through its own package's loader: the
    pipeline's (when the file declares a pipeline) and the monitoring rules'. (None, no rules)
    when there is no file (a store used from Python alone)."""
    path = Path(config) if config is not None else find_config_file()
    if path is None:
        return None, MonitoringConfig()
    document, _ = load_yaml(path)
    pipeline = isinstance(document, dict) and "train" in document
    return (load_pipeline_config(path) if pipeline else None), load_config(path)


def _runs(workspace: Workspace, since: datetime, now: datetime) -> list[RunRecord]:
    first, last = since.replace(microsecond=0), now.replace(microsecond=0) + timedelta(seconds=1)
    query = f"start_time >= '{first.isoformat()}' and start_time <= '{last.isoformat()}'"
    found: list[RunRecord] = []
    token: str | None = None
    while len(found) < MAX_RUNS:
        page = search_runs(query, max_results=500, page_token=token, workspace=workspace)
        found.extend(page.runs)
        token = page.next_page_token
        if token is None:
            break
    return found


def _usages(workspace: Workspace, versions: Sequence[DatasetVersionRecord]) -> Iterable[RunUsage]:
    for version in versions:
        yield from dataset_usage(version.ref, workspace=workspace)
