"""Prometheus metrics of one server process, kept in plain dictionaries (an increment is a
dict update, cheap enough for every request) and rendered in the text exposition format
(``shipyard.serving.prometheus``, shared with the stream worker). A worker of a server with
several (``directory`` set) also writes them through to its file there and renders the sum over
all the server's workers (:mod:`shipyard.serving.online.worker_metrics`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from shipyard.serving.online.worker_metrics import (
    Merged,
    SharedCounts,
    SharedHistogram,
    ValueFile,
    worker_file,
)
from shipyard.serving.prometheus import (
    LATENCY_BUCKETS,
    Histogram,
    Labels,
    labels_text,
    number,
    render_counter,
    render_gauge,
    render_histogram,
)

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

__all__ = ["BATCH_BUCKETS", "LATENCY_BUCKETS", "Histogram", "Metrics"]


class Metrics:
    """Counters and histograms per model version (``version`` label ``NAME/N``)."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory
        self.file: ValueFile | None = None if directory is None else worker_file(directory)
        self.requests = self._counts("requests")
        self.predictions = self._counts("predictions")
        self.latency = self._histogram("latency", LATENCY_BUCKETS)
        self.batch_size = self._histogram("batch_size", BATCH_BUCKETS)
        self.events = self._counts("events")
        self.unlogged = self._counts("unlogged")
        self.model_errors = self._counts("model_errors")
        self.readings: dict[str, tuple[str, str, Callable[[], float]]] = {}
        """Values read when rendered: name -> (``counter`` or ``gauge``, help text, reader)."""

    def _counts(self, metric: str) -> dict[Labels, int]:
        return defaultdict(int) if self.file is None else SharedCounts(metric, self.file)

    def _histogram(self, metric: str, buckets: tuple[float, ...]) -> Histogram:
        return (
            Histogram(buckets) if self.file is None else SharedHistogram(metric, self.file, buckets)
        )

    def publish(self) -> None:
        """Write the readings' current values into this worker's file (with workers)."""
        if self.file is not None:
            for name, (_, _, read) in self.readings.items():
                self.file.set((name, "reading", ()), float(read()))

    def close(self) -> None:
        """Publish the readings a last time (the file stays mapped until the process exits,
        so an increment made later still counts, and stays in the directory for the sums)."""
        self.publish()

    def reading(self, name: str, kind: str, help_text: str, read: Callable[[], float]) -> None:
        """Render ``read()`` as metric ``name`` (a counter's name ends in ``_total``)."""
        self.readings[name] = (kind, help_text, read)

    def request(self, endpoint: str, version: str, status: int, seconds: float) -> None:
        labels = (("endpoint", endpoint), ("version", version), ("status", str(status)))
        self.requests[labels] += 1
        self.latency.observe((("endpoint", endpoint), ("version", version)), seconds)

    def batch(self, version: str, role: str, rows: int, requests: int) -> None:
        labels = (("version", version), ("role", role))
        self.predictions[labels] += rows
        self.batch_size.observe(labels, requests)

    def model_error(self, version: str, rows: int) -> None:
        """Count rows of valid input the model raised on (a server-side error, not a 422)."""
        self.model_errors[(("version", version),)] += rows

    def event(self, name: str, **labels: str) -> None:
        """Count an event: ``swap``, ``swap_failure``, ``shadow_skipped``, ``log_failure``…"""
        self.events[(("event", name), *sorted(labels.items()))] += 1

    def render(self) -> str:
        """This process's metrics, or with workers the sum over all the server's workers."""
        if self.directory is None:
            return _render(self, {name: {(): read()} for name, (_, _, read) in
                                  self.readings.items()})  # fmt: skip
        self.publish()
        gauges = frozenset(name for name, (kind, _, _) in self.readings.items() if kind == "gauge")
        merged = Merged(self.directory, gauges)
        view = Metrics()
        view.readings = self.readings
        for metric in ("requests", "predictions", "events", "unlogged", "model_errors"):
            setattr(view, metric, merged.counts(metric))
        view.latency = merged.histogram("latency", LATENCY_BUCKETS)
        view.batch_size = merged.histogram("batch_size", BATCH_BUCKETS)
        return _render(view, {name: dict(merged.readings.get(name, {})) for name in
                              self.readings})  # fmt: skip


def _render(metrics: Metrics, readings: dict[str, dict[Labels, Any]]) -> str:
    """The exposition of ``metrics``, with each reading's values (by labels) given."""
    lines: list[str] = []
    render_counter(lines, "shipyard_requests_total", "Requests answered, by status.",
                   metrics.requests)  # fmt: skip
    render_counter(lines, "shipyard_predictions_total", "Rows predicted.", metrics.predictions)
    render_counter(lines, "shipyard_model_errors_total", "Rows of valid input the model "
                   "raised on (answered 500, not counted as client errors).",
                   metrics.model_errors)  # fmt: skip
    render_histogram(lines, "shipyard_request_duration_seconds", "Request latency.",
                     metrics.latency)  # fmt: skip
    render_histogram(lines, "shipyard_batch_size", "Requests per model call.",
                     metrics.batch_size)  # fmt: skip
    render_counter(lines, "shipyard_events_total", "Swaps, failures, skipped shadows.",
                   metrics.events)  # fmt: skip
    render_counter(lines, "shipyard_prediction_log_unlogged_rows_total",
                   "Predictions answered but not logged: the log was failing and full.",
                   metrics.unlogged)  # fmt: skip
    for name, (kind, help_text, _) in sorted(metrics.readings.items()):
        if kind == "counter":
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            lines += [f"{name}{labels_text(labels)} {number(value)}"
                      for labels, value in sorted(readings.get(name, {}).items())]  # fmt: skip
        else:
            render_gauge(lines, name, help_text, readings.get(name, {}))
    return "\n".join(lines) + "\n"
