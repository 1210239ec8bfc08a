"""The Data and Model sections of the ML Test Score: each item's rule, from the evidence."""

from __future__ import annotations

import math
from collections.abc import Callable

from shipyard.scorecard.evidence import Evidence
from shipyard.scorecard.grading import attest_only, gate_item, grade, ids, rule_item
from shipyard.scorecard.record import Item

TUNING_TAG = "shipyard.tuning.study"
STALENESS_KIND = "staleness"
BEHAVIOUR = ("invariance", "directional", "minimum_functionality")


def data_1(ev: Evidence) -> Item:
    declared = ev.config is not None and bool(ev.config.datasets)
    checks = sorted(ev.validations, key=lambda v: v.created_at)
    failed = sum(not v.passed for v in checks)
    refs = ", ".join(sorted({v.dataset_ref for v in checks})[-3:])
    return grade(
        "DATA-1", ids("validation", checks), count=len(checks), automatic=declared,
        none=("No dataset version was validated against declared expectations since "
              f"{ev.since:%Y-%m-%d}.",
              "declare the columns' expectations under `datasets:` in shipyard.yaml"),
        once=(f"{len(checks)} validation(s) of {refs}" + (
              "; shipyard.yaml declares no `datasets:` expectations, so it does not repeat."
              if not declared else "; once so far."),
              "declare the expectations under `datasets:` in shipyard.yaml" if not declared
              else "run the pipeline again: every run validates its data"),
        full=f"{len(checks)} validations ({failed} failed) of {refs} against the expectations "
             "of shipyard.yaml, on every pipeline run.",
    )  # fmt: skip


def data_2(ev: Evidence) -> Item:
    found = [(e, _importance(e)) for e in ev.recent_evaluations()]
    found = [(e, imp) for e, imp in found if imp]
    flagged = sorted({k for _, imp in found for k, v in imp.items() if v <= 0})
    note = f" Features with importance <= 0: {', '.join(flagged)}." if flagged else ""
    return grade(
        "DATA-2", ids("evaluation", [e for e, _ in found]), count=len(found),
        automatic=ev.config is not None,
        none=("No evaluation stored feature importance (a `feature_importance` section).",
              "compute permutation importance in the evaluation (the `feature_importance` "
              "section) so each version shows what every feature adds"),
        once=(f"{len(found)} evaluation(s) stored feature importance.{note}",
              "evaluate in the pipeline so every candidate's importance is stored"),
        full=f"{len(found)} evaluations stored permutation importance.{note}",
    )  # fmt: skip


def _importance(evaluation: object) -> dict[str, float]:
    section = getattr(evaluation, "feature_importance", None)
    if section is None:
        section = getattr(evaluation, "metrics", {}).get("feature_importance")
    if not isinstance(section, dict):
        return {}
    values = section.get("importances", section)
    out = {}
    for key, value in values.items():
        number = value.get("mean") if isinstance(value, dict) else value
        if isinstance(number, int | float) and math.isfinite(number):
            out[str(key)] = float(number)
    return out


def data_6(ev: Evidence) -> Item:
    pipelines = ev.runs_of("pipeline")
    from_ci = [r for r in pipelines if r.tags.get("shipyard.ci_run")]
    return grade(
        "DATA-6", ids("run", from_ci or pipelines), count=len(from_ci) or len(pipelines),
        automatic=bool(from_ci),
        none=("No pipeline run: a new feature has no one-command path from code to an "
              "evaluated candidate.", "declare the pipeline in shipyard.yaml and `shipyard run`"),
        once=(f"{len(pipelines)} pipeline run(s), {len(from_ci)} started by CI.",
              "run `shipyard ci` on each change, so a new feature reaches a tested candidate "
              "without manual steps"),
        full=f"{len(from_ci)} pipeline runs started by `shipyard ci`: each change is trained, "
             "evaluated and gated without manual steps.",
    )  # fmt: skip


def data_7(ev: Evidence) -> Item:
    ci_runs = ev.runs_of("ci")
    piped = {r.tags.get("shipyard.ci_run") for r in ev.runs_of("pipeline")}
    tested = [r for r in ci_runs if r.tags.get("shipyard.ci_passed") == "true" or r.id in piped]
    return grade(
        "DATA-7", ids("run", tested), count=len(tested), automatic=True,
        none=("No CI run passed the project's tests (the `tests` stage of `shipyard ci`).",
              "write tests for the feature code under tests/ and run `shipyard ci`"),
        once=(f"{len(tested)} CI run passed the project's tests.",
              "run `shipyard ci` on every change (the generated workflow does)"),
        full=f"{len(tested)} CI runs passed the project's tests.",
    )  # fmt: skip


def model_1(ev: Evidence) -> Item:
    approvals = ev.events("version.approve")
    required = any(p.require_approval for p in ev.policies)
    return grade(
        "MODEL-1", ids("audit", approvals), count=len(approvals), automatic=required,
        none=("No version was approved: nobody recorded a review of a model spec.",
              "require an approval for production: `promotion: {production: {approval: "
              "true}}`"),
        once=(f"{len(approvals)} approval(s)" + ("" if required else
              "; no production policy requires one."),
              "require an approval in the production policy" if not required
              else "keep reviewing: one approval so far"),
        full=f"{len(approvals)} approvals; the production policy requires one.",
    )  # fmt: skip


