"""The report's figures, drawn with matplotlib and returned as inline SVG data URIs.

Figures are drawn on the non-interactive Agg canvas through matplotlib's object API (no
pyplot, so no global figure state and no GUI backend), and saved as SVG with text kept as text
and no timestamp, so the same result always gives the same bytes. matplotlib is imported on
first use.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from shipyard.reports import figure as new_figure, svg_data_uri

WIDTH, HEIGHT = 5.0, 3.6
COLORS = ("#2f6db5", "#e07b39", "#3a9a5b", "#c8453b", "#7b5ea7", "#8c8c8c")


def _figure(width: float = WIDTH, height: float = HEIGHT, *, bottom: float = 0.6) -> Any:
    """A figure with fixed margins (in inches): automatic layout costs more than drawing."""
    return new_figure(width, height, left=0.75 / width, right=1 - 0.2 / width,
                  bottom=bottom / height, top=1 - 0.4 / height, wspace=0.3)  # fmt: skip


def roc(curve: dict[str, Any], auc: float | None) -> str:
    figure, axes = _unit_square()
    label = "model" if auc is None else f"model (AUC {auc:.3f})"
    axes.plot(curve["fpr"], curve["tpr"], color=COLORS[0], label=label)
    axes.plot([0, 1], [0, 1], color=COLORS[5], linestyle="--", label="chance")
    return _finish(figure, axes, "ROC curve", "False positive rate", "True positive rate",
                   legend="lower right")  # fmt: skip


def precision_recall(curve: dict[str, Any], average_precision: float | None) -> str:
    figure, axes = _unit_square()
    label = "model" if average_precision is None else f"model (AP {average_precision:.3f})"
    axes.plot(curve["recall"], curve["precision"], color=COLORS[0], label=label)
    axes.axhline(curve["prevalence"], color=COLORS[5], linestyle="--", label="prevalence")
    return _finish(figure, axes, "Precision-recall curve", "Recall", "Precision",
                   legend="lower left")  # fmt: skip


def calibration(table: dict[str, Any]) -> str:
    figure, axes = _unit_square()
    axes.plot([0, 1], [0, 1], color=COLORS[5], linestyle="--", label="perfectly calibrated")
    axes.plot(table["predicted"], table["observed"], marker="o", color=COLORS[0], label="model")
    return _finish(figure, axes, "Calibration", "Mean predicted probability",
                   "Observed frequency", legend="upper left")  # fmt: skip


def _unit_square() -> tuple[Any, Any]:
    """A figure with one plot of rates or probabilities (both axes from 0 to 1)."""
    figure = _figure()
    return figure, figure.add_subplot()


def _finish(figure: Any, axes: Any, title: str, xlabel: str, ylabel: str, *, legend: str) -> str:
    """Title, labels and the 0-1 limits of a unit-square plot, its legend, as an SVG URI."""
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(0, 1), ylim=(0, 1.02))
    axes.legend(loc=legend)
    return svg_data_uri(figure)


def confusion(table: dict[str, Any]) -> str:
    labels = [str(label) for label in table["labels"]]
    matrix = table["matrix"]
    size = max(3.6, 0.5 * len(labels) + 2.0)
    figure = _figure(size + 0.8, size, bottom=0.9)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, shrink=0.8)
    peak = max((max(row) for row in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            color = "white" if count > peak / 2 else "black"
            axes.text(j, i, str(count), ha="center", va="center", color=color)
    axes.set_xticks(range(len(labels)), labels=labels, rotation=45 if len(labels) > 4 else 0)
    axes.set_yticks(range(len(labels)), labels=labels)
    axes.set(xlabel="Predicted", ylabel="Actual", title="Confusion matrix")
    return svg_data_uri(figure)


def residuals(table: dict[str, Any]) -> str:
    figure = _figure(9.0, HEIGHT)
    scatter, histogram = figure.subplots(1, 2)
    scatter.scatter(table["predicted"], table["residual"], s=6, alpha=0.5, color=COLORS[0])
    scatter.axhline(0.0, color=COLORS[5], linestyle="--")
    scatter.set(
        xlabel="Predicted",
        ylabel="Residual (actual - predicted)",
        title="Residuals against predictions",
    )
    edges = table["histogram"]["edges"]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    histogram.bar(
        edges[:-1],
        table["histogram"]["counts"],
        width=widths,
        align="edge",
        color=COLORS[0],
        edgecolor="white",
    )
    histogram.axvline(0.0, color=COLORS[5], linestyle="--")
    histogram.set(xlabel="Residual", ylabel="Rows", title="Distribution of residuals")
    return svg_data_uri(figure)


def bars(
    title: str,
    groups: Sequence[Any],
    series: dict[str, Sequence[float | None]],
    *,
    threshold: float | None = None,
    ylabel: str = "",
) -> str:
    """Grouped bars: one group per slice value (or sensitive group), one bar per series."""
    names = [str(group) for group in groups]
    rotate = len(names) > 5
    width = max(WIDTH, 0.45 * len(names) * max(1, len(series)) + 1.5)
    figure = _figure(width, HEIGHT + (0.6 if rotate else 0.0), bottom=1.2 if rotate else 0.6)
    axes = figure.add_subplot()
    bar = 0.8 / max(1, len(series))
    for k, (label, values) in enumerate(series.items()):
        heights = [0.0 if v is None else float(v) for v in values]
        positions = [i + (k - (len(series) - 1) / 2) * bar for i in range(len(names))]
        axes.bar(positions, heights, width=bar, label=label, color=COLORS[k % len(COLORS)])
    if threshold is not None:
        axes.axhline(threshold, color=COLORS[3], linestyle="--", label="threshold")
    axes.set_xticks(range(len(names)), labels=names, rotation=45 if rotate else 0)
    axes.set(title=title, ylabel=ylabel)
    if len(series) > 1 or threshold is not None:
        top = axes.get_ylim()[1]
        axes.set_ylim(top=top * 1.25)  # room for the legend above the bars
        axes.legend(loc="upper center", ncol=len(series) + 1, fontsize="small", frameon=False)
    return svg_data_uri(figure)
