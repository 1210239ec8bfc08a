"""``run_pipeline``: load -> version -> validate -> train -> evaluate -> gate -> register ->
promote, each step a tracked child run of one pipeline run, each taken from cache when what it
depends on has not changed.

The pipeline run records the resolved configuration (``pipeline/shipyard.yaml``), the seed,
the git state and environment as every run does, and its verdict as tags. A failing gate is
not an exception: the version is registered as rejected and the verdict says so. A step that
fails (a training function that raises, data that fails its expectations) fails its run and
the pipeline run, and raises.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import PipelineStepError, ShipyardError
from shipyard.pipeline.cache import (
    CACHE_KEY_TAG,
    CACHED_FROM_TAG,
    PIPELINE_KIND,
    STEP_KIND,
    STEP_TAG,
    cache_key,
    find_cached,
    module_source_hash,
    store_outputs,
)
from shipyard.pipeline.config import PipelineConfig, load_pipeline_config
from shipyard.pipeline.result import (
    STEPS,
    PipelineResult,
    Progress,
    StepEvent,
    StepResult,
    Verdict,
)
from shipyard.pipeline.state import State
from shipyard.tracking.fluent import start_run
from shipyard.tracking.run import ActiveRun

PIPELINE_TAG = "shipyard.pipeline_run"
CONFIG_ARTIFACT = "pipeline/shipyard.yaml"
Compute = Callable[[State, ActiveRun], dict[str, Any]]
Verify = Callable[[State, dict[str, Any]], bool]


def run_pipeline(
    config: str | Path | PipelineConfig | None = None,
    *,
    overrides: Sequence[str] = (),
    no_cache: bool = False,
    workspace: Workspace | None = None,
    tags: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> PipelineResult:
    """Run the pipeline ``config`` describes (default: ``shipyard.yaml`` here).

    ``overrides`` are ``key.path=value`` strings (``train.params.max_depth=5``); ``no_cache``
    computes every step again; ``progress`` is called as each step starts and ends.
    """
    loaded = load_pipeline_config(config, overrides=overrides)
    ws = workspace or workspace_for()
    return PipelineRun(loaded, ws, no_cache=no_cache, progress=progress).run(dict(tags or {}))


def retrain(
    config: str | Path | PipelineConfig | None = None,
    *,
    reason: str,
    tags: Mapping[str, str] | None = None,
    workspace: Workspace | None = None,
) -> PipelineResult:
    """Run the pipeline again on the newest data its sources hold (what monitoring's retrain
    trigger calls); the candidate goes through the same gates and policies as any other.
    The run is tagged ``shipyard.trigger=retrain`` with the ``reason``."""
    labels = {**dict(tags or {}), "shipyard.trigger": "retrain", "shipyard.reason": reason}
    return run_pipeline(config, workspace=workspace, tags=labels)


class PipelineRun:
    """One run of the pipeline (see the module docstring)."""

    def __init__(
        self,
        config: PipelineConfig,
        workspace: Workspace,
        *,
        no_cache: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.config = config
        self.workspace = workspace
        self.no_cache = no_cache
        self.progress = progress
        self.state = State(config, workspace)
        self.steps: list[StepResult] = []
        self._run: ActiveRun | None = None

    def run(self, tags: dict[str, str]) -> PipelineResult:
        from shipyard.pipeline import data_steps, evaluate_step, registry_steps, train_step

        started = time.perf_counter()
        config, state = self.config, self.state
        labels = {"shipyard.model_name": config.model.name, **tags}
        if config.path is not None:
            labels["shipyard.config"] = str(config.path)
        with start_run(f"{config.model.name} pipeline", kind=PIPELINE_KIND,
                       workspace=self.workspace, tags=labels) as run:  # fmt: skip
            self._run = run
            run.record_seed(config.train.seed)
            self._step("load", self._load)
            state.datasets = self._step(
                "version", data_steps.version_compute, key=data_steps.version_key(state),
                verify=data_steps.version_verify,
            )["datasets"]  # fmt: skip
            config.check_columns(state.datasets["eval"]["columns"])
            self._step("validate", data_steps.validate_compute, key=data_steps.validate_key(state))
            if config.tune is not None:
                state.tuned = self._step("tune", self._tune)
            state.package = self._step(
                "train",
                train_step.train_compute,
                key=train_step.train_key(state),
                verify=train_step.train_verify,
            )
            state.evaluation_outputs = self._step(
                "evaluate", evaluate_step.evaluate_compute, key=evaluate_step.evaluate_key(state),
                verify=evaluate_step.evaluate_verify,
            )  # fmt: skip
            state.evaluation = _evaluation_result(state.evaluation_outputs["result"])
            state.evaluation_run_id = state.evaluation_outputs["producer_run_id"]
            reports = self._download_reports(run.id)
            self._step("gate", self._gate)
            registered = self._step(
                "register", registry_steps.register_compute, key=registry_steps.register_key(state),
                verify=registry_steps.register_verify,
            )  # fmt: skip
            state.version, state.status = registered["version"], registered["status"]
            promotion = self._step(
                "promote", lambda s, r: registry_steps.promote_compute(s, r, run.id)
            )
            verdict: Verdict = (
                "rejected" if not state.evaluation.passed
                else "promoted" if promotion["promoted"] else "registered"
            )  # fmt: skip
            run.set_tags({"shipyard.verdict": verdict,
                          "shipyard.model": f"{config.model.name}/{state.version}"})  # fmt: skip
        return PipelineResult(
            run_id=run.id, verdict=verdict, model_name=config.model.name,
            model_version=state.version, evaluation=state.evaluation, reports=reports,
            steps=self.steps, promoted=promotion["promoted"], refused=promotion["refused"],
            datasets={role: entry["ref"] for role, entry in state.datasets.items()},
            seconds=time.perf_counter() - started,
        )  # fmt: skip

    # -- the steps the runner does itself -----------------------------------------------------

    def _load(self, state: State, run: ActiveRun) -> dict[str, Any]:
        """Record the resolved configuration on the pipeline run and hash the training code."""
        config, ws = self.config, self.workspace
        assert self._run is not None
        blob = ws.artifacts.put_bytes(config.to_yaml().encode())
        for run_id in (self._run.id, run.id):
            ws.runs.add_artifact(run_id, name=CONFIG_ARTIFACT, hash=blob.hash, uri=blob.uri,
                                 size=blob.size)  # fmt: skip
        state.code_hash, module = module_source_hash(config.train.entrypoint, config.base_dir)
        run.set_tags({"shipyard.code_hash": state.code_hash, "shipyard.entrypoint_file":
                      str(module)})  # fmt: skip
        return {"config_hash": blob.hash, "code_hash": state.code_hash}

    def _tune(self, state: State, run: ActiveRun) -> dict[str, Any]:
        """Run (or resume) the study; the best params feed ``train``."""
        from shipyard.pipeline.tuning import run_study

        found = run_study(self.config, state, parent=run)
        if not found.best_params:
            raise PipelineStepError(
                f"Study {found.study} has no complete trial, so there are no params to train "
                "with.", step="tune", run_id=run.id,
                hint="See the failed trials' runs (shipyard runs list) for why.",
            )  # fmt: skip
        run.set_tag("shipyard.tuning.study", found.study_run_id)
        return {"study": found.study, "study_run_id": found.study_run_id,
                "best_params": found.best_params, "best_value": found.best_value}  # fmt: skip

    def _gate(self, state: State, run: ActiveRun) -> dict[str, Any]:
        result = state.evaluation
        failed = [g.to_dict() for g in result.failed_gates]
        run.set_tags(
            {
                "shipyard.gates_passed": str(result.passed).lower(),
                "shipyard.failed_gates": ", ".join(g["name"] for g in failed) or "-",
            }
        )
        run.log_metrics({"gates_passed": float(len(result.gates) - len(failed)),
                         "gates_failed": float(len(failed))})  # fmt: skip
        return {"passed": result.passed, "failed": failed}

    def _download_reports(self, run_id: str) -> dict[str, Path]:
        """Local copies of the evaluation report, under the workspace home."""
        outputs, ws = self.state.evaluation_outputs, self.workspace
        folder = ws.settings.home / "reports" / run_id
        return {
            fmt: ws.artifacts.download(digest, folder / outputs["report_names"][fmt])
            for fmt, digest in outputs["report_hashes"].items()
        }

    # -- running one step ---------------------------------------------------------------------

    def _step(
        self,
        name: str,
        compute: Compute,
        *,
        key: Mapping[str, Any] | None = None,
        verify: Verify | None = None,
    ) -> dict[str, Any]:
        self._emit(name, "started")
        started = time.perf_counter()
        key_hash = cache_key(name, key) if key is not None else None
        if key_hash is not None and not self.no_cache:
            hit = find_cached(self.workspace, name, key_hash)
            if hit is not None and (verify is None or verify(self.state, hit.outputs)):
                cached_id = self._record_cached(name, key_hash, hit)
                seconds = time.perf_counter() - started
                self.steps.append(StepResult(name, cached_id, "cached", seconds, hit.run_id))
                self._emit(name, "cached", seconds, f"from run {hit.run_id}")
                return hit.outputs
        assert self._run is not None
        run_id: str | None = None
        try:
            with start_run(
                name,
                kind=STEP_KIND,
                parent=self._run,
                workspace=self.workspace,
                tags={STEP_TAG: name, PIPELINE_TAG: self._run.id},
            ) as step_run:
                run_id = step_run.id
                outputs = {**compute(self.state, step_run), "step": name}
                store_outputs(self.workspace, step_run.id, outputs)
                if key_hash is not None:
                    step_run.set_tag(CACHE_KEY_TAG, key_hash)
        except ShipyardError as error:
            self._emit(name, "failed", time.perf_counter() - started, error.message)
            raise
        except Exception as exc:
            self._emit(name, "failed", time.perf_counter() - started, str(exc))
            raise PipelineStepError(
                f"Step {name!r} failed: {type(exc).__name__}: {exc}", step=name, run_id=run_id
            ) from exc
        seconds = time.perf_counter() - started
        self.steps.append(StepResult(name, run_id, "finished", seconds))
        self._emit(name, "finished", seconds)
        return outputs

    def _record_cached(self, name: str, key_hash: str, hit: Any) -> str:
        """A finished step run standing for the cached one: same outputs, same inputs."""
        ws = self.workspace
        assert self._run is not None
        run_id = ws.runs.create_finished(
            project=self._run.project, name=name, kind=STEP_KIND, parent_run_id=self._run.id,
            tags={STEP_TAG: name, PIPELINE_TAG: self._run.id, CACHE_KEY_TAG: key_hash,
                  CACHED_FROM_TAG: hit.run_id},
            artifacts=[hit.artifact],
        )  # fmt: skip
        contexts = {"train": ("train", "eval"), "evaluate": ("eval",)}.get(name, ())
        for role in contexts:
            ws.datasets.record_usage(run_id, self.state.datasets[role]["id"], "input", role)
        return run_id

    def _emit(
        self, step: str, status: Any, seconds: float | None = None, detail: str | None = None
    ) -> None:
        if self.progress is not None:
            steps = list(STEPS)
            if self.config.tune is not None:
                steps.insert(steps.index("train"), "tune")
            index = steps.index(step) + 1
            self.progress(StepEvent(step, index, len(steps), status, seconds, detail))


def _evaluation_result(data: Mapping[str, Any]) -> Any:
    from shipyard.evaluation.result import EvaluationResult

    return EvaluationResult.from_dict(data)
