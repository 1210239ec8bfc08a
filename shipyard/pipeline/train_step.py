"""The ``train`` step: call the training entrypoint on the train (and eval) parts, seeded,
and package the fitted model as the run's model artifact. See :mod:`shipyard.pipeline.state`
for what ``key``, ``compute`` and ``verify`` mean."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import PipelineStepError
from shipyard.pipeline.cache import blobs_exist
from shipyard.pipeline.entrypoint import call_training, entrypoint_function
from shipyard.pipeline.state import State, load_packaged_model
from shipyard.tracking.liveness import staging_dir
from shipyard.tracking.seed import seed_generators

if TYPE_CHECKING:
    from shipyard.tracking.run import ActiveRun


def train_key(state: State) -> dict[str, Any]:
    config = state.config
    return {
        "code": state.code_hash, "entrypoint": config.train.entrypoint,
        "params": config.train.params, "seed": config.train.seed,
        "tuned": state.tuned.get("best_params"),
        "label": config.evaluation.label, "trusted": config.model.trusted,
        "example_rows": config.model.example_rows,
        "data": {role: state.datasets[role]["content_hash"] for role in ("train", "eval")},
    }  # fmt: skip


def train_compute(state: State, run: ActiveRun) -> dict[str, Any]:
    from shipyard.tracking.fluent import seed_everything

    config = state.config
    train = state.frame("train", context="train")
    evaluation = state.frame("eval", context="eval")
    params = {**config.train.params, **state.tuned.get("best_params", {})}
    if params:
        run.log_params({str(k): v for k, v in params.items()})
    if state.tuned:
        run.set_tags({"shipyard.tuning.study": state.tuned["study_run_id"],
                      "shipyard.tuning.study_name": state.tuned["study"]})  # fmt: skip
    seed_everything(config.train.seed, import_frameworks=False)  # again once train.py is in
    started = time.perf_counter()
    model = fit_model(state, train, evaluation, run_id=run.id, params=params)
    seconds = time.perf_counter() - started
    run.log_metric("train_seconds", seconds)
    example = train.drop(columns=[config.evaluation.label], errors="ignore")
    return {**package_model(state, model, example, run), "train_seconds": seconds}


def fit_model(
    state: State,
    train: Any,
    evaluation: Any,
    *,
    run_id: str | None,
    params: dict[str, Any] | None = None,
    trial: Any = None,
) -> Any:
    """Import the entrypoint fresh and call it; an exception it raises becomes a
    PipelineStepError naming the step and the run that keeps the traceback.

    ``params`` (a tuning trial's, or the best a study found) replace those of the same name
    in ``train.params``; ``trial`` is what a tuning trial hands the function (None otherwise).
    """
    config = state.config
    available = {"train": train, "eval": evaluation,
                 "params": {**config.train.params, **(params or {})},
                 "label": config.evaluation.label, "seed": config.train.seed,
                 "trial": trial}  # fmt: skip
    with entrypoint_function(config.train.entrypoint, config.base_dir) as function:
        # seeded here, after the training module's imports: a framework it imports is seeded
        # too, and one it does not use is never imported just to be seeded
        seed_generators(config.train.seed, import_frameworks=False)
        try:
            model = call_training(function, available)
        except Exception as exc:
            raise PipelineStepError(
                f"The training function {config.train.entrypoint} raised "
                f"{type(exc).__name__}: {exc}",
                step="train",
                run_id=run_id,
            ) from exc
    if model is None or not callable(getattr(model, "predict", None)):
        raise PipelineStepError(
            f"The training function {config.train.entrypoint} returned "
            f"{type(model).__name__}, not a fitted model with a predict method.",
            step="train",
            run_id=run_id,
            hint="Return the fitted estimator (a scikit-learn Pipeline, say).",
        )
    return model


def package_model(state: State, model: Any, example: Any, run: ActiveRun) -> dict[str, Any]:
    """Package ``model``, keep the package as the run's model artifact (registered later,
    once the gates have spoken), and load it back from the local cache as ``state.model``:
    the evaluation judges the package that will be served, not the object in memory."""
    from shipyard.models.package import save_package
    from shipyard.models.storage import cache_package, store_package

    ws, config = state.workspace, state.config
    cache = ws.cache_dir / "packages"
    cache.mkdir(parents=True, exist_ok=True)
    with staging_dir(run.id, "package", parent=cache) as temporary:
        directory = Path(temporary) / "package"
        manifest = save_package(
            model, directory, input_example=example.head(config.model.example_rows),
            trusted=config.model.trusted, source_run_id=run.id,
        )  # fmt: skip
        package_hash = store_package(directory, ws.artifacts)
        size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
        cache_package(directory, package_hash, cache)
    ws.runs.add_artifact(
        run.id, name=f"models/{config.model.name}", hash=package_hash,
        uri=ws.artifacts.uri(package_hash), size=size, kind="model",
    )  # fmt: skip
    state.model = load_packaged_model(state, package_hash)
    return {"package_hash": package_hash, "flavor": manifest.flavor,
            "signature": manifest.signature, "producer_run_id": run.id}  # fmt: skip


def train_verify(state: State, outputs: dict[str, Any]) -> bool:
    return blobs_exist(state.workspace, outputs.get("package_hash"))
