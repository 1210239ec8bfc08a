"""``reproduce(run_id)``: train a recorded pipeline run again from what it recorded, and say
whether the result is identical, within tolerance, or diverged, and why.

What is reused: the code at the recorded commit (a temporary ``git worktree``, with the stored
diff applied when the tree was dirty), the dataset versions by content hash (the stored
versions, not the current sources), the resolved configuration and the seed. The new model's
predictions on the evaluation rows and its metrics are compared with the recorded ones.

The cause of a divergence is named from what differed: ``code`` (another commit, or a dirty
tree whose diff was not stored), ``data`` (another content hash), ``environment`` (another
package lock), else ``nondeterminism`` (everything the same, the results not).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shipyard._store.records import RunRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import NotFoundError, UsageError
from shipyard.core.hashing import sha256_bytes
from shipyard.pipeline.cache import PIPELINE_KIND, module_source_hash, step_outputs
from shipyard.pipeline.config import PipelineConfig, parse_pipeline_config
from shipyard.pipeline.evaluate_step import write_predictions
from shipyard.pipeline.runner import CONFIG_ARTIFACT
from shipyard.pipeline.state import State
from shipyard.pipeline.train_step import fit_model
from shipyard.pipeline.worktree import checkout

Outcome = Literal["identical", "within_tolerance", "diverged"]
DataChoice = Literal["recorded", "current"]
CodeChoice = Literal["recorded", "current"]


@dataclass
class ReproduceResult:
    """How a reproduction compares with the run it reproduces."""

    run_id: str
    reproduction_run_id: str
    outcome: Outcome
    causes: list[str]
    metrics: dict[str, tuple[float | None, float | None]]
    max_metric_difference: float
    max_score_difference: float | None
    changed_predictions: int
    tolerance: float
    code: dict[str, Any] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        outcome = self.outcome.replace("_", " ")
        if self.outcome == "identical":
            return f"run {self.run_id}: identical (same predictions, same metrics)"
        return (
            f"run {self.run_id}: {outcome} ({self.changed_predictions} predictions changed, "
            f"metrics differ by up to {self.max_metric_difference:.3g}); cause: "
            + "; ".join(self.causes)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "reproduction_run_id": self.reproduction_run_id,
            "outcome": self.outcome, "summary": self.summary(), "causes": self.causes,
            "metrics": {k: list(v) for k, v in self.metrics.items()},
            "max_metric_difference": self.max_metric_difference,
            "max_score_difference": self.max_score_difference,
            "changed_predictions": self.changed_predictions, "tolerance": self.tolerance,
            "code": self.code, "data": self.data, "environment": self.environment,
            "notes": self.notes,
        }  # fmt: skip


def reproduce(
    run_id: str,
    *,
    tolerance: float = 1e-6,
    data: DataChoice = "recorded",
    code: CodeChoice = "recorded",
    workspace: Workspace | None = None,
) -> ReproduceResult:
    """Re-run pipeline run ``run_id`` and compare (see the module docstring).

    ``data="current"`` reads the sources as they are now instead of the stored versions, and
    ``code="current"`` uses the working tree instead of the recorded commit: ways to ask
    whether today's data or code still give the same model.
    """
    ws = workspace or workspace_for()
    original = ws.runs.get(run_id)
    if original.kind != PIPELINE_KIND:
        raise UsageError(
            f"Run {run_id} is a {original.kind} run, not a pipeline run.",
            hint="Reproduce the pipeline run `shipyard run` printed (its steps are its children).",
        )
    outputs = _recorded_steps(ws, original)
    config_text = _config_text(ws, original)
    recorded_dir = Path(original.tags.get("shipyard.config", Path.cwd() / "shipyard.yaml")).parent
    diff = ws.artifacts.get_bytes(original.git_diff_hash) if original.git_diff_hash else None
    commit = original.git_commit if code == "recorded" else None
    with checkout(recorded_dir, commit, dirty=bool(original.git_dirty), diff=diff) as tree:
        config = parse_pipeline_config(config_text, name="shipyard.yaml", base_dir=tree.project_dir)
        code_facts = _code_facts(config, tree, original, outputs, code)
        return _rerun(ws, original, config, outputs, code_facts, tolerance, data)


def _rerun(
    ws: Workspace,
    original: RunRecord,
    config: PipelineConfig,
    outputs: dict[str, dict[str, Any]],
    code_facts: dict[str, Any],
    tolerance: float,
    data: DataChoice,
) -> ReproduceResult:
    from shipyard.evaluation.evaluate import evaluate
    from shipyard.tracking.fluent import seed_everything, start_run

    state = State(config, ws)
    state.datasets = dict(outputs["version"]["datasets"])
    recorded_result = outputs["evaluate"]["result"]
    with start_run(f"reproduce {original.id}", kind="reproduce", workspace=ws,
                   tags={"shipyard.reproduces": original.id}) as run:  # fmt: skip
        frames, data_facts = _frames(state, data)
        seed_everything(config.train.seed, import_frameworks=False)  # fit_model seeds again
        model = fit_model(state, frames["train"], frames["eval"], run_id=run.id)
        result = evaluate(model, frames["eval"], config.evaluation, train=frames["train"])
        with tempfile.TemporaryDirectory(prefix="shipyard-reproduce-") as temporary:
            new_path, old_path = Path(temporary) / "new.parquet", Path(temporary) / "old.parquet"
            write_predictions(model, frames["eval"], config.evaluation.label, new_path)
            ws.artifacts.download(outputs["evaluate"]["predictions_hash"], old_path)
            changed, score_difference = _compare_predictions(old_path, new_path)
        metrics = {
            key: (_number(recorded_result["metrics"].get(key)), _number(value))
            for key, value in result.metrics.items()
        }
        metric_difference = max(
            (abs(a - b) for a, b in metrics.values() if a is not None and b is not None),
            default=0.0,
        )
        environment = _environment(original)
        if changed == 0 and metric_difference == 0 and not score_difference:
            outcome: Outcome = "identical"
        elif (
            changed == 0
            and metric_difference <= tolerance
            and (score_difference or 0) <= (tolerance)
        ):
            outcome = "within_tolerance"
        else:
            outcome = "diverged"
        causes = [] if outcome == "identical" else _causes(code_facts, data_facts, environment)
        run.log_metrics({"changed_predictions": float(changed),
                         "max_metric_difference": metric_difference})  # fmt: skip
        run.set_tags({"shipyard.reproduce_outcome": outcome,
                      "shipyard.reproduce_causes": "; ".join(causes) or "-"})  # fmt: skip
    notes = [] if environment["same"] is not False else [
        "the installed packages differ from the recorded ones"]  # fmt: skip
    return ReproduceResult(
        run_id=original.id, reproduction_run_id=run.id, outcome=outcome, causes=causes,
        metrics=metrics, max_metric_difference=metric_difference,
        max_score_difference=score_difference, changed_predictions=changed,
        tolerance=tolerance, code=code_facts, data=data_facts, environment=environment,
        notes=notes,
    )  # fmt: skip


def _recorded_steps(ws: Workspace, original: RunRecord) -> dict[str, dict[str, Any]]:
    """The outputs of the original run's steps, by step name."""
    found: dict[str, dict[str, Any]] = {}
    for child in ws.runs.list(parent_run_id=original.id, limit=100):
        stored = step_outputs(ws, child.id)
        if stored is not None:
            found.setdefault(str(stored[0].get("step", child.name)), stored[0])
    missing = [step for step in ("load", "version", "train", "evaluate") if step not in found]
    if missing:
        raise NotFoundError(
            f"Run {original.id} has no recorded {', '.join(missing)} step; it cannot be "
            "reproduced.",
            hint="Reproduce a pipeline run that finished its evaluation.",
        )
    return found


