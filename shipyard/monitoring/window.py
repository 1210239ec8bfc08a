"""Monitor windows: ``1h``, ``30m``, ``1d`` ending now, or an explicit ``since``/``until``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shipyard.core.clock import utcnow
from shipyard.core.errors import UsageError

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | timedelta) -> timedelta:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"1d"``, ``"2w"`` as a timedelta."""
    if isinstance(text, timedelta):
        duration = text
    else:
        match = DURATION.match(str(text))
        if match is None:
            raise UsageError(
                f"{text!r} is not a duration.", hint="Write a number and a unit: 30s, 5m, 1h, 1d."
            )
        duration = timedelta(seconds=float(match[1]) * UNITS[match[2]])
    if duration <= timedelta(0):
        raise UsageError(f"The duration {text!r} must be positive.")
    return duration


def parse_time(text: str | datetime) -> datetime:
    """An ISO time (naive means UTC) as an aware UTC datetime."""
    if isinstance(text, datetime):
        moment = text
    else:
        try:
            moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"{text!r} is not a time.", hint="Write an ISO time, e.g. 2026-11-24T13:00."
            ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """The half-open interval [start, end) of prediction times a monitor run reads."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def dates(self) -> tuple[str, str]:
        """The first and last ``date=`` partitions the window touches."""
        last = self.end - timedelta(microseconds=1)
        return self.start.strftime("%Y-%m-%d"), last.strftime("%Y-%m-%d")

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M:%S} – {self.end:%Y-%m-%d %H:%M:%S} UTC"


def resolve_window(
    window: str | timedelta | None = "1h",
    *,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    now: datetime | None = None,
) -> Window:
    """The window ``since``..``until`` (``until`` defaults to now), or the last ``window``
    before ``until``."""
    end = parse_time(until) if until is not None else (now or utcnow()).astimezone(UTC)
    start = parse_time(since) if since is not None else end - parse_duration(window or "1h")
    if end <= start:
        raise UsageError(f"The window must end after it starts ({start} .. {end}).")
    return Window(start, end)
