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


def importance_bars(
    features: Sequence[str],
    permutation: Sequence[tuple[float | None, float | None]],
    metric: str,
    shap: Sequence[float | None] | None,
) -> str:
    """Horizontal bars per feature (strongest first, top to bottom): the permutation importance
    with its spread (one standard deviation over the shuffles) and, beside it, the mean
    absolute SHAP value when there is one. Says so when there is nothing to draw."""
    panels = 1 if shap is None else 2
    height = max(2.4, 0.3 * len(features) + 1.4)
    left = _label_room(features)
    width = 4.6 * panels + left
    figure = new_figure(width, height, left=left / width, right=0.97, bottom=0.7 / height,
                        top=1 - 0.45 / height, wspace=0.08)  # fmt: skip
    axes = figure.subplots(1, panels, sharey=True, squeeze=False)[0]
    means = [0.0 if m is None else m for m, _ in permutation]
    spread = [0.0 if s is None else s for _, s in permutation]
    positions = list(range(len(features)))
    axes[0].barh(positions, means, xerr=spread, color=COLORS[0], ecolor=COLORS[5], capsize=2)
    axes[0].axvline(0.0, color=COLORS[5], linewidth=0.8)
    axes[0].set(xlabel=f"Permutation importance ({metric} loss)", ylabel="Feature",
                title="Permutation importance")  # fmt: skip
    if shap is not None:
        axes[1].barh(positions, [0.0 if v is None else v for v in shap], color=COLORS[1])
        axes[1].set(xlabel="Mean |SHAP value|", title="SHAP importance")
    axes[0].set_yticks(positions, labels=[str(f) for f in features])
    axes[0].invert_yaxis()
    if not features:
        _empty(axes[0], "No features to rank.")
    return svg_data_uri(figure)


def beeswarm(points: Sequence[dict[str, Any]], output: str) -> str:
    """SHAP's summary plot: one line per feature (strongest at the top), each explained row a
    dot at its SHAP value, coloured by the feature's value (blue low, red high, grey when not
    a number), dots that would overlap spread up and down."""
    from matplotlib import colormaps

    height = max(2.4, 0.34 * len(points) + 1.4)
    left = _label_room([p["feature"] for p in points])
    width = 5.6 + left
    figure = new_figure(width, height, left=left / width, right=0.92, bottom=0.7 / height,
                        top=1 - 0.45 / height)  # fmt: skip
    axes = figure.add_subplot()
    palette = colormaps["coolwarm"]
    drawn = None
    for row, point in enumerate(points):
        pairs = [(x, c) for x, c in zip(point["shap"], point["value"], strict=True)
                 if x is not None]  # fmt: skip
        xs = [x for x, _ in pairs]
        colors = [palette(c) if c is not None else "#9a9a9a" for _, c in pairs]
        offsets = _swarm(xs)
        drawn = axes.scatter(xs, [row + o for o in offsets], c=colors, s=9, linewidths=0)
    axes.axvline(0.0, color=COLORS[5], linewidth=0.8)
    axes.set_yticks(range(len(points)), labels=[str(p["feature"]) for p in points])
    axes.set_ylim(max(len(points), 1) - 0.5, -0.5)
    axes.set(xlabel=f"SHAP value (impact on the model's {output} output)", ylabel="Feature",
             title="SHAP summary")  # fmt: skip
    if drawn is None:
        _empty(axes, "No rows were explained.")
    else:
        from matplotlib.cm import ScalarMappable

        bar = figure.colorbar(ScalarMappable(cmap=palette), ax=axes, pad=0.02, aspect=30)
        bar.set_ticks([0, 1], labels=["low", "high"])
        bar.set_label("Feature value")
    return svg_data_uri(figure)


def _swarm(xs: Sequence[float], *, bins: int = 60, width: float = 0.4) -> list[float]:
    """Vertical offsets that spread the dots falling in one x bin: 0, +d, -d, +2d, …"""
    if not xs:
        return []
    low, high = min(xs), max(xs)
    span = (high - low) or 1.0
    counts: dict[int, int] = {}
    offsets = []
    for x in xs:
        slot = int((x - low) / span * (bins - 1))
        k = counts.get(slot, 0)
        counts[slot] = k + 1
        offsets.append(((k + 1) // 2) * (1 if k % 2 else -1))
    most = max(abs(o) for o in offsets) or 1
    return [o * min(width / most, 0.04) for o in offsets]


def _label_room(features: Sequence[Any]) -> float:
    """Inches left of the plot for the feature names and the axis label."""
    return min(3.2, 0.55 + 0.075 * max((len(str(f)) for f in features), default=8))


def _empty(axes: Any, message: str) -> None:
    axes.text(0.5, 0.5, message, transform=axes.transAxes, ha="center", va="center",
              color=COLORS[5])  # fmt: skip