def _config_text(ws: Workspace, original: RunRecord) -> str:
    for artifact in ws.runs.artifacts(original.id):
        if artifact.name == CONFIG_ARTIFACT:
            return ws.artifacts.get_bytes(artifact.hash, name=artifact.name).decode()
    raise NotFoundError(f"Run {original.id} recorded no configuration ({CONFIG_ARTIFACT}).")


def _code_facts(
    config: PipelineConfig,
    tree: Any,
    original: RunRecord,
    outputs: dict[str, dict[str, Any]],
    code: CodeChoice,
) -> dict[str, Any]:
    from shipyard.pipeline.worktree import current_commit

    recorded_hash = outputs["load"].get("code_hash")
    used_hash = module_source_hash(config.train.entrypoint, config.base_dir)[0]
    used_commit = tree.commit or current_commit(config.base_dir)
    problems = list(tree.problems)
    if code == "current":
        problems.append("the current code was used, as asked")
    if used_hash != recorded_hash:
        problems.append(f"the entrypoint's source differs (hash {str(recorded_hash)[:12]} -> "
                        f"{used_hash[:12]})")  # fmt: skip
    same = used_hash == recorded_hash
    if original.git_commit and used_commit != original.git_commit:
        same = False
        problems.append(f"commit {original.git_commit[:12]} -> {str(used_commit)[:12]}")
    if original.git_dirty and not tree.diff_applied:
        same = False  # uncommitted changes that could not be restored
    return {
        "recorded_commit": original.git_commit, "used_commit": used_commit,
        "dirty": original.git_dirty, "worktree": tree.worktree,
        "diff_applied": tree.diff_applied, "same": same, "problems": problems,
    }  # fmt: skip


