"""The evaluation report: Markdown for terminals and pull requests, HTML with plots for people.

Both are rendered by jinja2 templates shipped in this package from one view of an
:class:`EvaluationResult` (which :meth:`~EvaluationResult.from_dict` can rebuild from a stored
result). The HTML page is self-contained: styles are inline and every figure is an SVG data
URI, so it can be attached to a model version and opened anywhere, offline. The Markdown
report holds the same sections with the plotted numbers as tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shipyard.evaluation import plots
from shipyard.evaluation.gates import fmt
from shipyard.evaluation.result import EvaluationResult, GateOutcome
from shipyard.reports import template, write_files

BEHAVIOURAL = ("invariance", "directional", "minimum_functionality")
MAX_PLOTTED = 20
"""The importance bar plot shows at most this many features (the strongest); the table all."""


def render_markdown(result: EvaluationResult) -> str:
    """The report as GitHub-flavoured Markdown (tables, no images)."""
    text: str = _template("report.md.j2").render(report=_view(result, figures=False))
    return text


def render_html(result: EvaluationResult) -> str:
    """The report as one self-contained HTML page, figures inline."""
    text: str = _template("report.html.j2").render(report=_view(result, figures=True))
    return text


def write_report(result: EvaluationResult, directory: str | Path) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` into ``directory`` (created if needed).

    Returns the paths keyed ``"markdown"`` and ``"html"``.
    """
    rendered = {"markdown": render_markdown(result), "html": render_html(result)}
    return write_files(directory, rendered)


def _template(name: str) -> Any:
    return template("shipyard.evaluation", name, {"num": fmt, "cell": _cell})


