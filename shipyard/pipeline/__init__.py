"""Training pipelines driven by ``shipyard.yaml``: load, version, validate, train, evaluate,
gate, register and promote, each step a tracked run, unchanged steps taken from cache; and
``reproduce`` to re-run a recorded pipeline run and say whether it comes out the same."""

from __future__ import annotations

from shipyard.pipeline.config import PipelineConfig, load_pipeline_config
from shipyard.pipeline.reproduce import ReproduceResult, reproduce
from shipyard.pipeline.result import PipelineResult, StepEvent, StepResult
from shipyard.pipeline.runner import retrain, run_pipeline

__all__ = [
    "PipelineConfig",
    "PipelineResult",
    "ReproduceResult",
    "StepEvent",
    "StepResult",
    "load_pipeline_config",
    "reproduce",
    "retrain",
    "run_pipeline",
]
