"""Tracking: runs, with their params, metrics, tags, artifacts, models, datasets and captured
context."""

from shipyard.tracking.datasets import load_dataset, log_dataset, validate_dataset
from shipyard.tracking.fluent import (
    active_run,
    log_artifact,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    seed_everything,
    set_tag,
    set_tags,
    start_run,
)
from shipyard.tracking.run import ActiveRun

__all__ = [
    "ActiveRun",
    "active_run",
    "load_dataset",
    "log_artifact",
    "log_dataset",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "seed_everything",
    "set_tag",
    "set_tags",
    "start_run",
    "validate_dataset",
]
