"""Training pipelines driven by ``shipyard.yaml``: load, version, validate, train, evaluate,
gate, register and promote, each step a tracked run, unchanged steps taken from cache; and
``reproduce`` to re-run a recorded pipeline run and say whether it comes out the same."""

import typing as _typing

from shipyard.core.lazy import attach as _attach

if _typing.TYPE_CHECKING:
    from shipyard.pipeline.config import (
        PipelineConfig as PipelineConfig,
        load_pipeline_config as load_pipeline_config,
    )
    from shipyard.pipeline.reproduce import (
        ReproduceResult as ReproduceResult,
        reproduce as reproduce,
    )
    from shipyard.pipeline.result import (
        PipelineResult as PipelineResult,
        StepEvent as StepEvent,
        StepResult as StepResult,
    )
    from shipyard.pipeline.runner import (
        retrain as retrain,
        run_pipeline as run_pipeline,
    )

_EXPORTS = {
    "PipelineConfig": "shipyard.pipeline.config",
    "PipelineResult": "shipyard.pipeline.result",
    "ReproduceResult": "shipyard.pipeline.reproduce",
    "StepEvent": "shipyard.pipeline.result",
    "StepResult": "shipyard.pipeline.result",
    "load_pipeline_config": "shipyard.pipeline.config",
    "reproduce": "shipyard.pipeline.reproduce",
    "retrain": "shipyard.pipeline.runner",
    "run_pipeline": "shipyard.pipeline.runner",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _attach(__name__, _EXPORTS)