def model_2(ev: Evidence) -> Item:
    pairs = _offline_online(ev)
    evidence = [f"evaluation:{e}" for e, *_ in pairs] + [f"monitor:{r}" for *_, r in pairs]
    differences = ", ".join(f"{ref} {key} offline {off:.3g} online {on:.3g}"
                            for _, ref, key, off, on, _ in pairs[-3:])  # fmt: skip
    correlation = _correlation([(p[3], p[4]) for p in pairs])
    told = "" if correlation is None else f"; correlation across versions {correlation:.2f}"
    return grade(
        "MODEL-2", evidence, count=len({p[1] for p in pairs}), automatic=True,
        none=("No version has both an offline evaluation metric and a live one from feedback.",
              "send feedback labels and run the monitor, so live performance is measured"),
        once=(f"One version compared: {differences}.",
              "compare a second version: feedback on the next one gives a correlation"),
        full=f"Offline vs online for {len({p[1] for p in pairs})} versions: {differences}{told}.",
    )  # fmt: skip


def _offline_online(ev: Evidence) -> list[tuple[str, str, str, float, float, str]]:
    """(evaluation id, version ref, metric, offline, online, monitor result id) per version,
    online being the newest labelled window that version served."""
    pairs = []
    for evaluation in ev.evaluations:
        windows = [r for r in ev.results if r.performance
                   and r.summary.get("model_version") == evaluation.version]  # fmt: skip
        if not windows:
            continue
        online = windows[-1].performance or {}
        live = online.get("metrics") or {}
        for key, offline in evaluation.metrics.items():
            value = live.get(key)
            if isinstance(offline, int | float) and isinstance(value, int | float):
                pairs.append((evaluation.id, evaluation.ref, key, float(offline), float(value),
                              windows[-1].id))  # fmt: skip
                break
    return pairs


def _correlation(points: list[tuple[float, float]]) -> float | None:
    if len(points) < 2:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / (sx * sy)


def model_3(ev: Evidence) -> Item:
    tuned = []
    for version in sorted(ev.versions, key=lambda v: (v.model_name, v.version)):
        run = ev.run(version.source_run_id)
        parent = ev.run(run.parent_run_id) if run is not None else None
        if ev.recent(version.created_at) and any(
            r is not None and TUNING_TAG in r.tags for r in (run, parent)
        ):
            tuned.append(version)
    return grade(
        "MODEL-3", [f"version:{v.ref}" for v in tuned], count=len(tuned),
        automatic=True,
        none=(f"No version since {ev.since:%Y-%m-%d} came from a tuning study "
              f"(a run tagged `{TUNING_TAG}`).",
              "tune the hyperparameters with a study in the pipeline"),
        once=(f"{len(tuned)} version came from a tuning study.",
              "tune every candidate: a study in the pipeline"),
        full=f"{len(tuned)} versions came from tuning studies.",
    )  # fmt: skip


def model_4(ev: Evidence) -> Item:
    studies = ev.runs_of(STALENESS_KIND)
    watched = rule_item(ev, "MODEL-4", ("model_age",), "the model's age", "")
    if not studies and watched.points > 0:
        return Item("MODEL-4", watched.title, 0.5, watched.evidence,
                    "The model's age is watched (a `model_age` rule), but how its quality "
                    "decays with age was never measured.",
                    "run `shipyard staleness MODEL` on newer labelled data")  # fmt: skip
    return grade(
        "MODEL-4", ids("run", studies), count=len(studies), automatic=True,
        none=("How quality decays with the model's age was never measured.",
              "run `shipyard staleness MODEL`, or add a `model_age` rule"),
        once=(f"{len(studies)} staleness study measured the decay with age.",
              "measure it again on the next data (a scheduled `shipyard staleness`)"),
        full=f"{len(studies)} staleness studies measured how quality decays with age.",
    )  # fmt: skip


CHECKS: dict[str, Callable[[Evidence], Item]] = {
    "DATA-1": data_1,
    "DATA-2": data_2,
    "DATA-3": lambda ev: attest_only("DATA-3", "The cost of each feature"),
    "DATA-4": lambda ev: attest_only("DATA-4", "Meeting meta-level requirements"),
    "DATA-5": lambda ev: attest_only("DATA-5", "Privacy control of the data pipeline"),
    "DATA-6": data_6,
    "DATA-7": data_7,
    "MODEL-1": model_1,
    "MODEL-2": model_2,
    "MODEL-3": model_3,
    "MODEL-4": model_4,
    "MODEL-5": lambda ev: gate_item(
        ev,
        "MODEL-5",
        ("baseline",),
        "a simple-baseline gate",
        "{kind: baseline, model: linear, metric: roc_auc, margin: 0.01}",
    ),
    "MODEL-6": lambda ev: gate_item(
        ev,
        "MODEL-6",
        ("slice",),
        "a slice gate",
        "{kind: slice, column: region, metric: recall, min: 0.6}",
    ),
    "MODEL-7": lambda ev: gate_item(
        ev,
        "MODEL-7",
        ("fairness",),
        "a fairness gate",
        "{kind: fairness, sensitive: sex, constraint: demographic_parity}",
    ),
}
