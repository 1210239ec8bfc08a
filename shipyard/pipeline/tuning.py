"""``sy.tune`` / ``shipyard tune``: search the training params with Optuna, every trial a
tracked run.

The study lives in Optuna's tables on the same store URL as everything else, so several
processes or machines sharing a PostgreSQL store tune one study; running again with the same
study name resumes it (a trial whose process was killed is recorded as failed, and the budget
counts every trial the study already has). The first run of a study is its *parent*: each
run the study produces carries the tag ``shipyard.tuning.study`` = that run's id (the parent
itself, every invocation that resumes it, every trial, and the ``train`` run that uses the
best params), so the tuning of a version can be traced from its run.

A trial is a child run with its params, the metric, and the tag ``shipyard.tuning.state``
(``complete``, ``pruned`` or ``failed``). The training function can take a ``trial``
argument to report intermediate values (``trial.report(value, step)``) and stop early when
the pruner says so (``if trial.should_prune(): trial.prune()``). The parent keeps the search
space, the optimisation history and the param importances as artifacts under ``tuning/``.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import ConfigurationError, ModelError, PipelineStepError, UsageError
from shipyard.pipeline.config import PipelineConfig, load_pipeline_config
from shipyard.pipeline.state import State
from shipyard.pipeline.trial_runs import (
    OWNER_ATTR,
    RUN_ATTR,
    STATE_TAG,
    STUDY_NAME_TAG,
    STUDY_TAG,
    TUNE_KIND,
    TrialRuns,
    fail_abandoned,
    study_run_for,
    this_process,
)
from shipyard.pipeline.tune_config import CategoricalParam, FloatParam, TuneSpec
from shipyard.tracking.fluent import start_run
from shipyard.tracking.run import ActiveRun


@dataclass(frozen=True)
class TuneResult:
    """What a tuning run found: the best params and value, and how its trials ended."""

    study: str
    study_run_id: str
    run_id: str
    metric: str
    direction: str
    best_params: dict[str, Any]
    best_value: float | None
    trials: dict[str, int]
    importances: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tune(
    config: str | Path | PipelineConfig | None = None,
    *,
    overrides: Sequence[str] = (),
    trials: int | None = None,
    timeout: float | None = None,
    workspace: Workspace | None = None,
) -> TuneResult:
    """Run (or resume) the study the ``tune:`` section of ``config`` describes; ``trials``
    and ``timeout`` replace its budget."""
    if not isinstance(config, str | Path | PipelineConfig | None) or (
        isinstance(config, str | Path) and (not str(config) or Path(config).is_dir())
    ):
        raise UsageError(
            f"tune takes a shipyard.yaml file, not {str(config)[:80]!r}.",
            hint="Pass the file's path, or None for ./shipyard.yaml.",
        )
    loaded = load_pipeline_config(config, overrides=overrides)
    if loaded.tune is None:
        raise ConfigurationError(
            f"{loaded.where(('tune',))}: there is no `tune` section to run.",
            hint="Add tune: {metric: ..., trials: ..., params: {...}} (see docs/tuning.md).",
        )
    ws = workspace or workspace_for()
    return run_study(loaded, State(loaded, ws), trials=trials, timeout=timeout)


def run_study(
    config: PipelineConfig,
    state: State,
    *,
    parent: ActiveRun | None = None,
    trials: int | None = None,
    timeout: float | None = None,
) -> TuneResult:
    """The study for ``config`` run in ``state`` (whose datasets are versioned here unless a
    pipeline already did), as a ``tune`` run (a child of ``parent`` when given)."""
    from shipyard.pipeline import data_steps

    spec = config.tune
    assert spec is not None
    optuna = _optuna()
    ws = state.workspace
    name = spec.study or f"{config.model.name}-tuning"
    direction = spec.direction or _better(spec.metric)
    study, created = _open_study(optuna, name, _storage(optuna, ws), direction=direction,
                                 sampler=_sampler(optuna, spec, config.train.seed),
                                 pruner=_pruner(optuna, spec))  # fmt: skip
    existing = study.direction.name.lower()
    if existing != direction:
        raise ConfigurationError(
            f"{config.where(('tune', 'direction'))}: study {name!r} already {existing}s its "
            f"metric; it cannot {direction} it now.",
            hint="Name a new study (tune.study) to change the direction.",
        )
    with start_run(f"{name} tuning", kind=TUNE_KIND, parent=parent, workspace=ws,
                   tags={STUDY_NAME_TAG: name}) as run:  # fmt: skip
        study_run_id = study_run_for(study, run.id, created=created)
        run.set_tags({STUDY_TAG: study_run_id, "shipyard.tuning.metric": spec.metric})
        if not state.datasets:
            state.datasets = data_steps.version_compute(state, run)["datasets"]
        frames = (state.frame("train", context="train"), state.frame("eval", context="eval"))
        fail_abandoned(optuna, study, ws, TrialRuns(run.id, study_run_id, name))
        budget = trials if trials is not None else spec.trials
        done = len(study.get_trials(deepcopy=False))
        remaining = None if budget is None else max(budget - done, 0)
        objective = _Objective(config, state, frames, run.id, study_run_id, name)
        callbacks = [] if budget is None else [optuna.study.MaxTrialsCallback(budget, states=None)]
        if remaining != 0:
            study.optimize(
                objective, n_trials=remaining, timeout=timeout or spec.timeout,
                n_jobs=spec.parallelism, catch=(Exception,), callbacks=callbacks,
                gc_after_trial=False,
            )  # fmt: skip
        result = _summarise(optuna, study, spec, name, study_run_id, run.id, direction)
        _record(run, spec, study, result)
    return result


class _Objective:
    """One trial: suggest params, train with them in a child run, evaluate the metric."""

    def __init__(
        self,
        config: PipelineConfig,
        state: State,
        frames: tuple[Any, Any],
        run_id: str,
        study_run_id: str,
        study: str,
    ) -> None:
        self.config, self.state, self.frames = config, state, frames
        self.run_id, self.study_run_id, self.study = run_id, study_run_id, study

    def __call__(self, trial: Any) -> float:
        import optuna

        from shipyard.pipeline.train_step import fit_model

        spec = self.config.tune
        assert spec is not None
        trial.set_user_attr(OWNER_ATTR, this_process())  # first: a kill from here on is seen
        params = {name: _suggest(trial, name, space) for name, space in spec.params.items()}
        ws = self.state.workspace
        pruned = False
        runs = TrialRuns(self.run_id, self.study_run_id, self.study)
        with runs.start(trial.number, ws) as child:
            trial.set_user_attr(RUN_ATTR, child.id)
            child.log_params(params)
            child.set_tag(STATE_TAG, "failed")  # until it ends otherwise
            train, evaluation = self.frames
            try:
                model = fit_model(self.state, train, evaluation, run_id=child.id,
                                  params=params, trial=TrialReport(trial, child))  # fmt: skip
            except (optuna.TrialPruned, PipelineStepError) as exc:
                if not isinstance(exc.__cause__ or exc, optuna.TrialPruned):
                    raise
                child.set_tag(STATE_TAG, "pruned")
                pruned = True
            if not pruned:
                value = _score(self.config, model, evaluation, spec.metric)
                child.log_metric(spec.metric, value)
                child.set_tag(STATE_TAG, "complete")
        if pruned:
            raise optuna.TrialPruned()
        return value


class TrialReport:
    """What a training function receives as ``trial`` while tuning: report an intermediate
    value (recorded on the trial's run too) and ask whether to stop."""

    def __init__(self, trial: Any, run: ActiveRun) -> None:
        self._trial, self._run = trial, run
        self.number: int = trial.number

    def report(self, value: float, step: int) -> None:
        self._trial.report(float(value), int(step))
        self._run.log_metric("intermediate_value", float(value), step=int(step))

    def should_prune(self) -> bool:
        return bool(self._trial.should_prune())

    def prune(self) -> None:
        import optuna

        raise optuna.TrialPruned()


def _suggest(trial: Any, name: str, space: Any) -> Any:
    if isinstance(space, CategoricalParam):
        return trial.suggest_categorical(name, space.choices)
    if isinstance(space, FloatParam):
        return trial.suggest_float(name, space.low, space.high, log=space.log, step=space.step)
    return trial.suggest_int(name, space.low, space.high, step=space.step, log=space.log)


def _score(config: PipelineConfig, model: Any, evaluation: Any, metric: str) -> float:
    from shipyard.evaluation.evaluate import evaluate
    from shipyard.evaluation.spec import EvaluationSpec

    spec = config.evaluation
    only = EvaluationSpec(task=spec.task, label=spec.label, positive_label=spec.positive_label,
                          metrics=[metric])  # fmt: skip
    measured = evaluate(model, evaluation, only)
    value = measured.metrics.get(metric)
    if value is None or not math.isfinite(value):
        raise ModelError(f"The metric {metric} is undefined for this trial's model.")
    return float(value)


def _better(metric: str) -> str:
    from shipyard.evaluation.catalog import METRICS

    return "maximize" if METRICS[metric].higher_is_better else "minimize"


def _optuna() -> Any:
    from shipyard.models.flavors._support import require

    optuna = require("optuna", "tune")
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # trials are recorded as runs
    return optuna


def _open_study(optuna: Any, name: str, storage: Any, **options: Any) -> tuple[Any, bool]:
    """The study named ``name``, and whether this call created it."""
    try:
        return optuna.create_study(study_name=name, storage=storage, **options), True
    except optuna.exceptions.DuplicatedStudyError:
        return optuna.create_study(
            study_name=name, storage=storage, load_if_exists=True, **options
        ), False


def _storage(optuna: Any, ws: Workspace) -> Any:
    """Optuna's tables in the store's own database. Shipyard's schema owns the Alembic
    version there, so Optuna's own version check is skipped (its tables are created as is)."""
    url = ws.settings.resolved_store_url
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 60}
    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(
                url, engine_kwargs=kwargs, skip_compatibility_check=True
            )
        except Exception as exc:  # another process creating the same tables at this moment
            if "already exists" not in str(exc) and "duplicate" not in str(exc).lower():
                raise
            time.sleep(0.2 * (attempt + 1))
    return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, skip_compatibility_check=True)


