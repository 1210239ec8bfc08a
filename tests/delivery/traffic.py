"""Live traffic for the rollout tests: threads sending one-row predictions to a real server
(and, when asked, the true label of each as feedback), until stopped."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import numpy as np

from tests.delivery.models import AGES

THREADS = 2


class Traffic:
    def __init__(self, url: str, *, feedback: bool = False, seed: int = 0) -> None:
        self.url = url
        self.feedback = feedback
        self.seed = seed
        self.answered: Counter[str] = Counter()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(seed + i,), daemon=True)
                        for i in range(THREADS)]  # fmt: skip

    def _run(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        labels: list[dict[str, object]] = []
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stop.is_set():
                age = int(rng.integers(*AGES))
                spend = round(float(rng.normal(50.0, 12.0)), 2)
                try:
                    response = client.post(
                        "/predict", json={"instances": [{"age": age, "spend": spend}]}
                    )
                except httpx.HTTPError:
                    self.answered["unreachable"] += 1
                    continue
                self.answered[
                    response.headers.get("x-shipyard-version", str(response.status_code))
                ] += 1
                if self.feedback and response.status_code == 200:
                    labels.append({"request_id": response.json()["request_id"],
                                   "label": int(spend > 50.0)})  # fmt: skip
                    if len(labels) >= 25:
                        client.post("/feedback", json={"feedback": labels})
                        labels = []


@contextlib.contextmanager
def traffic(url: str, *, feedback: bool = False, seed: int = 0) -> Iterator[Traffic]:
    running = Traffic(url, feedback=feedback, seed=seed)
    for thread in running.threads:
        thread.start()
    try:
        yield running
    finally:
        running.stop.set()
        for thread in running.threads:
            thread.join(timeout=15)
