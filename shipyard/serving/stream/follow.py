"""Which versions score the next batch: the deployment's routes, followed as they change.

A thread re-reads the stream deployment's plan (``shipyard.serving.plans``, as the online
router does) every ``poll_interval``; when an alias moved or the routes changed, it loads and
warms the new versions off the event path and then publishes new :class:`Routes` with one
assignment. The worker reads :attr:`ModelFollower.current` once per batch, so a batch is split
by one set of routes and the swap happens between batches. Plans that fail to load leave the
current routes scoring, are tried again after ``RETRY_SECONDS``, and are reported through
``on_failure`` (the worker records them on the deployment); a version refused because its
loading would run untrusted code is told apart, as ``trust``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shipyard._store.workspace import Workspace
from shipyard.core.errors import UnsafeModelError
from shipyard.core.logging import get_logger
from shipyard.models.flavors.base import Trust
from shipyard.models.loaded import LoadedModel
from shipyard.models.signature import Signature
from shipyard.registry import load_model
from shipyard.serving.online.variant import policy_signature
from shipyard.serving.plans import FollowFailures, Plan, Split, read_plan
from shipyard.serving.stream.events import Headers, result_headers
from shipyard.serving.stream.metrics import StreamMetrics

log = get_logger(__name__)


@dataclass(frozen=True)
class Scorer:
    """A loaded version as the worker uses it."""

    model: LoadedModel
    name: str
    version: int
    signature: Signature

    @property
    def names(self) -> frozenset[str]:
        """The signature's input columns."""
        return frozenset(self.signature.names)

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"

    def headers(self, latency_ms: float) -> Headers:
        return result_headers(self.name, self.version, latency_ms)


@dataclass(frozen=True)
class Routes:
    """The versions that answer (each with its weight) and the shadows, as one immutable
    object: events are split between ``served`` by message key, as requests are online."""

    plan: Plan
    served: tuple[Scorer, ...]
    shadows: tuple[Scorer, ...]
    split: Split = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "split", Split([weight for _, weight in self.plan.routes]))

    @property
    def primary(self) -> Scorer:
        """The heaviest route: it names the version of dead letters that no route scored."""
        return self.served[self.split.weights.index(max(self.split.weights))]

    def assign(self, keys: Sequence[bytes | None], positions: Sequence[int]) -> list[list[int]]:
        """For each served version, the indices (into ``positions``) of the events it scores."""
        groups: list[list[int]] = [[] for _ in self.served]
        if len(self.served) == 1:
            groups[0] = list(range(len(positions)))
            return groups
        index = self.split.index
        for i, position in enumerate(positions):
            groups[index(keys[position])].append(i)
        return groups

    def describe(self) -> dict[str, Any]:
        return {"serving": [s.label for s in self.served], "weights": self.split.weights,
                "shadows": [s.label for s in self.shadows]}  # fmt: skip


FailureReport = Callable[[dict[str, Any] | None], None]
"""Told what failed to load (None once a plan loads again)."""


class ModelFollower:
    def __init__(
        self,
        deployment: str,
        workspace: Workspace,
        metrics: StreamMetrics,
        *,
        poll_interval: float,
        unknown_categories: str,
        trusted: Trust,
        on_failure: FailureReport | None = None,
    ) -> None:
        self.deployment = deployment
        self._workspace = workspace
        self._metrics = metrics
        self._interval = poll_interval
        self._unknown_categories = unknown_categories
        self._trusted = trusted
        self._on_failure = on_failure
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = FollowFailures(deployment, metrics.event)
        self.failure: dict[str, Any] | None = None
        """What last failed to load (None while the deployment's plan is served)."""
        plan = read_plan(deployment, workspace)
        self.model_name = plan.model
        self.current = self._build(plan, {})

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="shipyard-stream-follower",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.refresh()

    def refresh(self) -> bool:
        """Load and publish the deployment's plan if it changed; True when it did."""
        try:
            plan = read_plan(self.deployment, self._workspace)
        except Exception as exc:
            self.failures.poll_failed(exc)
            return False
        current = self.current
        if plan == current.plan or self.failures.recently_failed(plan):
            return False
        try:
            routes = self._build(plan, {s.version: s for s in (*current.served,
                                                                 *current.shadows)})  # fmt: skip
        except Exception as exc:
            self.failures.load_failed(plan, plan.describe(), exc)
            self._failed(plan, exc)
            return False
        self.current = routes
        self.failures.clear()
        self._metrics.event("swap")
        if self.failure is not None:
            self.failure = None
            self._report(None)
        log.info("swapped %s -> %s", current.describe(), routes.describe(),
                 extra={"deployment": self.deployment})  # fmt: skip
        return True

    def _failed(self, plan: Plan, exc: Exception) -> None:
        trust = isinstance(exc, UnsafeModelError)
        if trust:
            self._metrics.event("trust_failure")
        self.failure = {
            "plan": plan.describe(),
            "error": str(exc),
            "kind": "trust" if trust else "load",
            "hint": getattr(exc, "hint", None),
        }
        self._report(self.failure)

    def _report(self, failure: dict[str, Any] | None) -> None:
        if self._on_failure is None:
            return
        try:
            self._on_failure(failure)
        except Exception:  # recording it must never stop the worker
            log.exception("recording a load failure failed", extra={"deployment": self.deployment})

    def _build(self, plan: Plan, loaded: dict[int, Scorer]) -> Routes:
        scorers = dict(loaded)
        for version in [v for v, _ in plan.routes] + list(plan.shadows):
            if version not in scorers:
                scorers[version] = self._load(version)
        served = tuple(scorers[v] for v, _ in plan.routes)
        return Routes(plan, served, tuple(scorers[v] for v in plan.shadows))

    def _load(self, version: int) -> Scorer:
        model = load_model(f"{self.model_name}/{version}", workspace=self._workspace,
                           trusted=self._trusted, warm=True)  # fmt: skip
        signature = policy_signature(model.signature, self._unknown_categories)
        return Scorer(model, self.model_name, version, signature)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
