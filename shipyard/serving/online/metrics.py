"""Prometheus metrics of one server process, kept in plain dictionaries (an increment is a
dict update, cheap enough for every request) and rendered in the text exposition format."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

Labels = tuple[tuple[str, str], ...]


class Histogram:
    def __init__(self, buckets: Iterable[float]) -> None:
        self.bounds = tuple(buckets)
        self.counts: dict[Labels, list[int]] = {}
        self.sums: dict[Labels, float] = defaultdict(float)

    def observe(self, labels: Labels, value: float) -> None:
        counts = self.counts.get(labels)
        if counts is None:
            counts = self.counts[labels] = [0] * (len(self.bounds) + 1)
        counts[bisect_left(self.bounds, value)] += 1
        self.sums[labels] += value


class Metrics:
    """Counters and histograms per model version (``version`` label ``NAME/N``)."""

    def __init__(self) -> None:
        self.requests: dict[Labels, int] = defaultdict(int)
        self.predictions: dict[Labels, int] = defaultdict(int)
        self.latency = Histogram(LATENCY_BUCKETS)
        self.batch_size = Histogram(BATCH_BUCKETS)
        self.events: dict[Labels, int] = defaultdict(int)
        self.gauges: dict[str, Callable[[], float]] = {}

    def request(self, endpoint: str, version: str, status: int, seconds: float) -> None:
        labels = (("endpoint", endpoint), ("version", version), ("status", str(status)))
        self.requests[labels] += 1
        self.latency.observe((("endpoint", endpoint), ("version", version)), seconds)

    def batch(self, version: str, role: str, rows: int, requests: int) -> None:
        labels = (("version", version), ("role", role))
        self.predictions[labels] += rows
        self.batch_size.observe(labels, requests)

    def event(self, name: str, **labels: str) -> None:
        """Count an event: ``swap``, ``swap_failure``, ``shadow_skipped``, ``log_failure``…"""
        self.events[(("event", name), *sorted(labels.items()))] += 1

    def render(self) -> str:
        lines: list[str] = []
        _counter(lines, "shipyard_requests_total", "Requests answered, by status.", self.requests)
        _counter(lines, "shipyard_predictions_total", "Rows predicted.", self.predictions)
        _histogram(lines, "shipyard_request_duration_seconds", "Request latency.", self.latency)
        _histogram(lines, "shipyard_batch_size", "Requests per model call.", self.batch_size)
        _counter(lines, "shipyard_events_total", "Swaps, failures, skipped shadows.", self.events)
        for name, read in sorted(self.gauges.items()):
            lines += [f"# TYPE {name} gauge", f"{name} {_number(read())}"]
        return "\n".join(lines) + "\n"


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{key}="{_escape(value)}"' for key, value in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _counter(lines: list[str], name: str, help_text: str, values: dict[Labels, int]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
    lines += [f"{name}{_labels(labels)} {count}" for labels, count in sorted(values.items())]


def _histogram(lines: list[str], name: str, help_text: str, histogram: Histogram) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for labels, counts in sorted(histogram.counts.items()):
        total = 0
        for bound, count in zip((*histogram.bounds, None), counts, strict=True):
            total += count
            edge = "+Inf" if bound is None else _number(bound)
            le = f'le="{edge}"'
            lines.append(f"{name}_bucket{_labels(labels, le)} {total}")
        lines.append(f"{name}_sum{_labels(labels)} {_number(histogram.sums[labels])}")
        lines.append(f"{name}_count{_labels(labels)} {total}")
