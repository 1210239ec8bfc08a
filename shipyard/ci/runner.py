"""``ci``: every stage of a CI job in one call — the project's checks and tests, data
validation, the pipeline (cached steps reused), the gates against the version behind an alias,
the package checks, an integration test on an ephemeral server, and the ``tested`` mark.

Each stage is timed. A stage that fails says why in one sentence; the stages after it are
skipped (the checks and the tests both run, so one job reports both). Nothing here raises
for a project's problem: the result says what failed.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.ci import cache, candidate, checks
from shipyard.ci.checks import StageFailed
from shipyard.ci.result import STAGES, CIResult, MetricRow, StageResult
from shipyard.core.errors import ShipyardError, UsageError
from shipyard.core.settings import Settings
from shipyard.testing.phases import CODE_PHASE, MODEL_PHASE, PHASE_VARIABLE

if TYPE_CHECKING:
    from shipyard.pipeline.config import PipelineConfig
    from shipyard.pipeline.result import PipelineResult, StepEvent
    from shipyard.tracking.capture import GitState
    from shipyard.tracking.run import ActiveRun

Progress = Callable[[StageResult], None]
#: Which ``shipyard ci`` stage each pipeline step belongs to.
STEP_STAGES = {"load": "data validation", "version": "data validation",
               "validate": "data validation", "train": "pipeline", "evaluate": "pipeline",
               "gate": "gates", "register": "pipeline", "promote": "pipeline"}  # fmt: skip


def ci(
    config: str | Path | None = None,
    *,
    against: str = "production",
    host: str = "127.0.0.1",
    run_checks: bool = True,
    run_tests: bool = True,
    integration: bool = True,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> CIResult:
    """Run every CI stage on the project of ``config`` (default ``./shipyard.yaml``) and return
    what each found. ``against`` is the alias whose version the metric table compares with;
    ``host`` is where the ephemeral server listens. The candidate is registered but no alias
    moves (every ``auto`` promotion is off); when all passes it is marked ``tested``."""
    if config is not None and not isinstance(config, str | Path):
        raise UsageError(
            f"config is the path of a shipyard.yaml, not {type(config).__name__}.",
            hint="Pass a path, or nothing for ./shipyard.yaml.",
        )
    from shipyard.models.flavors.sklearn import import_scipy_first

    import_scipy_first()  # before the stages import more: a skops load is then cheaper
    found = _CI(config, against, host, workspace, progress)
    found.settings = settings
    return found.run(run_checks, run_tests, integration)


class _CI:
    def __init__(
        self,
        config: str | Path | None,
        against: str,
        host: str,
        workspace: Workspace | None,
        progress: Progress | None,
    ) -> None:
        self.path, self.host, self.progress = config, host, progress
        self.ws = workspace
        self.settings: Settings | None = None
        self.config: PipelineConfig | None = None
        self.pipeline: PipelineResult | None = None
        self.result = CIResult(against=against)
        self.git: GitState | None = None
        self.run_record: ActiveRun | None = None
        self.run_tests = True

    def run(self, run_checks: bool, run_tests: bool, integration: bool) -> CIResult:
        from shipyard.tracking.capture import capture_git

        self.git = capture_git(Path(self.path).parent if self.path else None)
        self.result.commit = self.git.commit if self.git is not None else None
        self._stage("configuration", self._configure)
        config = self.config
        if config is None or self.ws is None:
            return self._skip_rest()
        commands = checks.declared_checks(config.ci.checks)
        from shipyard.tracking.fluent import start_run

        with start_run(f"{config.model.name} ci", kind="ci", workspace=self.ws,
                       tags={"shipyard.commit": self.result.commit or "-"}) as run:  # fmt: skip
            self.result.run_id, self.run_record = run.id, run
            self._code_stage("checks", lambda: checks.run_checks(commands, config.base_dir),
                             run_checks, [shlex.join(c) for c in commands])  # fmt: skip
            ci_env = {"SHIPYARD_CI": "1", PHASE_VARIABLE: CODE_PHASE}
            self._code_stage("tests", lambda: checks.run_tests(config.base_dir, ci_env),
                             run_tests, "pytest")  # fmt: skip
            self.run_tests = run_tests
            if self.result.passed:  # no pipeline for code that fails its own checks
                self._pipeline()
                self._candidate_stages(integration)
            else:
                self._skip_rest()
            run.set_tags({"shipyard.ci_passed": str(self.result.passed).lower(),
                          "shipyard.candidate": self.result.candidate or "-"})  # fmt: skip
        return self.result

    # -- stages ----------------------------------------------------------------------------------

    def _configure(self) -> tuple[str, dict[str, Any]]:
        from shipyard.pipeline.config import load_pipeline_config

        loaded = load_pipeline_config(self.path)
        # CI registers the candidate but never moves an alias.
        off = [f"promotion.{alias}.auto=false" for alias, r in loaded.promotion.items() if r.auto]
        self.config = load_pipeline_config(loaded, overrides=off) if off else loaded
        self.ws = self.ws or workspace_for(self.settings)
        checks.declared_checks(self.config.ci.checks)  # a bad command fails here, not later
        from shipyard._store.database import redact  # the report may be public: no password
        from shipyard.registry.audit import verify_audit

        verdict = verify_audit(workspace=self.ws)  # the records CI relies on are intact
        if not verdict.ok:
            raise StageFailed(
                f"The store's audit log was tampered with: {verdict.problems[0].message}",
                details={"audit": verdict.to_dict()},
            )
        store = redact(self.ws.settings.resolved_store_url)
        return (f"{self.config.path}; store {store}; audit log intact ({verdict.events} "
                "events)", {"audit": verdict.to_dict()})  # fmt: skip

    def _pipeline(self) -> None:
        """Run the pipeline once, and report its steps as three stages: data validation
        (load, version, validate), the pipeline (train, evaluate, register) and the gates."""
        from shipyard.pipeline.runner import run_pipeline

        assert self.config is not None and self.ws is not None
        events: list[StepEvent] = []
        started = time.perf_counter()
        error: ShipyardError | Exception | None = None
        try:
            tags = {"shipyard.ci_run": str(self.result.run_id)}
            self.pipeline = run_pipeline(
                self.config, workspace=self.ws, progress=events.append, tags=tags
            )
        except Exception as exc:  # reported as the failed stage, never raised
            error = exc
        elapsed = time.perf_counter() - started
        seconds = dict.fromkeys(set(STEP_STAGES.values()), 0.0)
        for event in events:
            if event.seconds is not None:
                seconds[STEP_STAGES[event.step]] += event.seconds
        failed = next((STEP_STAGES[e.step] for e in events if e.status == "failed"), "pipeline")
        for name in ("data validation", "pipeline", "gates"):
            stage = StageResult(name, "passed", seconds[name])
            if error is not None:
                if name == failed:
                    stage.status, stage.message, stage.hint = "failed", *_explain(error)
                elif STAGES.index(name) > STAGES.index(failed):
                    stage.status, stage.message = "skipped", f"the {failed} stage failed"
            self._fill(stage)
            self._add(stage)
        if error is None and self.pipeline is not None:
            self.result.stages[-1].seconds += max(0.0, elapsed - sum(seconds.values()))

    def _fill(self, stage: StageResult) -> None:
        found = self.pipeline
        if stage.status != "passed" or found is None:
            return
        if stage.name == "data validation":
            self.result.validation = _validation(self.ws, found)
            roles = self.result.validation.get("results", {})
            stage.message = (", ".join(f"{r}: {v['headline']}" for r, v in roles.items())
                             or "no expectations declared")  # fmt: skip
        elif stage.name == "pipeline":
            self.result.candidate, self.result.pipeline_run_id = found.model_ref, found.run_id
            self.result.reports = dict(found.reports)
            cached = found.cached_steps
            stage.message = f"{found.model_ref} registered" + (
                f"; cached: {', '.join(cached)}" if cached else "")  # fmt: skip
        elif stage.name == "gates" and found.evaluation is not None:
            self.result.gates = [g.to_dict() for g in found.evaluation.gates]
            self.result.metrics, self.result.baseline = _metric_table(
                self.config, found, self.result.against, self.ws)  # fmt: skip
            failed = found.evaluation.failed_gates
            if failed:
                stage.status = "failed"
                total, names = len(found.evaluation.gates), ", ".join(g.name for g in failed)
                stage.message = (f"{len(failed)} of {total} gate(s) failed: {names} "
                                 f"(first: {failed[0].message})")  # fmt: skip
            else:
                stage.message = f"{len(found.evaluation.gates)} gate(s) passed"

    def _candidate_stages(self, integration: bool) -> None:
        config, ws, ref = self.config, self.ws, self.result.candidate
        assert config is not None and ws is not None
        if ref is None or self.pipeline is None:
            self._skip_rest()
            return
        eval_set = self.pipeline.datasets["eval"]
        max_mb, trusted = config.ci.max_package_mb, config.model.trusted
        self._package_stage(lambda: candidate.check_package(
            ref, trusted=trusted, workspace=ws, max_mb=max_mb,
        ), {"trusted": trusted, "max_mb": max_mb})  # fmt: skip
        self._model_tests(eval_set)
        parity = None if config.ci.parity_rows == "all" else config.ci.parity_rows
        self._stage("integration", lambda: candidate.integration(
            ref, evaluation_set=eval_set, smoke_cases=config.smoke or [], trusted=trusted,
            host=self.host, parity_rows=parity, workspace=ws,
        ), integration and self.result.passed)  # fmt: skip
        self._stage("tag", self._tag, self.result.passed)

    def _model_tests(self, eval_set: str) -> None:
        """The project's tests that use the ``model`` or ``dataset`` fixture, on the candidate
        and its evaluation set: from cache when this tree passed them on this very package."""
        config, found, ws = self.config, self.pipeline, self.ws
        assert config is not None and found is not None and ws is not None
        enabled = self.run_tests and self.result.passed
        key = None
        if enabled and found.model_version is not None:
            package = ws.models.get_version(found.model_name, found.model_version).package_hash
            key = cache.code_key("model tests", self.git, {"pytest": "model", "package": package})
        env = {"SHIPYARD_CI": "1", PHASE_VARIABLE: MODEL_PHASE,
               "SHIPYARD_MODEL": self.result.candidate or "", "SHIPYARD_DATASET": eval_set,
               # the tests read the store this CI run writes to, wherever it is
               "SHIPYARD_STORE_URL": ws.settings.resolved_store_url,
               "SHIPYARD_ARTIFACTS_URL": ws.settings.resolved_artifacts_url}  # fmt: skip
        code = self.result.stage("tests")
        if (
            enabled
            and code.status == "passed"
            and "deselected" not in code.details.get("summary", "")
        ):  # the code tests deselected none: no test uses the fixtures, so none to run here
            self._stage("model tests", lambda: ("no test uses the model or dataset fixture", {}))
            return
        self._cached_stage("model tests", key,
                           lambda: checks.run_tests(config.base_dir, env), enabled)  # fmt: skip

    def _tag(self) -> tuple[str, dict[str, Any]]:
        from shipyard.registry import mark_version

        assert self.pipeline is not None and self.pipeline.model_version is not None
        details = {"ci_run": self.result.run_id, "commit": self.result.commit}
        mark_version(self.pipeline.model_name, self.pipeline.model_version, "tested",
                     details=details, workspace=self.ws)  # fmt: skip
        return f"{self.result.candidate} marked tested", details

    # -- bookkeeping -----------------------------------------------------------------------------

    def _stage(
        self, name: str, body: Callable[[], tuple[str, dict[str, Any]]], enabled: bool = True
    ) -> None:
        """Run one stage, timed: ``body`` returns what it found, or raises why it failed."""
        stage = StageResult(name, "passed")
        started = time.perf_counter()
        if not enabled:
            stage.status = "skipped"
            stage.message = "turned off" if self.result.passed else "an earlier stage failed"
        else:
            try:
                stage.message, stage.details = body()
            except Exception as error:  # every problem is a failed stage, never a traceback
                stage.status = "failed"
                stage.message, stage.hint = _explain(error)
                if isinstance(error, StageFailed):
                    stage.details = error.details
        stage.seconds = time.perf_counter() - started
        self._add(stage)

    def _code_stage(
        self, name: str, body: Callable[[], tuple[str, dict[str, Any]]], enabled: bool, what: Any
    ) -> None:
        """A stage over the project's code: from cache when this tree passed it before."""
        key = cache.code_key(name, self.git, what) if enabled else None
        self._cached_stage(name, key, body, enabled)

    def _cached_stage(
        self,
        name: str,
        key: str | None,
        body: Callable[[], tuple[str, dict[str, Any]]],
        enabled: bool,
    ) -> None:
        """Run a stage, or take it from an earlier pass with the same cache ``key``."""
        ws = self.ws
        assert ws is not None and self.run_record is not None
        hit = cache.cached(ws, name, key) if key is not None else None
        if hit is not None:
            run_id, outputs = hit
            body = lambda: (f"cached from run {run_id}: {outputs['message']}",  # noqa: E731
                            {**outputs["details"], "cached_from": run_id})  # fmt: skip
        self._stage(name, body, enabled)
        stage = self.result.stages[-1]
        if key is not None and hit is None and stage.status == "passed":
            cache.remember(ws, name, key, self.run_record,
                           {"message": stage.message, "details": stage.details})  # fmt: skip

    def _package_stage(
        self, body: Callable[[], tuple[str, dict[str, Any]]], what: dict[str, Any]
    ) -> None:
        """The package checks: from cache when this very package (by content hash) passed
        them before under the same trust and size limit; they depend on nothing else."""
        found, ws = self.pipeline, self.ws
        assert found is not None and ws is not None
        key = None
        if self.result.passed and found.model_version is not None:
            record = ws.models.get_version(found.model_name, found.model_version)
            key = cache.package_key(record.package_hash, what)
        self._cached_stage("package", key, body, self.result.passed)

    def _add(self, stage: StageResult) -> None:
        self.result.stages.append(stage)
        if self.progress is not None:
            self.progress(stage)

    def _skip_rest(self) -> CIResult:
        for name in STAGES[len(self.result.stages) :]:
            self._add(StageResult(name, "skipped", message="an earlier stage failed"))
        return self.result


