"""The stream worker's metrics in Prometheus' text format, served on 127.0.0.1 by a small HTTP
server in a thread: events in and out, dead letters by kind, errors, redeliveries, lag, and
latency (end to end, from when the event entered the source to when its result was handed to
the sink; and the worker's own time per batch)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from shipyard.core.errors import ConflictError
from shipyard.serving.prometheus import (
    LATENCY_BUCKETS,
    Histogram,
    Labels,
    render_counter,
    render_gauge,
    render_histogram,
)

END_TO_END_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                      10.0, 30.0, 60.0)  # fmt: skip


class StreamMetrics:
    """Counters of one worker process (updated by the worker thread only, read by scrapes)."""

    def __init__(self, source: str) -> None:
        self.source = (("source", source),)
        self.events_in: dict[Labels, int] = defaultdict(int)
        self.events_out: dict[Labels, int] = defaultdict(int)
        self.dead_letters: dict[Labels, int] = defaultdict(int)
        self.acknowledged: dict[Labels, int] = defaultdict(int)
        self.redelivered: dict[Labels, int] = defaultdict(int)
        self.events: dict[Labels, int] = defaultdict(int)
        self.model_errors: dict[Labels, int] = defaultdict(int)
        self.shadow_events: dict[Labels, int] = defaultdict(int)
        self.shadow_errors: dict[Labels, int] = defaultdict(int)
        self.end_to_end = Histogram(END_TO_END_BUCKETS)
        self.batch_seconds = Histogram(LATENCY_BUCKETS)
        self.lag: int | None = None
        self.gauges: dict[str, Callable[[], float]] = {}

    def received(self, count: int, redelivered: int) -> None:
        self.events_in[self.source] += count
        if redelivered:
            self.redelivered[self.source] += redelivered

    def scored(self, version: str, count: int, seconds: float) -> None:
        labels = (("version", version),)
        self.events_out[labels] += count
        self.batch_seconds.observe(labels, seconds)

    def dead(self, kind: str, count: int = 1) -> None:
        self.dead_letters[(("kind", kind),)] += count

    def model_error(self, version: str) -> None:
        """Count an event of valid input the model raised on (a server-side error)."""
        self.model_errors[(("version", version),)] += 1

    def shadowed(self, version: str, count: int) -> None:
        """Count events a shadow version scored (logged, never answered)."""
        self.shadow_events[(("version", version),)] += count

    def shadow_failed(self, version: str, count: int) -> None:
        """Count events a shadow version could not score (never dead-lettered)."""
        self.shadow_errors[(("version", version),)] += count

    def event(self, name: str) -> None:
        """Count ``swap``, ``swap_failure``, ``trust_failure``, ``poll_failure``…"""
        self.events[(("event", name),)] += 1

    def render(self) -> str:
        lines: list[str] = []
        render_counter(lines, "shipyard_stream_events_in_total", "Events read.", self.events_in)
        render_counter(lines, "shipyard_stream_events_out_total", "Results sent, by version.",
                       self.events_out)  # fmt: skip
        render_counter(lines, "shipyard_stream_dead_letters_total", "Events sent to the "
                       "dead-letter destination, by kind.", self.dead_letters)  # fmt: skip
        render_counter(lines, "shipyard_stream_model_errors_total", "Events of valid input the "
                       "model raised on (dead-lettered as kind prediction).",
                       self.model_errors)  # fmt: skip
        render_counter(lines, "shipyard_stream_shadow_events_total", "Events a shadow version "
                       "scored (logged, never answered), by version.",
                       self.shadow_events)  # fmt: skip
        render_counter(lines, "shipyard_stream_shadow_errors_total", "Events a shadow version "
                       "could not score, by version.", self.shadow_errors)  # fmt: skip
        render_counter(lines, "shipyard_stream_acknowledged_total", "Events acknowledged "
                       "after their results were delivered.", self.acknowledged)  # fmt: skip
        render_counter(lines, "shipyard_stream_redelivered_total", "Events taken over from a "
                       "worker that died (possible duplicates).", self.redelivered)  # fmt: skip
        render_counter(lines, "shipyard_stream_worker_events_total", "Swaps, errors, failures.",
                       self.events)  # fmt: skip
        render_histogram(lines, "shipyard_stream_end_to_end_seconds", "From the event entering "
                         "the source to its result sent.", self.end_to_end)  # fmt: skip
        render_histogram(lines, "shipyard_stream_batch_seconds", "Worker time per batch.",
                         self.batch_seconds)  # fmt: skip
        gauges: dict[Labels, float] = {} if self.lag is None else {self.source: self.lag}
        render_gauge(lines, "shipyard_stream_lag_events", "Events in the source not yet "
                     "processed by the group.", gauges)  # fmt: skip
        for name, read in sorted(self.gauges.items()):
            render_gauge(lines, name, name.replace("_", " ") + ".", {(): read()})
        return "\n".join(lines) + "\n"


class MetricsServer:
    """``GET /metrics``, ``/health/live`` and ``/health/ready`` on 127.0.0.1:``port``.

    ``/health/ready`` answers 200 or 503 with a JSON body: ``status`` and what ``describe``
    says (the versions scoring, and ``load_failure``: a newer plan of the deployment that
    cannot be loaded, while the current versions go on scoring)."""

    def __init__(
        self,
        metrics: StreamMetrics,
        port: int,
        ready: Callable[[], bool],
        describe: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        handler = _handler(metrics, ready, describe or dict)
        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as exc:
            raise ConflictError(f"Cannot serve metrics on 127.0.0.1:{port}: {exc.strerror}.",
                                hint="Choose another --metrics-port.") from exc  # fmt: skip
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="shipyard-stream-metrics", daemon=True)  # fmt: skip

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(
    metrics: StreamMetrics, ready: Callable[[], bool], describe: Callable[[], dict[str, Any]]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._answer(200, metrics.render(), "text/plain; version=0.0.4")
            elif self.path == "/health/live":
                self._answer(200, "live\n")
            elif self.path == "/health/ready":
                is_ready = ready()
                body = {"status": "ready" if is_ready else "not ready", **describe()}
                self._answer(200 if is_ready else 503, orjson.dumps(body).decode(),
                             "application/json")  # fmt: skip
            else:
                self._answer(404, "not found\n")

        def _answer(self, status: int, body: str, kind: str = "text/plain") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
