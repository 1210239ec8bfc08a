"""The maturity grid (six principles x code, model and data, each at level 1, 2 or 3) and
Google's MLOps level, derived from the same evidence and item scores as the ML Test Score.

Every cell is level 1 by default; its rule says what level 2 and level 3 need."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from shipyard.scorecard.evidence import Evidence
from shipyard.scorecard.record import GridCell, Item, MlopsLevel

PRINCIPLES = ("versioning", "testing", "reproducibility", "deployment", "monitoring",
              "ways of working")  # fmt: skip
ASPECTS = ("code", "model", "data")

Points = Mapping[str, float]
Test = Callable[[Evidence, Points], bool]


def _commits(ev: Evidence) -> tuple[bool, bool]:
    runs = ev.runs_of("pipeline") or [r for r in ev.runs if r.kind != "step"]
    some = any(r.git_commit for r in runs)
    every = bool(runs) and all(r.git_commit and r.git_dirty is False for r in runs)
    return some, every


def _inputs_hashed(ev: Evidence) -> tuple[bool, bool]:
    training = [r for r in ev.runs if r.kind in ("pipeline", "train")]
    read = {u.run_id for u in ev.usages if u.role == "input"}
    parents = {r.parent_run_id for r in ev.runs if r.id in read}
    fed = [r for r in training if r.id in read or r.id in parents]
    return bool(fed), bool(training) and len(fed) == len(training)


#: (principle, aspect, level 2 rule, level 3 rule, test for 2, test for 3)
CELLS: tuple[tuple[str, str, str, str, Test, Test], ...] = (
    (
        "versioning",
        "code",
        "runs record their git commit",
        "every pipeline run records a clean git commit (no uncommitted changes)",
        lambda ev, p: _commits(ev)[0],
        lambda ev, p: _commits(ev)[1],
    ),
    (
        "versioning",
        "model",
        "models are registered as versions",
        "production moves only through audited alias moves under a promotion policy",
        lambda ev, p: bool(ev.versions),
        lambda ev, p: bool(ev.policies) and bool(ev.production_moves()),
    ),
    (
        "versioning",
        "data",
        "training data is stored as dataset versions",
        "every training run's inputs are dataset versions with content hashes",
        lambda ev, p: bool(ev.dataset_versions),
        lambda ev, p: _inputs_hashed(ev)[1],
    ),
    (
        "testing",
        "code",
        "CI ran the project's tests once (DATA-7 >= 0.5)",
        "CI runs the tests on every change (DATA-7 = 1)",
        lambda ev, p: p["DATA-7"] >= 0.5,
        lambda ev, p: p["DATA-7"] >= 1,
    ),
    (
        "testing",
        "model",
        "candidates are held to evaluation gates",
        "slice, fairness or behavioural gates run on every candidate (MODEL-6, MODEL-7 or "
        "INFRA-2 = 1)",
        lambda ev, p: any(e.gates for e in ev.evaluations),
        lambda ev, p: max(p["MODEL-6"], p["MODEL-7"], p["INFRA-2"]) >= 1,
    ),
    (
        "testing",
        "data",
        "data was validated against expectations (DATA-1 >= 0.5)",
        "every pipeline run validates its data (DATA-1 = 1)",
        lambda ev, p: p["DATA-1"] >= 0.5,
        lambda ev, p: p["DATA-1"] >= 1,
    ),
    (
        "reproducibility",
        "code",
        "runs record their environment lock",
        "a reproduction matched its original (INFRA-1 >= 0.5)",
        lambda ev, p: any(r.environment_lock_hash for r in ev.runs),
        lambda ev, p: p["INFRA-1"] >= 0.5,
    ),
    (
        "reproducibility",
        "model",
        "training runs record their seed",
        "reproductions match on a schedule (INFRA-1 = 1)",
        lambda ev, p: any(r.seed is not None for r in ev.runs),
        lambda ev, p: p["INFRA-1"] >= 1,
    ),
    (
        "reproducibility",
        "data",
        "some training run read hashed dataset versions",
        "every training run read hashed dataset versions",
        lambda ev, p: _inputs_hashed(ev)[0],
        lambda ev, p: _inputs_hashed(ev)[1],
    ),
    (
        "deployment",
        "code",
        "the model is served by a deployment",
        "releases are integration tested and canaried (INFRA-3 = 1, INFRA-6 >= 0.5)",
        lambda ev, p: bool(ev.deployments),
        lambda ev, p: p["INFRA-3"] >= 1 and p["INFRA-6"] >= 0.5,
    ),
    (
        "deployment",
        "model",
        "production moves are of gated versions (INFRA-4 >= 0.5)",
        "a policy enforces the gates and a rollback was exercised (INFRA-4 = 1, INFRA-7 >= 0.5)",
        lambda ev, p: p["INFRA-4"] >= 0.5,
        lambda ev, p: p["INFRA-4"] >= 1 and p["INFRA-7"] >= 0.5,
    ),
    (
        "deployment",
        "data",
        "the pipeline versions the data it trains on",
        "an alert triggered a retrain on new data",
        lambda ev, p: any(v.created_by_run_id for v in ev.dataset_versions),
        lambda ev, p: any(a.triggered_run_id for a in ev.alerts),
    ),
    (
        "monitoring",
        "code",
        "a monitor window was computed (service health)",
        "dependency and latency rules run on a schedule (MON-1 = 1 or MON-6 = 1)",
        lambda ev, p: bool(ev.results),
        lambda ev, p: max(p["MON-1"], p["MON-6"]) >= 1,
    ),
    (
        "monitoring",
        "model",
        "live quality is watched (MON-7 >= 0.5)",
        "live quality and staleness are watched on a schedule (MON-7 = 1, MON-4 >= 0.5)",
        lambda ev, p: p["MON-7"] >= 0.5,
        lambda ev, p: p["MON-7"] >= 1 and p["MON-4"] >= 0.5,
    ),
    (
        "monitoring",
        "data",
        "drift or data invariants are watched (MON-2 or MON-3 >= 0.5)",
        "both are watched on a schedule (MON-2 = 1 and MON-3 = 1)",
        lambda ev, p: max(p["MON-2"], p["MON-3"]) >= 0.5,
        lambda ev, p: min(p["MON-2"], p["MON-3"]) >= 1,
    ),
    (
        "ways of working",
        "code",
        "changes go through `shipyard ci`",
        "production requires the `tested` mark of CI",
        lambda ev, p: bool(ev.runs_of("ci")),
        lambda ev, p: any("tested" in pol.requires for pol in ev.policies),
    ),
    (
        "ways of working",
        "model",
        "versions are reviewed (an approval, MODEL-1 >= 0.5)",
        "production requires a four-eyes approval",
        lambda ev, p: p["MODEL-1"] >= 0.5,
        lambda ev, p: any(pol.approval_distinct for pol in ev.policies),
    ),
    (
        "ways of working",
        "data",
        "a data duty is attested (DATA-3, DATA-4 or DATA-5)",
        "all three data duties are attested and current",
        lambda ev, p: max(p["DATA-3"], p["DATA-4"], p["DATA-5"]) >= 0.5,
        lambda ev, p: min(p["DATA-3"], p["DATA-4"], p["DATA-5"]) >= 0.5,
    ),
)


def maturity_grid(ev: Evidence, items: tuple[Item, ...]) -> tuple[GridCell, ...]:
    points = {item.id: item.points for item in items}
    cells = []
    for principle, aspect, two, three, test_two, test_three in CELLS:
        level = 1 + int(test_two(ev, points))
        if level == 2 and test_three(ev, points):
            level = 3
        why = {1: f"not yet: {two}", 2: f"{two}; not yet: {three}", 3: three}[level]
        rule = f"2 when {two}; 3 when {three}"
        cells.append(GridCell(principle, aspect, level, rule, why))
    return tuple(cells)


def mlops_level(ev: Evidence, items: tuple[Item, ...]) -> MlopsLevel:
    """0: manual; 1: the pipeline validates data, gates models and retrains by itself
    (continuous training); 2: and CI tests every change and production moves under policy."""
    points = {item.id: item.points for item in items}
    pipeline = bool(ev.runs_of("pipeline")) and bool(ev.validations) and bool(ev.evaluations)
    retrains = [r for r in ev.runs if r.tags.get("shipyard.trigger") == "retrain"]
    automated = bool(retrains) or any(a.triggered_run_id for a in ev.alerts)
    if not (pipeline and automated):
        missing = ("a pipeline run that validates data and gates the model (`shipyard run`)"
                   if not pipeline else
                   "an automatic retrain (a monitoring rule with `retrain: true`)")  # fmt: skip
        reason = (
            "training, validation and release are manual steps"
            if not pipeline
            else ("the pipeline validates and gates, but nothing starts it without a person")
        )
        return MlopsLevel(0, reason, missing)
    ci_ok, policy_ok = points["INFRA-3"] >= 0.5, points["INFRA-4"] >= 1
    if ci_ok and policy_ok:
        return MlopsLevel(2, "the pipeline retrains by itself, CI tests every change and "
                          "production moves only under a gate policy", None)  # fmt: skip
    missing = (
        "CI that marks candidates tested (`shipyard ci`)"
        if not ci_ok
        else ("a production policy on the gates, promoted through it")
    )
    return MlopsLevel(1, "the pipeline validates data, gates models and retrains by itself",
                      missing)  # fmt: skip