def _frames(state: State, data: DataChoice) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The training and evaluation frames: the stored versions (or, when asked or when a
    stored version is gone, the current sources), and how their hashes compare."""
    from shipyard.core.errors import ArtifactError
    from shipyard.data.content_hash import content_hash

    frames: dict[str, Any] = {}
    facts: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for role in ("train", "eval"):
        recorded = state.datasets[role]
        frame = None
        if data == "recorded":
            try:
                frame = state.frame(role, context=role)
                origin = "stored"
            except (ArtifactError, NotFoundError):
                frame = None
        if frame is None:
            current = current or _current_frames(state)
            frame, origin = current[role], "current sources"
        used = content_hash(frame) if origin != "stored" else recorded["content_hash"]
        frames[role] = frame
        facts[role] = {
            "recorded": recorded["content_hash"],
            "used": used,
            "origin": origin,
            "same": used == recorded["content_hash"],
            "ref": recorded["ref"],
        }
    return frames, facts


def _current_frames(state: State) -> dict[str, Any]:
    from shipyard.data.readers import read_table
    from shipyard.pipeline.sources import source_argument, split_table

    data, base = state.config.data, state.config.base_dir
    if data.source is not None and data.split is not None:
        table = read_table(source_argument(data.source, base))
        parts = split_table(table, data.split, label=state.config.evaluation.label)
        return {"train": parts[0].to_pandas(), "eval": parts[1].to_pandas()}
    assert data.train is not None and data.eval is not None
    return {role: read_table(source_argument(src, base)).to_pandas()
            for role, src in (("train", data.train), ("eval", data.eval))}  # fmt: skip


def _environment(original: RunRecord) -> dict[str, Any]:
    from shipyard.tracking.capture import package_lock

    current = sha256_bytes(package_lock())
    recorded = original.environment_lock_hash
    return {"recorded_lock": recorded, "current_lock": current,
            "same": None if recorded is None else recorded == current}  # fmt: skip


def _causes(
    code: dict[str, Any], data: dict[str, dict[str, Any]], environment: dict[str, Any]
) -> list[str]:
    causes = []
    if not code["same"]:
        causes.append("code: " + "; ".join(code["problems"]))
    changed = [f"{role} {facts['recorded'][:12]} -> {facts['used'][:12]} ({facts['origin']})"
               for role, facts in data.items() if not facts["same"]]  # fmt: skip
    if changed:
        causes.append("data: content hash differs: " + "; ".join(changed))
    if environment["same"] is False:
        causes.append("environment: the installed packages differ from the recorded lock")
    if not causes:
        causes.append("nondeterminism: same code, data, configuration and seed gave different "
                      "results (unseeded randomness or threads in the training code)")  # fmt: skip
    return causes


def _compare_predictions(old: Path, new: Path) -> tuple[int, float | None]:
    """(rows whose predicted label differs, largest difference of any score)."""
    import numpy as np
    import pandas as pd

    before, after = pd.read_parquet(old), pd.read_parquet(new)
    if len(before) != len(after):
        return max(len(before), len(after)), None
    changed = int((before["prediction"] != after["prediction"]).sum())
    scores = [c for c in before.columns if c.startswith("score_") and c in after.columns]
    if not scores:
        return changed, None
    difference = np.abs(before[scores].to_numpy() - after[scores].to_numpy())
    return changed, float(difference.max()) if difference.size else 0.0


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None
