"""Tracking: runs, with their params, metrics, tags, artifacts, models, datasets and captured
context."""

import typing as _typing

from shipyard.core.lazy import attach as _attach

if _typing.TYPE_CHECKING:
    from shipyard.tracking.datasets import (
        load_dataset as load_dataset,
        log_dataset as log_dataset,
        validate_dataset as validate_dataset,
    )
    from shipyard.tracking.fluent import (
        active_run as active_run,
        log_artifact as log_artifact,
        log_metric as log_metric,
        log_metrics as log_metrics,
        log_model as log_model,
        log_param as log_param,
        log_params as log_params,
        seed_everything as seed_everything,
        set_tag as set_tag,
        set_tags as set_tags,
        start_run as start_run,
    )
    from shipyard.tracking.liveness import (
        reap_runs as reap_runs,
    )
    from shipyard.tracking.run import (
        ActiveRun as ActiveRun,
    )

_EXPORTS = {
    "ActiveRun": "shipyard.tracking.run",
    "active_run": "shipyard.tracking.fluent",
    "load_dataset": "shipyard.tracking.datasets",
    "log_artifact": "shipyard.tracking.fluent",
    "log_dataset": "shipyard.tracking.datasets",
    "log_metric": "shipyard.tracking.fluent",
    "log_metrics": "shipyard.tracking.fluent",
    "log_model": "shipyard.tracking.fluent",
    "log_param": "shipyard.tracking.fluent",
    "log_params": "shipyard.tracking.fluent",
    "reap_runs": "shipyard.tracking.liveness",
    "seed_everything": "shipyard.tracking.fluent",
    "set_tag": "shipyard.tracking.fluent",
    "set_tags": "shipyard.tracking.fluent",
    "start_run": "shipyard.tracking.fluent",
    "validate_dataset": "shipyard.tracking.datasets",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _attach(__name__, _EXPORTS)
