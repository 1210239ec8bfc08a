"""Buffered metric writes: ``log_metric`` appends to memory; a background thread writes
batches every flush interval (or sooner when the buffer fills), and ``flush`` writes the rest.

A failed write keeps its batch for the next attempt, so nothing is dropped; the error surfaces
at the next ``flush``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from shipyard._store.runs import MetricRow
from shipyard.core.logging import get_logger

log = get_logger(__name__)

Writer = Callable[[Sequence[MetricRow]], None]


class MetricBuffer:
    def __init__(self, write: Writer, *, interval: float, max_pending: int) -> None:
        self._write = write
        self._interval = interval
        self._max_pending = max_pending
        self._pending: list[MetricRow] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.written = 0

    def add(self, row: MetricRow) -> None:
        with self._lock:
            self._pending.append(row)
            size = len(self._pending)
        self._added(size)

    def extend(self, rows: Sequence[MetricRow]) -> None:
        with self._lock:
            self._pending.extend(rows)
            size = len(self._pending)
        self._added(size)

    def _added(self, size: int) -> None:
        if self._thread is None:
            self._start()
        if size >= self._max_pending:
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="shipyard-metrics", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._closed:
                break
            try:
                self._drain()
            except Exception as exc:  # kept for flush(); the batch stays buffered
                log.warning("Writing metrics failed, will retry: %s", exc)
                self._error = exc

    def _drain(self) -> None:
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                self._write(batch)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise
            self.written += len(batch)
            self._error = None

    def flush(self) -> None:
        """Write everything buffered now; raises if the store refuses it."""
        self._drain()

    def close(self) -> None:
        """Stop the background thread and write what is left."""
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self._drain()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)
