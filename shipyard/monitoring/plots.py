"""The monitoring report's figures: matplotlib on the Agg canvas through the object API (no
pyplot, no GUI, no global state), returned as inline SVG data URIs. matplotlib is imported on
first use so monitoring itself never pays for it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shipyard.reports import figure as new_figure, svg_data_uri

COLORS = ("#2f6db5", "#e07b39", "#3a9a5b", "#c8453b", "#7b5ea7", "#8c8c8c", "#b59b2f")


def _figure(width: float = 7.0, height: float = 3.4) -> Any:
    return new_figure(width, height, left=0.09, right=0.78, bottom=0.2, top=0.88)


def over_time(
    title: str,
    times: Sequence[datetime],
    series: Mapping[str, Sequence[float | None]],
    *,
    ylabel: str,
    line: float | None = None,
) -> str:
    """One line per series over the windows' end times (gaps where a value is missing)."""
    figure = _figure()
    axes = figure.add_subplot()
    for index, (name, values) in enumerate(series.items()):
        points = [float("nan") if v is None else v for v in values]
        axes.plot(times, points, marker="o", markersize=3, label=name,
                  color=COLORS[index % len(COLORS)])  # fmt: skip
    if line is not None:
        axes.axhline(line, color=COLORS[3], linestyle="--", linewidth=1, label="drift level")
    axes.set(title=title, ylabel=ylabel)
    axes.tick_params(axis="x", labelrotation=30, labelsize=7)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    return svg_data_uri(figure)


def distribution(name: str, reference: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    """Reference vs current: densities of a number's histograms, shares of a category's
    most frequent values."""
    figure = _figure(5.0, 3.0)
    figure.subplots_adjust(right=0.95, bottom=0.25)
    axes = figure.add_subplot()
    if "histogram" in current and reference.get("histogram"):
        for label, found, color in (("reference", reference["histogram"], COLORS[0]),
                                    ("current", current["histogram"], COLORS[1])):  # fmt: skip
            edges, counts = found["edges"], found["counts"]
            total = sum(counts) or 1.0
            widths = [max(b - a, 1e-12) for a, b in itertools.pairwise(edges)]
            density = [c / total / w for c, w in zip(counts, widths, strict=True)]
            axes.stairs(density, edges, label=label, color=color, linewidth=1.5)
        axes.set(ylabel="density")
    elif "frequencies" in current and reference.get("frequencies"):
        ref, cur = _shares(reference["frequencies"]), _shares(current["frequencies"])
        values = list(dict.fromkeys([*ref, *cur]))[:12]
        positions = range(len(values))
        axes.bar([p - 0.2 for p in positions], [ref.get(v, 0.0) for v in values], width=0.4,
                 label="reference", color=COLORS[0])  # fmt: skip
        axes.bar([p + 0.2 for p in positions], [cur.get(v, 0.0) for v in values], width=0.4,
                 label="current", color=COLORS[1])  # fmt: skip
        axes.set_xticks(list(positions), [str(v) for v in values], rotation=30, fontsize=7)
        axes.set(ylabel="share")
    axes.set(title=name)
    axes.legend(fontsize=7, frameon=False)
    return svg_data_uri(figure)


def _shares(frequencies: Mapping[str, Any]) -> dict[Any, float]:
    total = float(sum(frequencies["counts"])) or 1.0
    return {v: c / total for v, c in zip(frequencies["values"], frequencies["counts"], strict=True)}
