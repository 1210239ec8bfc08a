"""The Infrastructure and Monitoring sections of the ML Test Score: each item's rule."""

from __future__ import annotations

from collections.abc import Callable

from shipyard.scorecard.evidence import Evidence
from shipyard.scorecard.grading import gate_item, grade, ids, rule_item
from shipyard.scorecard.record import TITLES, Item

REPRODUCED = ("identical", "within_tolerance")
DRIFT = ("drift", "psi", "ks", "wasserstein", "jensen_shannon", "cramers_v", "chi_square",
         "prediction_drift", "drift_share")  # fmt: skip
INVARIANTS = ("null_rate", "out_of_range_rate", "unseen_rate", "schema_violations")
QUALITY = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc",
           "average_precision", "log_loss", "brier", "rmse", "mae", "r2", "mape")  # fmt: skip


def infra_1(ev: Evidence) -> Item:
    runs = ev.runs_of("reproduce")
    good = [r for r in runs if r.tags.get("shipyard.reproduce_outcome") in REPRODUCED]
    diverged = len(runs) - len(good)
    return grade(
        "INFRA-1", ids("run", good), count=len(good), automatic=True,
        none=("No run was reproduced" + (f" ({diverged} reproduction(s) diverged)."
              if diverged else "."), "reproduce a training run: `shipyard reproduce RUN_ID`"),
        once=(f"{len(good)} reproduction matched its original.",
              "reproduce on a schedule (e.g. a nightly `shipyard reproduce` of production's run)"),
        full=f"{len(good)} reproductions matched their originals ({diverged} diverged).",
    )  # fmt: skip


def infra_3(ev: Evidence) -> Item:
    marks = [e for e in ev.events("version.mark") if (e.after or {}).get("mark") == "tested"
             and e.target.split("/")[0] in ev.models]  # fmt: skip
    return grade(
        "INFRA-3", ids("audit", marks), count=len(marks), automatic=True,
        none=("No candidate passed the integration test (served on an ephemeral server and "
              "compared row by row): no `tested` mark.", "run `shipyard ci`"),
        once=(f"{len(marks)} candidate was marked tested by `shipyard ci`.",
              "run `shipyard ci` on every change (the generated workflow does)"),
        full=f"{len(marks)} candidates passed `shipyard ci`'s integration stage.",
    )  # fmt: skip


def infra_4(ev: Evidence) -> Item:
    moves = ev.production_moves()
    passed = {(e.model_name, e.version) for e in ev.evaluations if e.passed}
    checked = [m for m in moves
               if (m.target.split("@")[0], (m.after or {}).get("version")) in passed]  # fmt: skip
    gated = [p for p in ev.policies if p.gates]
    return grade(
        "INFRA-4", ids("audit", checked), count=len(checked), automatic=bool(gated),
        none=(f"No production move since {ev.since:%Y-%m-%d} was of a version whose gates "
              "passed.", "set a production policy on the gates and promote through it: "
              "`promotion: {production: {gates: all}}`"),
        once=(f"{len(checked)} of {len(moves)} production move(s) were of gated versions"
              + ("; no policy enforces it." if not gated else "."),
              "require the gates in the production policy" if not gated
              else "promote through the policy again"),
        full=f"{len(checked)} of {len(moves)} production moves were of versions whose gates "
             "passed; the production policy requires them.",
    )  # fmt: skip


def infra_5(ev: Evidence) -> Item:
    read = {u.run_id for u in ev.usages if u.role == "input"}
    recent = sorted((v for v in ev.versions if ev.recent(v.created_at)),
                    key=lambda v: (v.model_name, v.version))  # fmt: skip
    reported = {(e.model_name, e.version) for e in ev.evaluations if e.report_hashes}
    traced = []
    for version in recent:
        run = ev.run(version.source_run_id)
        parent = ev.run(run.parent_run_id) if run is not None else None
        chain = [r for r in (run, parent) if r is not None]
        if (chain and any(r.git_commit for r in chain) and any(r.id in read for r in chain)
                and (version.model_name, version.version) in reported):  # fmt: skip
            traced.append(version)
    return grade(
        "INFRA-5", [f"version:{v.ref}" for v in traced], count=len(traced),
        automatic=ev.config is not None,
        none=("No recent version can be traced to its commit, its training data and an "
              "evaluation report.", "train through the pipeline (`shipyard run`) in a git "
              "repository, so every version records commit, data and report"),
        once=(f"{len(traced)} of {len(recent)} recent version(s) can be traced to commit, "
              "data and report.", "train every version through the pipeline"),
        full=f"{len(traced)} of {len(recent)} recent versions can be traced to commit, data "
             "and report (`shipyard lineage NAME@VERSION`).",
    )  # fmt: skip


