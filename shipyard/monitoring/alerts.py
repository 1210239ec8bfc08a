"""Turning monitor results into alerts: a rule fires when its condition held in each of its
last ``for`` windows, stays one alert while active (deduplicated by its fingerprint), and
resolves on its own when the newest window no longer breaches. A window where the rule's
metric is unknown (no labels yet, no traffic) neither fires nor resolves it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard._store.monitoring import AlertRecord, MonitoringRepository, MonitorResultRecord
from shipyard.monitoring.config import CHECK_METRICS, MonitoringConfig, Rule
from shipyard.monitoring.sinks import Delivery, Dispatcher

AUTO_RESOLVER = "shipyard-monitor"
_STATISTIC_KEYS = {"wasserstein": "wasserstein_norm"}


def fingerprint(deployment: str, rule: Rule) -> str:
    """The dedup key of a rule's alerts on one deployment."""
    return hashlib.sha256(f"{deployment}\0{rule.name}".encode()).hexdigest()


def rule_values(rule: Rule, result: MonitorResultRecord) -> dict[str, float]:
    """The values the rule reads from one result: per feature, or one under ``"*"``."""
    metric = rule.metric
    if rule.per_feature:
        values: dict[str, float] = {}
        quality = result.data_quality.get("features", {})
        for feature in result.feature_drift.get("features", []):
            name = feature["column"]
            if metric == "drift":
                value = feature.get("score")
            elif metric in ("null_rate", "out_of_range_rate", "unseen_rate"):
                value = quality.get(name, {}).get(metric)
            else:
                value = (feature.get("statistics") or {}).get(_STATISTIC_KEYS.get(metric, metric))
            if value is not None:
                values[name] = float(value)
        for name, entry in quality.items():  # features the drift skipped still have quality
            if name not in values and metric in entry and entry[metric] is not None:
                values[name] = float(entry[metric])
        if isinstance(rule.features, list):
            values = {k: v for k, v in values.items() if k in rule.features}
        return values
    found = _window_value(metric, result)
    return {} if found is None else {"*": float(found)}


def _window_value(metric: str, result: MonitorResultRecord) -> Any:
    health = result.service_health
    if metric == "prediction_drift":
        return (result.prediction_drift or {}).get("score")
    if metric == "schema_violations":
        return len(result.data_quality.get("schema_violations", [])) if result.rows else None
    if metric == "rows":
        return result.rows
    if metric == "drift_share":
        return result.feature_drift.get("drift_share") if result.rows else None
    if metric in ("error_rate", "load_failures"):
        return health.get(metric)
    if metric in CHECK_METRICS:
        section, key = CHECK_METRICS[metric]
        found = result.summary if section == "summary" else health.get(section)
        return (found or {}).get(key)
    if metric.startswith("latency_p"):
        return (health.get("latency_ms") or {}).get(metric.removeprefix("latency_"))
    return ((result.performance or {}).get("metrics") or {}).get(metric)


def breaches(rule: Rule, result: MonitorResultRecord) -> tuple[bool | None, dict[str, float]]:
    """Whether the result breaches the rule (None: unknown) and the breaching values."""
    values = rule_values(rule, result)
    if not values:
        return None, {}
    breaching = {k: v for k, v in values.items() if rule.breached(v)}
    return bool(breaching), breaching


@dataclass(frozen=True)
class AlertEvent:
    event: str  # "opened", "repeated" or "resolved"
    alert: AlertRecord
    rule: Rule


def evaluate_rules(
    repository: MonitoringRepository,
    config: MonitoringConfig,
    deployment: str,
    history: Sequence[MonitorResultRecord],
    *,
    dispatcher: Dispatcher | None = None,
    on_open: Callable[[AlertEvent], None] | None = None,
) -> list[AlertEvent]:
    """Apply every rule to the newest results (oldest first, the current one last)."""
    events: list[AlertEvent] = []
    if not history:
        return events
    current = history[-1]
    for rule in config.rules:
        key = fingerprint(deployment, rule)
        state, breaching = breaches(rule, current)
        if state is None:
            continue
        if not state:
            active = repository.active_alert(key)
            if active is not None:
                resolved = repository.resolve(active.id, actor=AUTO_RESOLVER, auto=True)
                events.append(AlertEvent("resolved", resolved, rule))
            continue
        recent = history[-rule.for_windows :]
        if len(recent) < rule.for_windows or not all(breaches(rule, r)[0] for r in recent):
            continue
        alert, new = repository.raise_alert(
            rule=rule.name, deployment=deployment, fingerprint=key, severity=rule.severity,
            message=_message(rule, breaching), details=_details(rule, breaching, current),
            result_id=current.id,
        )  # fmt: skip
        events.append(AlertEvent("opened" if new else "repeated", alert, rule))
    for event in events:
        if event.event == "repeated":
            continue
        if dispatcher is not None:
            for sink in event.rule.sinks:
                dispatcher.submit(Delivery(event.alert, sink, config.sink(sink), event.event))
        if event.event == "opened" and on_open is not None:
            on_open(event)
    return events


def _message(rule: Rule, breaching: dict[str, float]) -> str:
    windows = f" for {rule.for_windows} windows" if rule.for_windows > 1 else ""
    if list(breaching) == ["*"]:
        return f"{rule.metric} {breaching['*']:.4g} {rule.condition}{windows}"
    shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(breaching.items(), key=lambda i: -i[1]))
    return f"{rule.metric} {rule.condition}{windows} on {len(breaching)} feature(s): {shown}"


def _details(
    rule: Rule, breaching: dict[str, float], result: MonitorResultRecord
) -> dict[str, Any]:
    return {
        "metric": rule.metric, "condition": rule.condition, "for": rule.for_windows,
        "values": breaching, "features": sorted(k for k in breaching if k != "*"),
        "window": [result.window_start.isoformat(), result.window_end.isoformat()],
        "result_id": result.id, "reference": result.reference,
    }  # fmt: skip
