"""Monitor jobs: one window (:func:`monitor_run`) or one every interval (:func:`monitor_watch`).

A run reads the window of the deployment's prediction log, compares it with the reference
profile (the training data of the model version behind the main route), stores a
MonitorResult, applies the alert rules of the ``monitoring:`` section, hands new and resolved
alerts to the sinks (in the background) and, for a rule with ``retrain: true``, triggers the
training pipeline once per alert.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from shipyard._store.monitoring import MonitorResultRecord, NewResult
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.clock import utcnow
from shipyard.core.logging import get_logger
from shipyard.data.drift import Level, Thresholds
from shipyard.monitoring.alerts import AlertEvent, evaluate_rules
from shipyard.monitoring.analysis import (
    data_quality,
    distributions,
    feature_drift,
    prediction_drift,
    profile_window,
)
from shipyard.monitoring.checks import (
    dependency_check,
    model_age,
    numerical_check,
    performance_change,
)
from shipyard.monitoring.config import MonitoringConfig, check_features, load_config
from shipyard.monitoring.logscan import LogWindow
from shipyard.monitoring.performance import live_performance, task_of
from shipyard.monitoring.reference import Reference, resolve_reference
from shipyard.monitoring.retrain import trigger_retrain
from shipyard.monitoring.sinks import Dispatcher
from shipyard.monitoring.window import Window, parse_duration, resolve_window

log = get_logger(__name__)
HISTORY = 100


def monitor_run(
    deployment: str,
    *,
    window: str | timedelta | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    reference: str | None = None,
    config: MonitoringConfig | str | Path | None = None,
    workspace: Workspace | None = None,
    dispatcher: Dispatcher | None = None,
) -> MonitorResultRecord:
    """Monitor one window of ``deployment`` (the last ``window``, default the config's, or
    ``since``..``until``) and store the result; alerts follow the rules in ``config``
    (default: the ``monitoring:`` section of shipyard.yaml)."""
    ws = workspace or workspace_for()
    settings = config if isinstance(config, MonitoringConfig) else load_config(config)
    span = resolve_window(window or settings.window, since=since, until=until)
    record = ws.deployments.get(deployment)
    ref = resolve_reference(ws, record, reference)
    check_features(settings, ref.features, ref.columns)
    result = ws.monitoring.add_result(compute_window(ws, deployment, span, ref, settings))
    if settings.rules:
        own = dispatcher is None
        sender = dispatcher or Dispatcher(ws.monitoring)
        try:
            history = ws.monitoring.results(
                deployment, until=result.window_end,
                limit=max(rule.for_windows for rule in settings.rules),
            )  # fmt: skip
            evaluate_rules(ws.monitoring, settings, deployment, history, dispatcher=sender,
                           on_open=_retrain_hook(ws, settings))  # fmt: skip
        finally:
            if own and not sender.close(settings.delivery_wait):
                log.warning("Alert deliveries still pending after %ss were abandoned.",
                            settings.delivery_wait)  # fmt: skip
    return ws.monitoring.get_result(result.id)


def compute_window(
    ws: Workspace, deployment: str, span: Window, ref: Reference, settings: MonitoringConfig
) -> NewResult:
    """Everything one window says, ready to store."""
    source = LogWindow(ws.artifacts, deployment, span)
    label_column = ref.columns.get(settings.label) if settings.label else None
    numeric_prediction = (
        label_column.get("kind") == "numeric" if label_column
        else task_of(ref.output, settings.task) == "regression"
    )  # fmt: skip
    found = profile_window(source.batches(numeric_prediction=numeric_prediction), ref.columns)
    thresholds = _thresholds(settings)
    drift = feature_drift(ref.profile, found, ref.features, thresholds, ref.dataset)
    quality = data_quality(ref.columns, found, ref.features)
    predictions = prediction_drift(label_column, found, thresholds,
                                   f"{ref.dataset} column {settings.label}")  # fmt: skip
    task = task_of(ref.output, settings.task)
    performance = live_performance(
        source.labelled(), task=task, classes=ref.output.get("classes"),
        positive=settings.positive_label,
    )  # fmt: skip
    health = {**source.health(), "load_failures": load_failures(ws, deployment)}
    numeric_label = label_column if numeric_prediction else None
    health["numerical"] = numerical_check(source, numeric_label, task == "classification")
    health["dependencies"] = dependency_check(ws, source, ref.model, settings.dependency_level)
    health["comparison"] = performance_change(ws, deployment, span, health, ref.model.version)
    summary = {
        "verdict": drift.verdict if found.rows else "no-data",
        "drifted": drift.drifted,
        "model_version": ref.model.version,
        "task": task,
        "labelled_rows": 0 if performance is None else performance["labelled_rows"],
        "model_age_days": model_age(ref.model, span.end),
    }
    shapes = distributions(found.profile, ref.features)
    return NewResult(
        deployment=deployment, window_start=span.start, window_end=span.end,
        reference=ref.dataset, rows=found.rows,
        feature_drift={**drift.to_dict(), "distributions": shapes},
        prediction_drift=predictions, data_quality=quality, performance=performance,
        service_health=health, summary=summary,
    )  # fmt: skip


def load_failures(ws: Workspace, deployment: str) -> int:
    """1 while a worker of ``deployment`` records that it cannot load the deployment's newest
    versions (a stream worker refused an untrusted model, say), else 0: the ``load_failures``
    metric of alert rules."""
    stats = ws.deployments.get(deployment).stats or {}
    return int(bool(stats.get("load_failure")))


def _thresholds(settings: MonitoringConfig) -> Thresholds:
    levels = {name: Level(warning=value / 2, drift=value)
              for name, value in settings.drift.thresholds.items()}  # fmt: skip
    return Thresholds(levels=levels, numeric_method=settings.drift.numeric_method,
                      categorical_method=settings.drift.categorical_method)  # fmt: skip


def _retrain_hook(ws: Workspace, settings: MonitoringConfig) -> Callable[[AlertEvent], None]:
    def hook(event: AlertEvent) -> None:
        if event.rule.retrain:
            trigger_retrain(ws, event.alert, config=settings.path)

    return hook


def monitor_watch(
    deployment: str,
    *,
    every: str | timedelta = "5m",
    window: str | timedelta | None = None,
    reference: str | None = None,
    config: MonitoringConfig | str | Path | None = None,
    workspace: Workspace | None = None,
    stop: threading.Event | None = None,
    on_result: Callable[[MonitorResultRecord], Any] | None = None,
    max_runs: int | None = None,
) -> int:
    """Run :func:`monitor_run` every ``every`` (each over the last ``window``, default
    ``every``) until ``stop`` is set, SIGINT or SIGTERM arrives, or ``max_runs`` ran; a
    failing run is logged and the loop carries on. Returns the number of runs."""
    interval = parse_duration(every)
    ws = workspace or workspace_for()
    settings = config if isinstance(config, MonitoringConfig) else load_config(config)
    stopping = stop or threading.Event()
    dispatcher = Dispatcher(ws.monitoring)
    restore = _handle_signals(stopping)
    runs = 0
    try:
        while not stopping.is_set() and (max_runs is None or runs < max_runs):
            started = utcnow()
            try:
                result = monitor_run(deployment, window=window or interval, until=started,
                                     reference=reference, config=settings, workspace=ws,
                                     dispatcher=dispatcher)  # fmt: skip
                if on_result is not None:
                    on_result(result)
            except Exception as exc:  # keep watching: the next window may work
                log.error("Monitoring %s failed: %s", deployment, exc)
            runs += 1
            if max_runs is not None and runs >= max_runs:
                break
            left = interval - (utcnow() - started)
            stopping.wait(max(left.total_seconds(), 0.0))
    finally:
        restore()
        dispatcher.close(settings.delivery_wait)
    return runs


def _handle_signals(stopping: threading.Event) -> Callable[[], None]:
    """Make SIGINT and SIGTERM set ``stopping`` (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("Signal %d: stopping after the current window.", signum)
        stopping.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for number, old in previous.items():
            signal.signal(number, old)

    return restore
