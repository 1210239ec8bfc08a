"""Small inline-SVG figures drawn on the server: a parallel-coordinates plot and a heatmap.
(Series over steps or time are drawn in the browser by uPlot; the monitoring report's
matplotlib figures are reused where they fit.) Every figure says so when it has no data."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

COLORS = ("#1f5fa8", "#c25a13", "#2e7d4a", "#b0302a", "#6a4c9c", "#5c5c5c", "#8a6d00")


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _svg_open(width: float, height: float) -> str:
    return (f'<svg class="figure" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" ')  # fmt: skip


def _text(
    x: float, y: float, text: str, *, size: int = 11, anchor: str = "start", extra: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="#222"{extra}>{escape(text)}</text>'
    )


def _axis_scale(values: Sequence[Any]) -> tuple[Any, list[str]]:
    """A function mapping a value to 0..1 (None when missing) and the axis's tick labels."""
    present = [v for v in values if v is not None]
    numbers = [_float(v) for v in present]
    if present and all(n is not None for n in numbers):
        low, high = (
            min(n for n in numbers if n is not None),
            max(n for n in numbers if n is not None),
        )
        span = high - low or 1.0

        def numeric(value: Any) -> float | None:
            n = _float(value)
            return None if n is None else (n - low) / span

        return numeric, [f"{low:.4g}", f"{high:.4g}"]
    levels = sorted({str(v) for v in present})
    place = {
        level: (i / (len(levels) - 1) if len(levels) > 1 else 0.5) for i, level in enumerate(levels)
    }
    return (lambda value: None if value is None else place.get(str(value))), levels


def parallel_coordinates(
    rows: Sequence[Mapping[str, Any]], axes: Sequence[str], *, names: Sequence[str], title: str
) -> str:
    """One polyline per row across ``axes`` (numbers scaled to their range, text as levels)."""
    if not rows or len(axes) < 2:
        return (
            f'<p class="empty">{escape(title)}: needs at least two runs and two axes '
            "(params that differ, and a metric).</p>"
        )
    legend_rows = (len(rows) + 2) // 3
    width, height, top, bottom, left, right = 760, 300 + 18 * legend_rows, 36, 40, 50, 50
    plot_bottom = 300 - bottom
    step = (width - left - right) / (len(axes) - 1)
    scales = [_axis_scale([row.get(axis) for row in rows]) for axis in axes]
    parts = [
        _svg_open(width, height)
        + f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, (axis, (_, labels)) in enumerate(zip(axes, scales, strict=True)):
        x = left + index * step
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{plot_bottom}" stroke="#888"/>'
        )
        parts.append(_text(x, top - 18, axis, anchor="middle"))
        if labels:
            parts.append(_text(x + 3, plot_bottom + 14, labels[0], size=10))
            parts.append(_text(x + 3, top - 4, labels[-1], size=10))
    for row_index, row in enumerate(rows):
        points = []
        for index, (axis, (scale, _)) in enumerate(zip(axes, scales, strict=True)):
            place = scale(row.get(axis))
            if place is not None:
                y = plot_bottom - place * (plot_bottom - top)
                points.append(f"{left + index * step:.1f},{y:.1f}")
        color = COLORS[row_index % len(COLORS)]
        line = " ".join(points)
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{line}">'
            f"<title>{escape(names[row_index])}</title></polyline>"
        )
    for row_index, name in enumerate(names):
        x = left + (row_index % 3) * 230
        y = plot_bottom + 34 + 18 * (row_index // 3)
        color = COLORS[row_index % len(COLORS)]
        parts.append(f'<rect x="{x}" y="{y - 9}" width="14" height="4" fill="{color}"/>')
        parts.append(_text(x + 20, y, name, size=11))
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    scale_max: float,
    unit: str,
) -> str:
    """A grid of ``rows`` x ``columns``, each cell shaded by its value (0 to ``scale_max``)."""
    if not rows or not columns:
        return f'<p class="empty">{escape(title)}: no windows were monitored yet.</p>'
    cell_w, cell_h, left, top = max(24, min(80, 640 // len(columns))), 22, 150, 100
    width, height = left + cell_w * len(columns) + 10, top + cell_h * len(rows) + 30
    parts = [
        _svg_open(width, height)
        + f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<text x="{left}" y="14" font-size="11" fill="#222">{escape(title)} ({escape(unit)}; '
        f"darker is more, blank is not measured)</text>",
    ]
    for j, column in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        turn = f' transform="rotate(-35 {x:.1f} {top - 6})"'
        parts.append(_text(x, top - 6, column, size=9, anchor="start", extra=turn))
    for i, row in enumerate(rows):
        y = top + i * cell_h
        parts.append(_text(left - 6, y + 15, row, anchor="end"))
        for j, value in enumerate(values[i]):
            x = left + j * cell_w
            if value is None:
                fill = "#ffffff"
            else:
                share = max(0.0, min(1.0, value / scale_max if scale_max else 0.0))
                red, green, blue = (255 - int(share * k) for k in (200, 150, 60))
                fill = f"rgb({red},{green},{blue})"
            label = "not measured" if value is None else f"{value:.3g}"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" fill="{fill}" '
                f'stroke="#ddd"><title>{escape(f"{row} at {columns[j]}: {label}")}</title></rect>'
            )
    parts.append(_text(left, height - 8, "rows: features · columns: window end (UTC)", size=10))
    parts.append("</svg>")
    return "".join(parts)


def bars(
    labels: Sequence[str], counts: Sequence[float], *, title: str, xlabel: str, ylabel: str
) -> str:
    """A bar chart (a histogram's bins, or a category's counts) with labelled axes."""
    if not labels or not any(counts):
        return f'<p class="empty">{escape(title)}: no values to draw.</p>'
    width, height, left, bottom, top = 360, 190, 46, 44, 22
    inner_w, inner_h = width - left - 10, height - top - bottom
    most = max(counts) or 1.0
    slot = inner_w / len(labels)
    parts = [
        _svg_open(width, height)
        + f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        _text(left, 14, title, size=11),
        f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" y2="{top + inner_h}" '
        'stroke="#666"/>',
        _text(left + inner_w / 2, height - 6, xlabel, size=10, anchor="middle"),
        _text(
            12,
            top + inner_h / 2,
            ylabel,
            size=10,
            anchor="middle",
            extra=f' transform="rotate(-90 12 {top + inner_h / 2:.1f})"',
        ),
        _text(left - 4, top + 8, f"{most:.4g}", size=9, anchor="end"),
        _text(left - 4, top + inner_h, "0", size=9, anchor="end"),
    ]
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        bar_h = inner_h * (count / most)
        x = left + index * slot
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + inner_h - bar_h:.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{bar_h:.1f}" fill="#1f5fa8"><title>{escape(f"{label}: {count:g}")}'
            "</title></rect>"
        )
    if len(labels) <= 12:
        for index, label in enumerate(labels):
            x = left + (index + 0.5) * slot
            parts.append(_text(x, top + inner_h + 12, label[:10], size=9, anchor="middle"))
    else:
        parts.append(_text(left, top + inner_h + 12, labels[0], size=9))
        parts.append(_text(left + inner_w, top + inner_h + 12, labels[-1], size=9, anchor="end"))
    parts.append("</svg>")
    return "".join(parts)
