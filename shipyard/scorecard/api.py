"""``sy.scorecard(...)``: the ML Test Score, the maturity grid, the MLOps level and the delivery
metrics of a model (or the project), computed from what Shipyard recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.clock import utcnow
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings
from shipyard.scorecard import data_model, infra_mon
from shipyard.scorecard.attest import apply_attestations, attestations
from shipyard.scorecard.delivery import delivery_metrics
from shipyard.scorecard.evidence import Evidence, gather
from shipyard.scorecard.grid import maturity_grid, mlops_level
from shipyard.scorecard.record import ITEMS, DeliveryMetric, Scorecard

DEFAULT_WINDOW = "90d"
CHECKS = {**data_model.CHECKS, **infra_mon.CHECKS}


def scorecard(
    model: str | None = None,
    *,
    since: str | timedelta | datetime = DEFAULT_WINDOW,
    config: str | Path | None = None,
    at: datetime | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> Scorecard:
    """Score ``model`` (default: the model of ``shipyard.yaml``, else every model) on the 28
    tests of the ML Test Score from the records of the window ``since`` (a duration back from
    now, ``"90d"``, or a time), with the maturity grid, the MLOps level and the four delivery
    metrics. ``config`` is the shipyard.yaml to read (default: the one here, if any); ``at``
    scores as of another time than now (records after it are left out)."""
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise UsageError(f"A model name is text, not {model!r}.", hint='For example "churn".')
    from shipyard.monitoring.window import parse_time

    now = utcnow() if at is None else parse_time(at)
    start = _start(since, now)
    ws = workspace or workspace_for(settings)
    ev = gather(ws, model=model, config=config, since=start, now=now)
    items = tuple(CHECKS[item_id](ev) for item_id in ITEMS)
    items = apply_attestations(items, attestations(workspace=ws, model=model, at=now))
    return Scorecard(
        model=model or (ev.models[0] if len(ev.models) == 1 else None),
        computed_at=now, since=start, items=items, grid=maturity_grid(ev, items),
        mlops=mlops_level(ev, items), delivery=_delivery(ev), notes=_notes(ev),
    )  # fmt: skip


def _start(since: str | timedelta | datetime, now: datetime) -> datetime:
    from shipyard.monitoring.window import parse_duration, parse_time

    if isinstance(since, datetime):
        return parse_time(since)
    if isinstance(since, str) and any(c in since for c in "-:T"):
        return parse_time(since)
    return now - parse_duration(since)


def _delivery(ev: Evidence) -> tuple[DeliveryMetric, ...]:
    trained = {}
    for version in ev.versions:
        run = ev.run(version.source_run_id)
        if run is not None:
            parent = ev.run(run.parent_run_id)
            trained[(version.model_name, version.version)] = (parent or run).start_time
    return delivery_metrics(
        ev.audit, ev.alerts, models=ev.models, trained_at=trained,
        deployments={d.name: d.model_name for d in ev.deployments}, since=ev.since, now=ev.now,
    )  # fmt: skip


def _notes(ev: Evidence) -> tuple[str, ...]:
    notes = []
    if ev.config is None:
        notes.append("No shipyard.yaml: nothing is declared to run automatically, so no item "
                     "can score 1.")  # fmt: skip
    if not ev.models:
        notes.append("No model is registered yet.")
    return tuple(notes)
