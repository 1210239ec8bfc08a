"""How an online server behaves: one frozen object, built from settings and command-line
options, and passed to worker processes as JSON."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings, load_settings

ENVIRONMENT_KEY = "SHIPYARD_SERVE_OPTIONS"
"""Worker processes read their options from this environment variable (JSON)."""

DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ServeOptions:
    """Everything a server process needs besides the model: where, how fast, how safe.

    ``deployment`` names the stored deployment to serve (see ``shipyard deploy``).
    ``max_batch_size`` and ``max_wait_ms`` bound adaptive micro-batching (``batching=False``
    predicts each request alone); a batch waits only while other requests are being read,
    never when the server is idle. ``poll_interval`` is how often the registry is asked
    whether an alias moved. ``tokens`` enable bearer authentication. ``extra`` and
    ``unknown_categories`` are the validation policies for unexpected columns and for
    categories the signature does not list. ``trusted`` allows models whose loading runs code
    (pickle); ``trusted_types`` names skops types to trust (added to the setting).
    ``threads`` caps the native thread pools (OpenMP, BLAS) of each server process, 1 by
    default: online batches are small, and a gradient-boosting model that starts an OpenMP
    team per call answers a single row two to three times slower with 2 threads than with 1
    (measured on 2 cores). Raise it for large batches on machines with cores to spare.
    ``log_failure`` says what happens to predictions while the prediction log is failing (its
    last write to storage failed): ``refuse`` answers them 503 at once, so every answered
    prediction is logged; ``answer`` answers them, queues their rows while there is room and
    counts the rows it could not queue (``shipyard_prediction_log_unlogged_rows_total``).
    Either way no request waits for the log.
    """

    deployment: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    batching: bool = True
    max_batch_size: int = 64
    max_wait_ms: float = 2.0
    poll_interval: float = 2.0
    max_body_bytes: int = 1_048_576
    tokens: tuple[str, ...] = ()
    extra: Literal["reject", "ignore"] = "reject"
    unknown_categories: Literal["reject", "allow"] = "reject"
    sticky_header: str = "x-shipyard-key"
    log_predictions: bool = True
    log_flush_interval: float = 2.0
    log_max_pending_rows: int = 100_000
    log_failure: Literal["refuse", "answer"] = "refuse"
    max_shadow_queue: int = 1_000
    access_log: bool = False
    trusted: bool = False
    trusted_types: tuple[str, ...] = ()
    graceful_timeout: float = 30.0
    threads: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        if self.workers < 1:
            problems.append("workers must be at least 1")
        if self.max_batch_size < 1:
            problems.append("max_batch_size must be at least 1")
        if self.max_wait_ms < 0:
            problems.append("max_wait_ms must not be negative")
        if self.poll_interval <= 0 or self.log_flush_interval <= 0:
            problems.append("poll_interval and log_flush_interval must be positive")
        if self.max_body_bytes < 1024:
            problems.append("max_body_bytes must be at least 1024")
        if not 0 <= self.port <= 65535:
            problems.append(f"port {self.port} is not a TCP port")
        if self.extra not in ("reject", "ignore"):
            problems.append("extra must be 'reject' or 'ignore'")
        if self.unknown_categories not in ("reject", "allow"):
            problems.append("unknown_categories must be 'reject' or 'allow'")
        if self.log_failure not in ("refuse", "answer"):
            problems.append("log_failure must be 'refuse' or 'answer'")
        if any(not token or len(token) < 8 for token in self.tokens):
            problems.append("every bearer token needs at least 8 characters")
        if problems:
            raise UsageError(f"Invalid serving options: {'; '.join(problems)}.")
        object.__setattr__(self, "sticky_header", self.sticky_header.lower())

    @property
    def native_threads(self) -> int:
        """Native threads each server process may use."""
        return max(1, self.threads or 1)

    def replace(self, **changes: Any) -> ServeOptions:
        return dataclasses.replace(self, **changes)

    def resolved_settings(self) -> Settings:
        """The workspace settings the server uses (overrides first, as everywhere)."""
        return load_settings(**self.settings)

    def to_json(self) -> str:
        return orjson.dumps(dataclasses.asdict(self), default=str).decode()

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        data = orjson.loads(text)
        data["tokens"] = tuple(data.get("tokens") or ())
        data["trusted_types"] = tuple(data.get("trusted_types") or ())
        return cls(**data)

    @classmethod
    def from_environment(cls) -> ServeOptions:
        text = os.environ.get(ENVIRONMENT_KEY)
        if not text:
            raise UsageError(f"{ENVIRONMENT_KEY} is not set; start servers with `shipyard serve`.")
        return cls.from_json(text)


def settings_defaults(settings: Settings) -> dict[str, Any]:
    """Serving defaults from settings, for fields the settings object defines."""
    names = {
        "serve_max_batch_size": "max_batch_size",
        "serve_max_wait_ms": "max_wait_ms",
        "serve_poll_interval": "poll_interval",
        "serve_max_body_bytes": "max_body_bytes",
        "prediction_log_flush_interval": "log_flush_interval",
        "prediction_log_max_pending_rows": "log_max_pending_rows",
        "serve_log_failure": "log_failure",
    }
    return {
        option: getattr(settings, name)
        for name, option in names.items()
        if getattr(settings, name, None) is not None
    }
