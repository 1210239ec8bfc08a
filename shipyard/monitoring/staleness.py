"""How a model's quality decays with age (the ML Test Score's "the impact of model staleness
is known"): the production version scored on each newer version of a labelled dataset, with
the metric against the data's age and its trend per 30 days.

    report = sy.staleness("churn")          # churn@production on churn-train's newer versions
    report.decay_per_30_days                # e.g. -0.021 (roc_auc lost per month)
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import ConfigurationError, NotFoundError, UsageError
from shipyard.core.settings import find_config_file
from shipyard.core.yamlfile import load_yaml
from shipyard.evaluation.catalog import METRICS
from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.spec import EvaluationSpec
from shipyard.models.flavors import Trust
from shipyard.monitoring.reference import training_dataset
from shipyard.registry import load_model, parse_ref, resolve
from shipyard.tracking.datasets import load_dataset
from shipyard.tracking.fluent import start_run

SECONDS_PER_DAY = 86400.0
KIND = "staleness"
"""The kind of the run a study is recorded as (and the context its datasets are read in)."""


@dataclass(frozen=True)
class StalenessPoint:
    """The model on one dataset version: its age when that data was logged, and the metric."""

    dataset: str
    created_at: str
    age_days: float
    rows: int
    value: float | None


@dataclass(frozen=True)
class StalenessReport:
    model: str
    metric: str
    direction: str
    trained_on: str | None
    points: list[StalenessPoint] = field(default_factory=list)
    run_id: str | None = None
    """The run (kind ``staleness``) that recorded this study: one metric point per dataset
    version (step = its position), the datasets as inputs, and ``staleness.json``."""

    @property
    def decay_per_30_days(self) -> float | None:
        """The least-squares slope of the metric against age, per 30 days (negative: a
        higher-is-better metric falling); None with fewer than two dated points."""
        found = [(p.age_days, p.value) for p in self.points if p.value is not None]
        if len(found) < 2 or len({a for a, _ in found}) < 2:
            return None
        ages, values = np.array(found, dtype=float).T
        return float(np.polyfit(ages, values, 1)[0] * 30)

    @property
    def change(self) -> float | None:
        """The last point's value minus the first's."""
        found = [p.value for p in self.points if p.value is not None]
        return found[-1] - found[0] if len(found) >= 2 else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decay_per_30_days": self.decay_per_30_days,
                "change": self.change}  # fmt: skip


def staleness(
    model: str,
    *,
    dataset: str | None = None,
    metric: str | None = None,
    label: str | None = None,
    task: str | None = None,
    config: str | Path | None = None,
    trusted: Trust = False,
    workspace: Workspace | None = None,
) -> StalenessReport:
    """Score ``model`` (``name``, meaning ``name@production``; or ``name@alias``,
    ``name/3``) on each version of ``dataset`` newer than the data it trained on (default:
    that training dataset's own newer versions). ``label``, ``task`` and ``metric`` default
    to the ``evaluation:`` section of shipyard.yaml (``config``); the metric defaults to its
    first."""
    ws = workspace or workspace_for()
    parsed = parse_ref(model)
    ref = f"{model}@production" if parsed.alias is None and parsed.version is None else model
    version = resolve(ref, workspace=ws)
    spec = _spec(config, label=label, task=task, metric=metric)
    chosen = spec.metrics[0]
    try:
        trained_on: str | None = training_dataset(ws, version)
    except NotFoundError:
        trained_on = None
    if dataset is None and trained_on is None:
        raise UsageError(
            f"{version.ref} records no training dataset, so its newer versions are unknown.",
            hint="Name the labelled dataset to score it on: --dataset NAME.",
        )
    name, _, first = (dataset or trained_on or "").partition("/")
    start = int(first) if dataset is None and first else 0
    if dataset is not None and trained_on is not None and trained_on.split("/")[0] == name:
        start = int(trained_on.split("/")[1])
    newer = sorted((v for v in ws.datasets.list_versions(name) if v.version > start),
                   key=lambda v: v.version)  # fmt: skip
    if not newer:
        raise NotFoundError(
            f"Dataset {name!r} has no version newer than {name}/{start} to score {version.ref} on.",
            hint="Log newer labelled data with sy.log_dataset, then run this again.",
        )
    loaded = load_model(version.ref, trusted=trusted, warm=False, workspace=ws)
    points = []
    tags = {"shipyard.model": version.ref, "shipyard.staleness.metric": chosen}
    params = {"model": version.ref, "dataset": name, "metric": chosen}
    title = f"staleness {version.ref}"
    with start_run(title, kind=KIND, tags=tags, params=params, workspace=ws) as run:
        for step, record in enumerate(newer):
            frame = load_dataset(record.ref, context=KIND, workspace=ws)
            value = evaluate(loaded, frame, spec).metrics.get(chosen)
            age = (record.created_at - version.created_at).total_seconds() / SECONDS_PER_DAY
            found = None if value is None or not math.isfinite(value) else float(value)
            points.append(StalenessPoint(record.ref, record.created_at.isoformat(),
                                         max(age, 0.0), len(frame), found))  # fmt: skip
            if found is not None:
                run.log_metric(chosen, found, step=step)
        report = StalenessReport(version.ref, chosen, METRICS[chosen].direction, trained_on,
                                 points, run.id)  # fmt: skip
        if report.decay_per_30_days is not None:
            run.log_metric("decay_per_30_days", report.decay_per_30_days)
        with tempfile.TemporaryDirectory(prefix="shipyard-staleness-") as folder:
            path = Path(folder) / "staleness.json"
            path.write_bytes(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2))
            run.log_artifact(path, "staleness.json")
    return report


def _spec(
    config: str | Path | None, *, label: str | None, task: str | None, metric: str | None
) -> EvaluationSpec:
    """The metric to score with: the arguments, completed from the evaluation section."""
    section: dict[str, Any] = {}
    file = Path(config) if config is not None else find_config_file()
    if file is not None and file.is_file():
        document, _ = load_yaml(file)
        if isinstance(document, dict) and isinstance(document.get("evaluation"), dict):
            section = document["evaluation"]
    body = {"task": task or section.get("task"), "label": label or section.get("label"),
            "positive_label": section.get("positive_label")}  # fmt: skip
    if body["task"] is None or body["label"] is None:
        raise ConfigurationError(
            "Staleness needs the task and the label column to score the model.",
            hint="Pass --task and --label, or declare evaluation.task and evaluation.label.",
        )
    metrics = [metric] if metric else list(section.get("metrics") or [])[:1]
    if metric and metric not in METRICS:
        raise UsageError(f"Unknown metric {metric!r}.", hint=f"Use one of {', '.join(METRICS)}.")
    try:
        return EvaluationSpec.model_validate({**body, "metrics": metrics})
    except ValueError as exc:  # pydantic's ValidationError
        raise ConfigurationError(
            f"Cannot score for staleness: {str(exc).splitlines()[-1].strip()}",
            hint="Check --task (classification or regression), --label and --metric.",
        ) from None
