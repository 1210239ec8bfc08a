"""Monitoring: drift, data quality, live performance and service health over a deployment's
prediction log, alert rules with sinks, and the retraining trigger (DESIGN.md section 7).

    from shipyard.monitoring import monitor_run
    result = monitor_run("churn-online", window="1h")
    result.summary["drifted"]
"""

from shipyard.monitoring.alerts import AlertEvent, evaluate_rules, fingerprint
from shipyard.monitoring.config import (
    KNOWN_METRICS,
    MonitoringConfig,
    Rule,
    SinkSpec,
    load_config,
    parse_config,
)
from shipyard.monitoring.job import compute_window, monitor_run, monitor_watch
from shipyard.monitoring.reference import Reference, resolve_reference
from shipyard.monitoring.retrain import trigger_retrain
from shipyard.monitoring.sinks import Dispatcher
from shipyard.monitoring.window import Window, parse_duration, resolve_window

__all__ = [
    "KNOWN_METRICS",
    "AlertEvent",
    "Dispatcher",
    "MonitoringConfig",
    "Reference",
    "Rule",
    "SinkSpec",
    "Window",
    "compute_window",
    "evaluate_rules",
    "fingerprint",
    "load_config",
    "monitor_run",
    "monitor_watch",
    "parse_config",
    "parse_duration",
    "resolve_reference",
    "resolve_window",
    "trigger_retrain",
]
