"""Adaptive micro-batching: concurrent requests for one model version are predicted together.

Every request is queued and the batcher task is woken. Because asyncio runs ready tasks in
order, every request whose bytes arrived in the same loop iteration is queued before the
batcher runs, so the batcher takes them all (up to ``max_batch_size`` rows) in one model call.
It waits for more, at most ``max_wait`` seconds, only while other requests are being read or
while fewer requests are queued than clients sent requests lately (their next requests are on
their way). When only one client has been sending (concurrency 1) and nothing is queued, the
request is predicted in its own task at once, exactly as with batching off.
Prediction runs on the event loop: on a CPU-bound server a thread would only add switches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from shipyard.core.logging import get_logger

log = get_logger(__name__)


class Job:
    """One request's rows on their way through a model; ``run`` sets ``result`` or ``error``."""

    __slots__ = ("error", "future", "key", "records", "request_id", "result", "started")

    def __init__(self, records: list[dict[str, Any]], request_id: str, started: float) -> None:
        self.records = records
        self.request_id = request_id
        self.started = started
        self.future: asyncio.Future[None] | None = None
        self.result: list[Any] | None = None
        self.error: BaseException | None = None


class Gate:
    """What the batcher knows of the traffic: how many requests are between arrival and
    submission (being read or parsed), and how many clients sent requests lately, which is
    how many requests a batch can expect to gather under load (one at concurrency 1)."""

    __slots__ = ("_current", "_previous", "_window_start", "reading", "waiters", "window")

    def __init__(self, window: float = 0.25) -> None:
        self.reading = 0
        self.waiters: list[asyncio.Future[None]] = []
        self.window = window
        self._current: set[Any] = set()
        self._previous: set[Any] = set()
        self._window_start = 0.0

    def enter(self, client: Any = None, now: float = 0.0) -> None:
        self.reading += 1
        if client is not None:
            if now - self._window_start > self.window:
                self._previous, self._current = self._current, set()
                self._window_start = now
            self._current.add(client)

    def leave(self) -> None:
        self.reading -= 1
        self.signal()

    @property
    def expected(self) -> int:
        """Clients seen in the last one or two windows (at least 1)."""
        return max(len(self._current), len(self._previous), 1)

    def signal(self) -> None:
        if self.waiters:
            waiters, self.waiters = self.waiters, []
            for waiter in waiters:
                _wake(waiter)


class Batcher:
    def __init__(
        self,
        run: Callable[[list[Job]], None],
        gate: Gate,
        *,
        max_batch_size: int,
        max_wait: float,
        batching: bool = True,
        name: str = "",
    ) -> None:
        self._run = run
        self._gate = gate
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait
        self.batching = batching
        self.name = name
        self._queue: deque[Job] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def predict(self, job: Job) -> None:
        """Predict ``job``; on return ``job.result`` or ``job.error`` is set."""
        gate = self._gate
        if not self.batching or (not self._queue and gate.reading == 0 and gate.expected <= 1):
            self._run_safely([job])  # no one to wait for: no task switch either
            return
        job.future = asyncio.get_running_loop().create_future()
        self._enqueue(job)
        await job.future

    def submit_nowait(self, job: Job, *, limit: int) -> bool:
        """Queue ``job`` without waiting for it (shadows); False when ``limit`` jobs wait."""
        if len(self._queue) >= limit:
            return False
        self._enqueue(job)
        return True

    def _enqueue(self, job: Job) -> None:
        self._queue.append(job)
        self._idle.clear()
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)
        self._gate.signal()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._idle.set()
                self._wakeup = loop.create_future()
                await self._wakeup
                self._wakeup = None
            if self.batching and self.max_wait > 0:
                await self._gather(loop)
            batch = self._take()
            self._run_safely(batch)
            for job in batch:
                if job.future is not None and not job.future.done():
                    job.future.set_result(None)
            await asyncio.sleep(0)  # let the answers go out before the next batch

    async def _gather(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait, at most max_wait, while requests are being read or fewer rows are queued
        than the recent clients would send, and the batch is not full."""
        deadline = loop.time() + self.max_wait
        gate = self._gate
        while (rows := self._rows()) < self.max_batch_size and (
            gate.reading > 0 or rows < gate.expected
        ):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            waiter: asyncio.Future[None] = loop.create_future()
            self._gate.waiters.append(waiter)
            timer = loop.call_later(remaining, _wake, waiter)
            await waiter
            timer.cancel()

    def _rows(self) -> int:
        return sum(len(job.records) for job in self._queue)

    def _take(self) -> list[Job]:
        batch = [self._queue.popleft()]
        rows = len(batch[0].records)
        while self._queue and rows + len(self._queue[0].records) <= self.max_batch_size:
            job = self._queue.popleft()
            rows += len(job.records)
            batch.append(job)
        return batch

    def _run_safely(self, batch: list[Job]) -> None:
        try:
            self._run(batch)
        except Exception as exc:  # run sets errors per job; this is a bug guard
            log.exception("A batch failed as a whole")
            for job in batch:
                if job.result is None and job.error is None:
                    job.error = exc

    async def drain(self) -> None:
        """Wait until every queued job has been predicted."""
        if self._queue:
            await self._idle.wait()

    async def close(self) -> None:
        await self.drain()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