def _sampler(optuna: Any, spec: TuneSpec, seed: int) -> Any:
    chosen = spec.seed if spec.seed is not None else seed
    found = optuna.samplers
    samplers = {"tpe": found.TPESampler, "random": found.RandomSampler,
                "cmaes": found.CmaEsSampler, "qmc": found.QMCSampler}  # fmt: skip
    return samplers[spec.sampler](seed=chosen)


def _pruner(optuna: Any, spec: TuneSpec) -> Any:
    pruners = {"none": optuna.pruners.NopPruner, "median": optuna.pruners.MedianPruner,
               "hyperband": optuna.pruners.HyperbandPruner,
               "successive_halving": optuna.pruners.SuccessiveHalvingPruner}  # fmt: skip
    return pruners[spec.pruner]()


def _summarise(
    optuna: Any, study: Any, spec: TuneSpec, name: str, study_run_id: str, run_id: str,
    direction: str,
) -> TuneResult:  # fmt: skip
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    importances: dict[str, float] = {}
    if len(complete) >= 2 and len(spec.params) >= 1:
        try:
            found = optuna.importance.get_param_importances(study)
            importances = {str(k): float(v) for k, v in found.items()}
        except (RuntimeError, ValueError):  # too little variation to tell
            importances = {}
    return TuneResult(
        study=name, study_run_id=study_run_id, run_id=run_id, metric=spec.metric,
        direction=direction, best_params=dict(study.best_params) if complete else {},
        best_value=float(study.best_value) if complete else None, trials=counts,
        importances=importances,
    )  # fmt: skip


