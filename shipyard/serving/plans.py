"""What a deployment should serve right now, read from the store: shared by every serving mode
that follows aliases as they move (the online router, the stream worker).

A :class:`Plan` is the deployment's routes with each alias resolved to its version now, and
its shadow versions. Comparing the plan of the last poll with the plan of this one is how a
server notices that an alias moved or the routes changed.
"""

from __future__ import annotations

import hashlib
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from shipyard._store.workspace import Workspace
from shipyard.core.logging import get_logger
from shipyard.serving.deploy import deployments_of

RETRY_SECONDS = 60.0
"""How long a plan whose versions failed to load waits before it is tried again."""

log = get_logger(__name__)


@dataclass(frozen=True)
class Plan:
    """What should be served: versions with weights, and shadow versions."""

    model: str
    routes: tuple[tuple[int, float], ...]
    shadows: tuple[int, ...]

    def describe(self) -> dict[str, Any]:
        return {"model": self.model,
                "routes": [{"version": v, "weight": w} for v, w in self.routes],
                "shadows": list(self.shadows)}  # fmt: skip


def read_plan(deployment: str, workspace: Workspace) -> Plan:
    """Read ``deployment`` and resolve its aliases now (blocking: call it off the event loop)."""
    record = deployments_of(workspace).get(deployment)
    routes = []
    for route in record.routes:
        if "alias" in route:
            target = workspace.models.resolve_alias(record.model_name, route["alias"])
            routes.append((target.version, float(route["weight"])))
        else:
            routes.append((int(route["version"]), float(route["weight"])))
    merged: dict[int, float] = {}
    for version, weight in routes:  # two routes to one version share one variant
        merged[version] = merged.get(version, 0.0) + weight
    shadows = tuple(v for v in record.shadows if v not in merged)
    return Plan(record.model_name, tuple(merged.items()), shadows)


class Split:
    """Which route a request or an event takes, by weight: a key (a request header, a message
    key) hashes to a stable point, so the same key always reaches the same route, in every
    server and stream worker, online or streaming; without a key the choice is random by
    weight."""

    def __init__(self, weights: Sequence[float]) -> None:
        self.weights = list(weights)
        self.cumulative = list(accumulate(self.weights))
        self.total = self.cumulative[-1]

    def index(self, key: bytes | None) -> int:
        """The position of the route ``key`` takes."""
        if len(self.weights) == 1:
            return 0
        if key:
            digest = hashlib.blake2b(key, digest_size=8).digest()
            fraction = int.from_bytes(digest, "big") / 2**64
        else:
            fraction = random.random()  # noqa: S311 - traffic split, not security
        return min(bisect_right(self.cumulative, fraction * self.total), len(self.weights) - 1)


class FollowFailures:
    """What went wrong while following a deployment, for the server that follows it.

    A target (a plan, a version) that failed to load is tried again only after
    :data:`RETRY_SECONDS`; each distinct error is logged once however often it repeats, and
    every failure is counted under its event name (``poll_failure``, ``swap_failure``).
    """

    def __init__(self, deployment: str, count: Callable[[str], None]) -> None:
        self.deployment = deployment
        self.last_error: str | None = None
        self._count = count
        self._failed: tuple[Hashable, float] | None = None

    def recently_failed(self, target: Hashable) -> bool:
        return (
            self._failed is not None
            and self._failed[0] == target
            and time.monotonic() - self._failed[1] < RETRY_SECONDS
        )

    def poll_failed(self, exc: Exception) -> None:
        self._report(f"cannot read the deployment: {exc}", "poll_failure")

    def load_failed(self, target: Hashable, what: object, exc: Exception) -> None:
        self._failed = (target, time.monotonic())
        self._report(f"cannot load {what}: {exc}", "swap_failure")

    def clear(self) -> None:
        """A swap succeeded: forget the last failure."""
        self._failed, self.last_error = None, None

    def _report(self, message: str, event: str) -> None:
        if message != self.last_error:
            log.error(message, extra={"deployment": self.deployment})
        self.last_error = message
        self._count(event)