def _explain(error: Exception) -> tuple[str, str | None]:
    if isinstance(error, StageFailed | ShipyardError):
        return error.message, error.hint
    return f"{type(error).__name__}: {error}", None


def _validation(ws: Workspace | None, found: PipelineResult) -> dict[str, Any]:
    from shipyard.pipeline.cache import step_outputs

    assert ws is not None
    step = next((s for s in found.steps if s.name == "validate"), None)
    outputs = step_outputs(ws, step.cached_from or step.run_id) if step is not None else None
    results = (outputs[0].get("validations") or {}) if outputs is not None else {}
    return {"datasets": dict(found.datasets), "results": results}


def _metric_table(
    config: PipelineConfig | None, found: PipelineResult, against: str, ws: Workspace | None
) -> tuple[list[MetricRow], str | None]:
    evaluation = found.evaluation
    assert evaluation is not None and config is not None
    baseline = evaluation.baselines.get(against) or _recorded(found.model_name, against, ws)
    old = baseline.get("metrics") or {}
    verdicts: dict[str, list[str]] = {}
    by_name = {g.name: g for g in evaluation.gates}
    for spec in config.evaluation.gates:
        outcome = by_name.get(spec.name or spec.derived_name())
        metric = getattr(spec, "metric", None)
        if outcome is not None and isinstance(metric, str):
            mark = "pass" if outcome.passed else "FAIL"
            verdicts.setdefault(metric, []).append(f"{outcome.name}: {mark}")
    rows = [
        MetricRow(name, _number(old.get(name)), _number(value), ", ".join(verdicts.get(name, [])))
        for name, value in evaluation.metrics.items()
    ]
    version = baseline.get("version")
    return rows, (None if version is None else str(version))


def _recorded(name: str, alias: str, ws: Workspace | None) -> dict[str, Any]:
    """The version behind ``name@alias`` and the metrics of its newest evaluation, when no
    gate compared with it (empty when the alias does not exist yet)."""
    from shipyard.registry import latest_evaluation, resolve

    try:
        version = resolve(f"{name}@{alias}", workspace=ws).version
    except ShipyardError:
        return {}
    found = latest_evaluation(name, version, workspace=ws)
    return {"version": str(version), "metrics": found.metrics if found else {}}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