def infra_6(ev: Evidence) -> Item:
    rollouts = ev.rollout_events("rollout.start")
    done = ev.rollout_events("rollout.promote", "rollout.rollback")
    return grade(
        "INFRA-6", ids("audit", [*rollouts, *done]), count=len(rollouts), automatic=True,
        none=("No rollout: no release was canaried on live traffic.",
              "release through a canary: `shipyard rollout DEPLOYMENT --to NAME/V`"),
        once=(f"{len(rollouts)} rollout canaried a release.",
              "release every version through `shipyard rollout`"),
        full=f"{len(rollouts)} rollouts canaried releases on live traffic.",
    )  # fmt: skip


def infra_7(ev: Evidence) -> Item:
    automatic = ev.rollout_events("rollout.rollback")
    manual = [e for e in ev.events("alias.rollback") if e.target.split("@")[0] in ev.models]
    if automatic:
        return Item("INFRA-7", TITLES["INFRA-7"], 1.0, tuple(ids("audit", automatic)),
                    f"{len(automatic)} rollout(s) rolled back by themselves.", None,
                    automatic=True)  # fmt: skip
    return grade(
        "INFRA-7", ids("audit", manual), count=len(manual), automatic=False,
        none=("No rollback was ever exercised.",
              "exercise it: `shipyard rollback NAME@production` (then promote forward)"),
        once=(f"{len(manual)} manual rollback(s) of production.",
              "release with `shipyard rollout`, which rolls back by itself on a bad canary"),
        full="",
    )  # fmt: skip


CHECKS: dict[str, Callable[[Evidence], Item]] = {
    "INFRA-1": infra_1,
    "INFRA-2": lambda ev: gate_item(
        ev,
        "INFRA-2",
        ("invariance", "directional", "minimum_functionality"),
        "behavioural tests of the model",
        "{kind: invariance, columns: [id], perturb: resample}",
    ),
    "INFRA-3": infra_3,
    "INFRA-4": infra_4,
    "INFRA-5": infra_5,
    "INFRA-6": infra_6,
    "INFRA-7": infra_7,
    "MON-1": lambda ev: rule_item(
        ev,
        "MON-1",
        ("dependency_mismatch",),
        "package versions against the training run's lock",
        "{name: deps, metric: dependency_mismatch, above: 0}",
    ),
    "MON-2": lambda ev: rule_item(
        ev,
        "MON-2",
        INVARIANTS,
        "input data invariants",
        "{name: nulls, metric: null_rate, features: '*', above: 0.05}",
    ),
    "MON-3": lambda ev: rule_item(
        ev,
        "MON-3",
        DRIFT,
        "training/serving skew (drift)",
        "{name: drift, metric: drift, features: '*', above: 0.2}",
    ),
    "MON-4": lambda ev: rule_item(
        ev,
        "MON-4",
        ("model_age",),
        "the model's age",
        "{name: stale, metric: model_age, above: 30}",
    ),
    "MON-5": lambda ev: rule_item(
        ev,
        "MON-5",
        ("nonfinite_predictions", "out_of_range_predictions"),
        "numerical stability of the predictions",
        "{name: nan, metric: nonfinite_predictions, above: 0}",
    ),
    "MON-6": lambda ev: rule_item(
        ev,
        "MON-6",
        ("latency_regression",),
        "latency against the previous version",
        "{name: slower, metric: latency_regression, above: 1.2}",
    ),
    "MON-7": lambda ev: rule_item(
        ev, "MON-7", QUALITY, "live prediction quality", "{name: auc, metric: roc_auc, below: 0.75}"
    ),
}
