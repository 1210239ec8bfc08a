"""Hot swap: which model version scores the next batch.

A thread re-reads the stream deployment's plan (``shipyard.serving.plans``, as the online
router does) every ``poll_interval``; when the alias moved, it loads and warms the new version
off the event path and then publishes it with one assignment. The worker reads
:attr:`ModelFollower.current` once per batch, so a batch is scored by one version and the
swap happens between batches. A version that fails to load leaves the current one scoring,
and is tried again after ``RETRY_SECONDS``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shipyard._store.workspace import Workspace
from shipyard.core.logging import get_logger
from shipyard.models.flavors.base import Trust
from shipyard.models.loaded import LoadedModel
from shipyard.models.signature import Signature
from shipyard.registry import load_model
from shipyard.serving.online.variant import policy_signature
from shipyard.serving.plans import FollowFailures, Plan, read_plan
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


def primary_version(plan: Plan) -> int:
    """The version a stream scores with: the heaviest route (a stream has one, normally)."""
    return max(plan.routes, key=lambda route: route[1])[0]


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
    ) -> None:
        self.deployment = deployment
        self._workspace = workspace
        self._metrics = metrics
        self._interval = poll_interval
        self._unknown_categories = unknown_categories
        self._trusted = trusted
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = FollowFailures(deployment, metrics.event)
        plan = read_plan(deployment, workspace)
        self.model_name = plan.model
        self.current = self._load(primary_version(plan))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="shipyard-stream-follower",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.refresh()

    def refresh(self) -> bool:
        """Load and publish the plan's version if it changed; True when it did."""
        try:
            version = primary_version(read_plan(self.deployment, self._workspace))
        except Exception as exc:
            self.failures.poll_failed(exc)
            return False
        if version == self.current.version or self.failures.recently_failed(version):
            return False
        try:
            scorer = self._load(version)
        except Exception as exc:
            self.failures.load_failed(version, f"{self.model_name}/{version}", exc)
            return False
        before, self.current = self.current, scorer
        self.failures.clear()
        self._metrics.event("swap")
        log.info("swapped %s -> %s", before.label, scorer.label,
                 extra={"deployment": self.deployment})  # fmt: skip
        return True

    def _load(self, version: int) -> Scorer:
        model = load_model(f"{self.model_name}/{version}", workspace=self._workspace,
                           trusted=self._trusted, warm=True)  # fmt: skip
        signature = policy_signature(model.signature, self._unknown_categories)
        return Scorer(model, self.model_name, version, signature)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
