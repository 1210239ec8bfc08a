"""How a stream worker behaves: one frozen object, built from ``stream(...)`` keywords or the
command line, stored as the stream deployment's config."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from shipyard.core.errors import UsageError
from shipyard.serving.stream.endpoints import Endpoint, parse_endpoint


@dataclass(frozen=True)
class StreamOptions:
    """``source``/``sink``/``dead_letter`` are ``kafka://HOST:PORT/TOPIC`` or
    ``redis://HOST:PORT/STREAM`` URLs (dead letters default to ``<source name>.dead-letter``
    next to the sink). ``group`` is the consumer group: workers of one group share the work.

    ``max_batch`` events are read, validated and predicted together, waiting at most
    ``max_wait_ms`` for them. While the source is backlogged (reads come back full) batches
    grow, doubling, up to ``batch_growth`` × ``max_batch`` events, which spreads the model's
    fixed cost per call over more events; they shrink back as soon as reads come back short,
    so a source that keeps up sees ``max_batch`` at most (``batch_growth=1``: never grow).
    ``poll_interval`` is how often the registry is asked whether the alias moved. ``extra`` is
    what happens to event fields the signature does not name (ignored by default: events
    often carry ids and timestamps). ``start`` is where a new
    group begins: the ``earliest`` event kept, or only events arriving from now (``latest``).
    ``claim_idle_ms``: Redis events left pending that long by a dead worker are taken over.
    ``consumer_options``/``producer_options`` go to librdkafka as they are (security, timeouts).
    ``connect_timeout`` bounds the first contact with each broker (an unreachable one is an
    error), ``drain_timeout`` the wait for in-flight results at shutdown.
    ``metrics_port`` serves ``/metrics`` on 127.0.0.1 (0 picks a free port; None: no server).
    """

    source: str
    sink: str
    group: str
    dead_letter: str | None = None
    max_batch: int = 500
    max_wait_ms: float = 20.0
    batch_growth: int = 4
    poll_interval: float = 2.0
    extra: Literal["reject", "ignore"] = "ignore"
    unknown_categories: Literal["reject", "allow"] = "reject"
    start: Literal["earliest", "latest"] = "earliest"
    claim_idle_ms: int = 30_000
    log_predictions: bool = True
    log_flush_interval: float = 2.0
    metrics_port: int | None = None
    drain_timeout: float = 30.0
    connect_timeout: float = 10.0
    trusted: bool = False
    trusted_types: tuple[str, ...] = ()
    consumer_options: dict[str, Any] = field(default_factory=dict)
    producer_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        if not self.group or not self.group.strip():
            problems.append("group must name the consumer group")
        if self.max_batch < 1 or self.batch_growth < 1:
            problems.append("max_batch and batch_growth must be at least 1")
        if self.max_wait_ms < 0 or self.poll_interval <= 0 or self.log_flush_interval <= 0:
            problems.append("max_wait_ms must not be negative, poll_interval and "
                            "log_flush_interval must be positive")  # fmt: skip
        if self.extra not in ("reject", "ignore"):
            problems.append("extra must be 'reject' or 'ignore'")
        if self.unknown_categories not in ("reject", "allow"):
            problems.append("unknown_categories must be 'reject' or 'allow'")
        if self.start not in ("earliest", "latest"):
            problems.append("start must be 'earliest' or 'latest'")
        if self.connect_timeout <= 0 or self.drain_timeout <= 0:
            problems.append("connect_timeout and drain_timeout must be positive")
        if self.claim_idle_ms < 100:
            problems.append("claim_idle_ms must be at least 100")
        if self.metrics_port is not None and not 0 <= self.metrics_port <= 65535:
            problems.append(f"metrics_port {self.metrics_port} is not a TCP port")
        if problems:
            raise UsageError(f"Invalid stream options: {'; '.join(problems)}.")
        self.endpoints()  # every URL parses, or a UsageError names the bad one

    def endpoints(self) -> tuple[Endpoint, Endpoint, Endpoint]:
        """Source, sink and dead-letter endpoints."""
        source = parse_endpoint(self.source, "source")
        sink = parse_endpoint(self.sink, "sink")
        if self.dead_letter is not None:
            dead = parse_endpoint(self.dead_letter, "dead-letter destination")
        else:
            dead = dataclasses.replace(sink, name=f"{source.name}.dead-letter")
        if (sink.broker, sink.name) == (source.broker, source.name):
            raise UsageError("The sink is the source: results would be read back as events.",
                             hint="Write results to another topic or stream.")  # fmt: skip
        return source, sink, dead

    def config(self) -> dict[str, Any]:
        """What the deployment record keeps (no secrets: passwords and client options out)."""
        source, sink, dead = self.endpoints()
        return {"source": str(source), "sink": str(sink), "dead_letter": str(dead),
                "group": self.group, "max_batch": self.max_batch,
                "batch_growth": self.batch_growth, "extra": self.extra,
                "start": self.start}  # fmt: skip