def _record(run: ActiveRun, spec: TuneSpec, study: Any, result: TuneResult) -> None:
    """The search space, the optimisation history and the importances, on the tune run."""
    history = [
        {"number": t.number, "state": t.state.name.lower(), "value": t.value,
         "params": t.params, "run_id": t.user_attrs.get(RUN_ATTR)}
        for t in study.get_trials(deepcopy=False)
    ]  # fmt: skip
    if result.best_value is not None:
        run.log_metric(f"best_{spec.metric}", result.best_value)
        run.set_tags({"shipyard.tuning.best_params": json.dumps(result.best_params)[:4000]})
    for param, importance in result.importances.items():
        run.log_metric(f"importance.{param}", importance)
    with tempfile.TemporaryDirectory(prefix="shipyard-tune-") as temporary:
        folder = Path(temporary)
        documents = {"space.json": spec.space(), "history.json": history,
                     "result.json": result.to_dict()}  # fmt: skip
        for file, content in documents.items():
            (folder / file).write_text(json.dumps(content, indent=2, default=str))
        (folder / "report.md").write_text(_report(result, history))
        for written in sorted(folder.iterdir()):
            run.log_artifact(written, f"tuning/{written.name}")


def _report(result: TuneResult, history: Sequence[Mapping[str, Any]]) -> str:
    """The optimisation history (the best value so far, trial by trial) and the importances."""
    lines = [f"# Study {result.study}", "",
             f"{result.metric} ({result.direction}); best {result.best_value} with "
             f"{json.dumps(result.best_params)}", "", "| trial | state | value | best so far |",
             "|---|---|---|---|"]  # fmt: skip
    best: float | None = None
    for entry in history:
        value = entry["value"]
        if value is not None:
            better = best is None or (value > best if result.direction == "maximize"
                                      else value < best)  # fmt: skip
            best = value if better else best
        lines.append(f"| {entry['number']} | {entry['state']} | {value} | {best} |")
    lines += ["", "| param | importance |", "|---|---|"]
    lines += [f"| {name} | {value:.3f} |" for name, value in result.importances.items()]
    return "\n".join(lines) + "\n"
