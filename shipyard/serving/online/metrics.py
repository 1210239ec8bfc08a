"""Prometheus metrics of one server process, kept in plain dictionaries (an increment is a
dict update, cheap enough for every request) and rendered in the text exposition format
(``shipyard.serving.prometheus``, shared with the stream worker)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from shipyard.serving.prometheus import (
    LATENCY_BUCKETS,
    Histogram,
    Labels,
    number,
    render_counter,
    render_histogram,
)

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

__all__ = ["BATCH_BUCKETS", "LATENCY_BUCKETS", "Histogram", "Metrics"]


class Metrics:
    """Counters and histograms per model version (``version`` label ``NAME/N``)."""

    def __init__(self) -> None:
        self.requests: dict[Labels, int] = defaultdict(int)
        self.predictions: dict[Labels, int] = defaultdict(int)
        self.latency = Histogram(LATENCY_BUCKETS)
        self.batch_size = Histogram(BATCH_BUCKETS)
        self.events: dict[Labels, int] = defaultdict(int)
        self.unlogged: dict[Labels, int] = defaultdict(int)
        self.model_errors: dict[Labels, int] = defaultdict(int)
        self.readings: dict[str, tuple[str, str, Callable[[], float]]] = {}
        """Values read when rendered: name -> (``counter`` or ``gauge``, help text, reader)."""

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
        lines: list[str] = []
        render_counter(lines, "shipyard_requests_total", "Requests answered, by status.",
                       self.requests)  # fmt: skip
        render_counter(lines, "shipyard_predictions_total", "Rows predicted.", self.predictions)
        render_counter(lines, "shipyard_model_errors_total", "Rows of valid input the model "
                       "raised on (answered 500, not counted as client errors).",
                       self.model_errors)  # fmt: skip
        render_histogram(lines, "shipyard_request_duration_seconds", "Request latency.",
                         self.latency)  # fmt: skip
        render_histogram(lines, "shipyard_batch_size", "Requests per model call.",
                         self.batch_size)  # fmt: skip
        render_counter(lines, "shipyard_events_total", "Swaps, failures, skipped shadows.",
                       self.events)  # fmt: skip
        render_counter(lines, "shipyard_prediction_log_unlogged_rows_total",
                       "Predictions answered but not logged: the log was failing and full.",
                       self.unlogged)  # fmt: skip
        for name, (kind, help_text, read) in sorted(self.readings.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}",
                      f"{name} {number(read())}"]  # fmt: skip
        return "\n".join(lines) + "\n"
