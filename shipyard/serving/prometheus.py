"""The Prometheus text exposition format, shared by the serving modes' ``/metrics``: counters
kept in plain dictionaries keyed by label tuples (an increment is a dict update, cheap enough
for every request or event), histograms with fixed buckets, and their rendering."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

Labels = tuple[tuple[str, str], ...]


class Histogram:
    def __init__(self, buckets: Iterable[float]) -> None:
        self.bounds = tuple(buckets)
        self.counts: dict[Labels, list[int]] = {}
        self.sums: dict[Labels, float] = defaultdict(float)

    def observe(self, labels: Labels, value: float, count: int = 1) -> None:
        """Record ``count`` observations of ``value``."""
        counts = self.counts.get(labels)
        if counts is None:
            counts = self.counts[labels] = [0] * (len(self.bounds) + 1)
        counts[bisect_left(self.bounds, value)] += count
        self.sums[labels] += value * count


def labels_text(labels: Labels, extra: str = "") -> str:
    parts = [f'{key}="{_escape(value)}"' for key, value in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def render_counter(lines: list[str], name: str, help_text: str, values: dict[Labels, int]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
    lines += [f"{name}{labels_text(labels)} {count}" for labels, count in sorted(values.items())]


def render_gauge(lines: list[str], name: str, help_text: str, values: dict[Labels, float]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{labels_text(labels)} {number(v)}" for labels, v in sorted(values.items())]


def render_histogram(lines: list[str], name: str, help_text: str, histogram: Histogram) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for labels, counts in sorted(histogram.counts.items()):
        total = 0
        for bound, count in zip((*histogram.bounds, None), counts, strict=True):
            total += count
            edge = "+Inf" if bound is None else number(bound)
            le = f'le="{edge}"'
            lines.append(f"{name}_bucket{labels_text(labels, le)} {total}")
        lines.append(f"{name}_sum{labels_text(labels)} {number(histogram.sums[labels])}")
        lines.append(f"{name}_count{labels_text(labels)} {total}")