def _cell(value: Any) -> str:
    """A value for a Markdown table cell: pipes escaped, numbers formatted."""
    if isinstance(value, float):
        return fmt(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _view(result: EvaluationResult, *, figures: bool) -> dict[str, Any]:
    return {
        "passed": result.passed,
        "verdict": "PASSED" if result.passed else "REJECTED",
        "summary": result.summary(),
        "task": result.task,
        "label": result.label,
        "positive_label": result.positive_label,
        "rows": result.rows,
        "gates": [_gate_row(gate) for gate in result.gates],
        "comparison": _comparison(result),
        "plots": _plots(result, figures),
        "slices": _slices(result, figures),
        "fairness": _fairness(result, figures),
        "behaviour": _behaviour(result),
        "importance": _importance(result, figures),
        "notes": result.notes,
    }


def _importance(result: EvaluationResult, figures: bool) -> dict[str, Any] | None:
    """Permutation importance (flagged features marked) beside the mean absolute SHAP value,
    their bar plot and, with SHAP, its beeswarm."""
    found = result.feature_importance
    if not found:
        return None
    shap = found.get("shap") or {}
    computed = shap.get("status") == "computed"
    by_shap = shap.get("importances", {}) if computed else {}
    ranked = found["features"][:MAX_PLOTTED]
    rows = [
        [row["feature"], fmt(row["importance"]), fmt(row["std"]),
         *([fmt(by_shap.get(row["feature"]))] if computed else []),
         "flagged: no benefit" if row["flagged"] else ""]
        for row in found["features"]
    ]  # fmt: skip
    bars = swarm = None
    if figures:
        bars = plots.importance_bars(
            [row["feature"] for row in ranked],
            [(row["importance"], row["std"]) for row in ranked],
            found["metric"],
            [by_shap.get(row["feature"]) for row in ranked] if computed else None,
        )
        points = (shap.get("beeswarm") or {}).get("points")
        if computed and points is not None:
            swarm = plots.beeswarm(points, str(shap.get("output", "raw")))
    return {
        "metric": found["metric"], "repeats": found["repeats"], "rows": rows,
        "sample_rows": found.get("rows"), "bars": bars, "beeswarm": swarm,
        "shap": {"computed": computed, "method": shap.get("method"), "rows": shap.get("rows"),
                 "reason": shap.get("reason")} if shap else None,
        "headers": ["feature", f"{found['metric']} loss", "std",
                    *(["mean |SHAP|"] if computed else []), ""],
    }  # fmt: skip


def _gate_row(gate: GateOutcome) -> dict[str, Any]:
    return {
        "name": gate.name,
        "kind": gate.kind,
        "passed": gate.passed,
        "result": "pass" if gate.passed else "FAIL",
        "observed": fmt(gate.observed),
        "threshold": fmt(gate.threshold),
        "margin": fmt(gate.margin),
        "message": gate.message,
        "note": gate.note,
    }


def _comparison(result: EvaluationResult) -> dict[str, Any]:
    """Metric rows: the candidate's value, then each baseline's and the difference."""
    headers = [
        f"{entry['version']} baseline" if entry.get("simple") else f"{alias} v{entry['version']}"
        for alias, entry in result.baselines.items()
    ]
    rows = []
    for name, value in result.metrics.items():
        direction = result.directions.get(name, "higher")
        cells = []
        for entry in result.baselines.values():
            reference = entry.get("metrics", {}).get(name)
            cells.append(_versus(value, reference, direction))
        rows.append(
            {
                "metric": name,
                "direction": f"{direction} is better",
                "value": fmt(value),
                "baselines": cells,
            }
        )
    errors = [
        f"{alias}: {entry['error']}"
        for alias, entry in result.baselines.items()
        if entry.get("error")
    ]
    return {"headers": headers, "rows": rows, "errors": errors}


def _versus(value: float | None, reference: float | None, direction: str) -> dict[str, str]:
    if value is None or reference is None or not math.isfinite(value):
        return {"value": fmt(reference), "delta": "", "trend": ""}
    delta = value - reference
    better = delta > 0 if direction == "higher" else delta < 0
    trend = "same" if abs(delta) < 1e-12 else ("better" if better else "worse")
    return {"value": fmt(reference), "delta": f"{delta:+.3f}", "trend": trend}


def _plots(result: EvaluationResult, figures: bool) -> list[dict[str, Any]]:
    curves, metrics = result.curves, result.metrics
    sections: list[dict[str, Any]] = []

    def add(key: str, title: str, caption: str, draw: Any, table: dict[str, Any]) -> None:
        sections.append(
            {
                "key": key,
                "title": title,
                "caption": caption,
                "table": table,
                "figure": draw() if figures else None,
            }
        )

    if "roc" in curves:
        auc = metrics.get("roc_auc")
        add(
            "roc",
            "ROC curve",
            f"Area under the curve: {fmt(auc)}.",
            lambda: plots.roc(curves["roc"], auc),
            _points(
                ("false positive rate", "true positive rate"),
                curves["roc"]["fpr"],
                curves["roc"]["tpr"],
            ),
        )
    if "pr" in curves:
        ap = metrics.get("average_precision", curves["pr"].get("average_precision"))
        add(
            "pr",
            "Precision-recall curve",
            f"Average precision: {fmt(ap)}; prevalence {fmt(curves['pr']['prevalence'])}.",
            lambda: plots.precision_recall(curves["pr"], ap),
            _points(("recall", "precision"), curves["pr"]["recall"], curves["pr"]["precision"]),
        )
    if "calibration" in curves:
        table = curves["calibration"]
        add(
            "calibration",
            "Calibration",
            "Mean predicted probability against the observed "
            "frequency of the positive label, per probability bin.",
            lambda: plots.calibration(table),
            {
                "headers": ["predicted", "observed", "rows"],
                "rows": [
                    [fmt(p), fmt(o), r]
                    for p, o, r in zip(
                        table["predicted"], table["observed"], table["rows"], strict=True
                    )
                ],
            },
        )
    if "confusion" in curves:
        table = curves["confusion"]
        labels = [str(label) for label in table["labels"]]
        add(
            "confusion",
            "Confusion matrix",
            "Rows: actual label; columns: predicted label.",
            lambda: plots.confusion(table),
            {
                "headers": ["actual \\ predicted", *labels],
                "rows": [[labels[i], *row] for i, row in enumerate(table["matrix"])],
            },
        )
    if "residuals" in curves:
        table = curves["residuals"]
        counts, edges = table["histogram"]["counts"], table["histogram"]["edges"]
        add(
            "residuals",
            "Residuals",
            f"Residual = actual - predicted; mean {fmt(table['mean'])}, "
            f"standard deviation {fmt(table['std'])}.",
            lambda: plots.residuals(table),
            {
                "headers": ["residual from", "to", "rows"],
                "rows": [[fmt(edges[i]), fmt(edges[i + 1]), counts[i]] for i in range(len(counts))],
            },
        )
    return sections


def _points(names: Sequence[str], xs: Sequence[float], ys: Sequence[float]) -> dict[str, Any]:
    """About ten points of a curve, for the Markdown table."""
    step = max(1, len(xs) // 10)
    picked = sorted(set(range(0, len(xs), step)) | {len(xs) - 1})
    return {"headers": list(names), "rows": [[fmt(xs[i]), fmt(ys[i])] for i in picked]}


def _slices(result: EvaluationResult, figures: bool) -> list[dict[str, Any]]:
    gated = {
        gate.details["column"]: gate.details
        for gate in result.gates
        if gate.kind == "slice" and "column" in gate.details
    }
    sections = []
    for column, table in result.slices.items():
        names = list(result.metrics)
        rows = [
            [row["value"], row["rows"], *(fmt(row["metrics"].get(n)) for n in names)]
            for row in table
        ]
        gate = gated.get(column)
        metric = gate["metric"] if gate else _first_defined(names, table)
        figure = None
        if figures and metric is not None:
            bounds = [] if gate is None else [gate.get("min"), gate.get("max")]
            threshold = next((b for b in bounds if b is not None), None)
            figure = plots.bars(
                f"{metric} by {column}",
                [row["value"] for row in table],
                {metric: [row["metrics"].get(metric) for row in table]},
                threshold=threshold,
                ylabel=metric,
            )
        sections.append(
            {"column": column, "headers": [column, "rows", *names], "rows": rows, "figure": figure}
        )
    return sections


def _first_defined(names: Sequence[str], table: list[dict[str, Any]]) -> str | None:
    for name in names:
        values = [row["metrics"].get(name) for row in table]
        if any(v is not None and math.isfinite(v) for v in values):
            return name
    return None


def _fairness(result: EvaluationResult, figures: bool) -> list[dict[str, Any]]:
    sections = []
    for sensitive, table in result.fairness.items():
        groups = table["groups"]
        rates = ("selection_rate", "true_positive_rate", "false_positive_rate")
        figure = None
        if figures:
            figure = plots.bars(
                f"Rates by {sensitive}",
                [g["group"] for g in groups],
                {rate.replace("_", " "): [g.get(rate) for g in groups] for rate in rates},
                ylabel="rate",
            )
        sections.append(
            {
                "sensitive": sensitive,
                "statistics": [[name, fmt(value)] for name, value in table["statistics"].items()],
                "headers": [sensitive, "rows", *(rate.replace("_", " ") for rate in rates)],
                "rows": [
                    [g["group"], g.get("rows"), *(fmt(g.get(rate)) for rate in rates)]
                    for g in groups
                ],
                "figure": figure,
            }
        )
    return sections


def _behaviour(result: EvaluationResult) -> list[dict[str, Any]]:
    sections = []
    for gate in result.gates:
        if gate.kind not in BEHAVIOURAL:
            continue
        details = gate.details
        if gate.kind == "minimum_functionality":
            headers = ["case", "input", "predicted", "score", "result"]
            rows = [
                [
                    c["case"],
                    _inline(c["input"]),
                    c["predicted"],
                    fmt(c["score"]),
                    "pass" if c["passed"] else f"FAIL: {c['reason']}",
                ]
                for c in details.get("cases", [])
            ]
        elif gate.kind == "invariance":
            headers = ["row", "changes", "prediction before → after"]
            rows = [
                [e["row"], _changes(e["changes"]), _arrow(e["prediction"])]
                for e in details.get("examples", [])
            ]
        else:
            headers = ["row", f"{details.get('column')} before → after", "score before → after"]
            rows = [
                [e["row"], _arrow(e["value"]), _arrow(e["score"])]
                for e in details.get("examples", [])
            ]
        counts = {k: v for k, v in details.items() if isinstance(v, int | float | str)}
        sections.append(
            {
                "name": gate.name,
                "kind": gate.kind,
                "passed": gate.passed,
                "message": gate.message,
                "counts": counts,
                "headers": headers,
                "rows": rows,
            }
        )
    return sections


def _inline(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in mapping.items())


def _arrow(pair: Sequence[Any]) -> str:
    before, after = (fmt(v) if isinstance(v, float) else str(v) for v in pair)
    return f"{before} → {after}"


def _changes(changes: dict[str, Sequence[Any]]) -> str:
    return ", ".join(f"{column}: {_arrow(pair)}" for column, pair in changes.items())
