"""One place that says what time it is, always timezone-aware UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def now_millis() -> int:
    """Milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000
