"""Which stream workers serve a deployment now, as its record says: each worker lists itself
under ``stats["workers"]`` (host, pid, group, and the URL of its ``/metrics`` and health
endpoints when it serves them) and beats a heartbeat there every :data:`HEARTBEAT_S`
seconds. Whoever reads the list (a rollout's controller, another worker) leaves out the
workers that stopped beating for :data:`STALE_AFTER_S` and those on this host whose process
no longer runs: a worker killed without saying so drops out of the list by itself."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from shipyard._store.deployments import DeploymentRepository
from shipyard.core.clock import utcnow
from shipyard.core.errors import ShipyardError
from shipyard.core.logging import get_logger

log = get_logger(__name__)

HEARTBEAT_S = 5.0
"""Seconds between a worker's heartbeats on its deployment's record."""
STALE_AFTER_S = 3 * HEARTBEAT_S + 5.0
"""A worker not heard from for this long is taken to be gone."""


def gone_workers(workers: Mapping[str, Any], host: str) -> list[str]:
    """The listed workers of this host whose process no longer runs (killed without saying
    so); workers on other hosts cannot be checked from here and are left alone."""
    gone = []
    for worker, about in workers.items():
        if not isinstance(about, Mapping) or about.get("host") != host:
            continue
        pid = about.get("pid")
        if not isinstance(pid, int):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            gone.append(worker)
        except PermissionError:
            pass  # runs, as another user
    return gone


def metrics_urls(
    stats: Mapping[str, Any] | None, host: str, now: datetime | None = None
) -> list[str]:
    """The ``/metrics`` base URLs of the workers serving now (heard from lately, not gone)."""
    workers = (stats or {}).get("workers") or {}
    if not isinstance(workers, Mapping):
        return []
    gone = set(gone_workers(workers, host))
    oldest = (now or utcnow()) - timedelta(seconds=STALE_AFTER_S)
    urls = []
    for worker, about in sorted(workers.items()):
        if worker in gone or not isinstance(about, Mapping):
            continue
        url, seen = about.get("metrics_url"), about.get("seen") or about.get("since")
        if not isinstance(url, str) or not isinstance(seen, str):
            continue
        try:
            fresh = datetime.fromisoformat(seen) >= oldest
        except ValueError:
            continue
        if fresh and url not in urls:
            urls.append(url)
    return urls


class Heartbeat:
    """Beats ``worker``'s heartbeat on ``deployment`` from a thread until closed (a store
    that cannot be reached is logged, and the next beat tries again)."""

    def __init__(self, repository: DeploymentRepository, deployment: str, worker: str,
                 about: Mapping[str, Any], interval: float = HEARTBEAT_S) -> None:  # fmt: skip
        self._repository, self._deployment = repository, deployment
        self._worker, self._about = worker, about
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shipyard-stream-heartbeat",
                                        daemon=True)  # fmt: skip

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._repository.worker_heartbeat(self._deployment, self._worker, self._about)
            except ShipyardError as exc:
                log.warning("the stream worker's heartbeat was not recorded: %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
