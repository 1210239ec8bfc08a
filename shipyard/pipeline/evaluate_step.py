"""The ``evaluate`` step: the candidate (and the versions behind the aliases its
no_regression gates name) on the eval part, the gates' verdicts, the report, and the
candidate's predictions (what reproduce compares). See :mod:`shipyard.pipeline.state` for
what ``key``, ``compute`` and ``verify`` mean."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import NotFoundError
from shipyard.core.hashing import sha256_bytes
from shipyard.pipeline.cache import blobs_exist
from shipyard.pipeline.state import State, load_packaged_model
from shipyard.tracking.liveness import staging_dir

if TYPE_CHECKING:
    from shipyard.models.loaded import LoadedModel
    from shipyard.tracking.run import ActiveRun


def baseline_versions(state: State) -> dict[str, dict[str, Any]]:
    """The versions behind the aliases the no_regression gates compare with (an alias that
    does not exist yet, or already points at the candidate's package, is left out: its gate
    passes with the note "no baseline")."""
    name = state.config.model.name
    aliases = {g.against for g in state.config.evaluation.gates if g.kind == "no_regression"}
    found: dict[str, dict[str, Any]] = {}
    for alias in sorted(aliases):
        try:
            version = state.workspace.models.resolve_alias(name, alias)
        except NotFoundError:
            continue
        if version.package_hash == state.package.get("package_hash"):
            continue  # the candidate is already behind the alias: nothing to compare with
        found[alias] = {"version": version.version, "package_hash": version.package_hash}
    return found


def baseline_key(state: State) -> dict[str, str]:
    """What the comparison depends on: each baseline's package (not its version number, which
    changes when the same package is registered again)."""
    return {alias: found["package_hash"] for alias, found in baseline_versions(state).items()}


def evaluate_key(state: State) -> dict[str, Any]:
    return {
        "package": state.package["package_hash"],
        "eval": state.datasets["eval"]["content_hash"],
        "spec": state.config.evaluation.model_dump(mode="json"),
        "baselines": baseline_key(state),
        **({"train": state.datasets["train"]["content_hash"]} if _fits_baselines(state) else {}),
    }


def _fits_baselines(state: State) -> bool:
    """Whether a ``baseline`` gate fits a simple model on the train data."""
    return any(gate.kind == "baseline" for gate in state.config.evaluation.gates)


def evaluate_compute(state: State, run: ActiveRun) -> dict[str, Any]:
    from shipyard.evaluation.evaluate import evaluate
    from shipyard.evaluation.report import write_report
    from shipyard.evaluation.result import Baseline
    from shipyard.registry import load_model

    ws, config = state.workspace, state.config
    loaded = state.model
    if loaded is None:
        loaded = state.model = load_packaged_model(state, state.package["package_hash"])
    model = remembering(loaded)
    frame = state.frame("eval", context="eval")
    baselines = {
        alias: Baseline(
            load_model(
                f"{config.model.name}/{found['version']}",
                trusted=config.model.trusted,
                warm=False,
                workspace=ws,
            ),
            version=str(found["version"]),
        )
        for alias, found in baseline_versions(state).items()
    }
    train = state.frame("train", context="train") if _fits_baselines(state) else None
    result = evaluate(model, frame, config.evaluation, baselines=baselines, train=train)
    run.log_metrics(
        {k: float(v) for k, v in result.metrics.items() if v is not None and _finite(v)}
    )
    report_hashes: dict[str, str] = {}
    with staging_dir(run.id, "report") as temporary:
        written = write_report(result, Path(temporary))
        for fmt, path in written.items():
            report_hashes[fmt] = run.log_artifact(path, f"report/{path.name}").hash
        predictions = Path(temporary) / "predictions.parquet"
        write_predictions(model, frame, config.evaluation.label, predictions)
        predictions_hash = run.log_artifact(predictions, "predictions.parquet").hash
    run.set_tag("shipyard.gates_passed", str(result.passed).lower())
    return {
        "result": result.to_dict(), "report_hashes": report_hashes,
        "report_names": {fmt: path.name for fmt, path in written.items()},
        "predictions_hash": predictions_hash, "producer_run_id": run.id,
    }  # fmt: skip


def write_predictions(model: Any, frame: Any, label: str, target: Path) -> None:
    """The model's labels (and scores) on the evaluation rows, as Parquet: what reproduce
    compares. The model is asked as the evaluation asks it (same columns, same conversion)."""
    import pandas as pd

    from shipyard.evaluation.subject import Subject

    subject = Subject(model, label=label)
    features = subject.features(frame)
    columns: dict[str, Any] = {"prediction": pd.Series(list(subject.predict(features))).astype(str)}
    scores = subject.proba(features)
    if scores is not None:
        for index in range(scores.shape[1]):
            columns[f"score_{index}"] = scores[:, index]
    pd.DataFrame(columns).to_parquet(target, index=False)


def remembering(loaded: LoadedModel) -> LoadedModel:
    """``loaded`` (the package as serving loads it) predicting through the same flavor, with
    its estimator's answers remembered (see :class:`RememberedPredictions`)."""
    from shipyard.models.loaded import LoadedModel

    return LoadedModel(RememberedPredictions(loaded.raw), flavor=loaded.flavor,
                       manifest=loaded.manifest, signature=loaded.signature,
                       directory=loaded.directory)  # fmt: skip


class RememberedPredictions:
    """A fitted estimator that keeps its ``predict`` and ``predict_proba`` answers per input
    frame or array, so the evaluation and the stored predictions score the eval rows once
    each, as a plain script would (an input is recognised by its content hash; anything else
    is passed through). Every other attribute is the estimator's."""

    KEEP = 4

    def __init__(self, model: Any) -> None:
        from shipyard.evaluation.subject import predicts_concurrently

        self.model = self.__wrapped__ = model  # the model itself, for SHAP's explainers
        self.predicts_concurrently = predicts_concurrently(model)
        self._answers: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.model, name)
        if name == "predict_proba" and callable(found):
            return lambda features: self._answer("predict_proba", features)
        return found

    def predict(self, features: Any) -> Any:
        return self._answer("predict", features)

    def _answer(self, method: str, features: Any) -> Any:
        import numpy as np
        import pandas as pd

        call = getattr(self.model, method)
        if isinstance(features, pd.DataFrame):
            hashed = pd.util.hash_pandas_object(features, index=True).to_numpy().tobytes()
            content = hashed + repr(list(features.columns)).encode()
        elif isinstance(features, np.ndarray) and features.dtype != object:
            content = features.tobytes() + repr((features.shape, features.dtype.str)).encode()
        else:
            return call(features)
        key = (method, sha256_bytes(content))
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        answer = call(features)  # unlocked: predict and predict_proba may run side by side
        with self._lock:
            if len(self._answers) >= self.KEEP:
                del self._answers[next(iter(self._answers))]
            self._answers[key] = answer
        return answer


def evaluate_verify(state: State, outputs: dict[str, Any]) -> bool:
    hashes = [*outputs.get("report_hashes", {}).values(), outputs.get("predictions_hash")]
    return blobs_exist(state.workspace, *hashes)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and value == value and abs(value) != float("inf")
