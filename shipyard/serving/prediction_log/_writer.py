"""The background writer of the prediction log.

``write`` appends a batch to an in-memory queue and returns; a thread wakes every flush
interval (or sooner, when half the queue is used), groups the queue by partition and writes
one Parquet file per partition. Memory is bounded by ``max_pending_rows``: when the queue is
full ``write`` waits for the thread to make room (backpressure), and gives up with
:class:`PredictionLogFullError` only after its ``timeout``. A failed file write keeps its
rows queued for the next attempt, and a record that cannot be stored is set aside, never
holding the others back (see :meth:`PredictionLog.flush`). ``close`` writes everything left.

Each flush also writes a small heartbeat (``_writers/<id>.json``) with the counters, and
``close`` marks it clean, so after a crash the reader can say how many rows were at risk.
"""

from __future__ import annotations

import os
import reprlib
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import orjson
import pyarrow as pa
from fsspec.implementations.local import LocalFileSystem

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.errors import ShipyardError
from shipyard.core.ids import new_id
from shipyard.core.logging import get_logger
from shipyard.core.storage_errors import storage_errors
from shipyard.serving.prediction_log._layout import (
    FEEDBACK,
    PREDICTIONS,
    REJECTS,
    WRITERS,
    Feedback,
    LogStats,
    PredictionBatch,
    feedback_table,
    partition_dir,
    predictions_table,
    write_log_table,
)

log = get_logger(__name__)

Item = PredictionBatch | Feedback


class PredictionLogFullError(ShipyardError):
    """The prediction log could not take more rows in time: its writes are failing or slow."""

    http_status = 503


class PredictionLog:
    """Batches prediction rows and feedback labels into Parquet files in the background."""

    def __init__(
        self,
        artifacts: ArtifactStore,
        *,
        flush_interval: float = 2.0,
        max_pending_rows: int = 100_000,
        writer_id: str | None = None,
        packages: Mapping[str, str] | None = None,
    ) -> None:
        if flush_interval <= 0 or max_pending_rows <= 0:
            raise ValueError("flush_interval and max_pending_rows must be positive")
        self.fs = artifacts.fs
        self.root = artifacts.root
        self.url = artifacts.url
        self.flush_interval = flush_interval
        self.max_pending_rows = max_pending_rows
        self.writer_id = writer_id or new_id()
        self.packages = dict(packages) if packages is not None else None
        """The framework versions written into every prediction file (default: this
        process's), which the monitor compares with the training run's lock."""
        self._local = isinstance(self.fs, LocalFileSystem)
        self._queue: list[Item] = []
        self._pending = 0
        self._cond = threading.Condition()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._started = datetime.now(UTC)
        self._counts = {
            "accepted": 0,
            "written": 0,
            "files": 0,
            "flushes": 0,
            "failed": 0,
            "rejected": 0,
        }
        self._waits, self._wait_seconds = 0, 0.0
        self._last_error: str | None = None
        self._rate_mark = (time.monotonic(), 0)
        self._thread = threading.Thread(target=self._run, name="shipyard-prediction-log")
        self._thread.daemon = True
        self._thread.start()

    # -- producers -------------------------------------------------------------------------

    def write(self, batch: PredictionBatch, *, timeout: float | None = None) -> None:
        """Queue a batch of predictions; waits while the queue is full (see the module doc).
        ``timeout=0`` never waits: a full queue raises :class:`PredictionLogFullError` at once."""
        self._put([batch], len(batch), timeout)

    def write_feedback(self, items: Sequence[Feedback], *, timeout: float | None = None) -> None:
        """Queue ground-truth labels, all or none; they are written like predictions."""
        self._put(list(items), len(items), timeout)

    def _put(self, items: list[Item], size: int, timeout: float | None) -> None:
        if size == 0:
            return
        with self._cond:
            if self._closed:
                raise ShipyardError("The prediction log is closed; nothing more can be logged.")
            if self._pending + size > self.max_pending_rows and self._pending > 0:
                self._wait_for_room(size, timeout)
            self._queue.extend(items)
            self._pending += size
            self._counts["accepted"] += size
            if self._pending * 2 >= self.max_pending_rows:
                self._wake.set()

    def _wait_for_room(self, size: int, timeout: float | None) -> None:
        started = time.monotonic()
        self._waits += 1
        self._wake.set()
        deadline = None if timeout is None else started + timeout
        while self._pending + size > self.max_pending_rows and self._pending > 0:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self._wait_seconds += time.monotonic() - started
                raise PredictionLogFullError(
                    f"The prediction log has {self._pending} rows waiting to be written and "
                    f"no room for {size} more.",
                    hint=f"Check the artifact store is writable: {self._last_error or 'slow'}.",
                )
            self._cond.wait(left)
        self._wait_seconds += time.monotonic() - started

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._closed:
                return
            try:
                self.flush()
            except Exception as exc:  # kept queued; retried at the next interval
                log.warning("Writing the prediction log failed, will retry: %s", exc)

    def flush(self) -> None:
        """Write everything queued now, one file per partition, then the heartbeat.

        A record that cannot be stored in the log's column types is found by bisection and
        set aside (counted as rejected and described under ``_rejects``), so it never holds
        the others back. Files are written one by one and each counts as written at once:
        when the storage fails, only the records not yet written are queued again (nothing
        is ever written twice) and the error is raised."""
        with self._flush_lock:
            with self._cond:
                taken, self._queue = self._queue, []
            files = [
                (partition_dir(self.root, *key), data, members)
                for key, group in _partitions(taken).items()
                for data, members in self._encode(key[0], group)
            ]
            failure: BaseException | None = None
            for position, (directory, data, members) in enumerate(files):
                try:
                    self._put_bytes(f"{directory}/{self._file_name()}", data)
                except BaseException as exc:
                    failure = exc
                    left = [item for _, _, rest in files[position:] for item in rest]
                    with self._cond:
                        self._queue[:0] = left
                    break
                self._count(written=sum(map(_size, members)), files=1)
            error = None if failure is None else f"{type(failure).__name__}: {failure}"
            error = self._heartbeat(clean=self._closed and failure is None) or error
            with self._cond:  # a failed heartbeat is a failed write to the same storage
                self._counts["flushes" if error is None else "failed"] += 1
                self._last_error = error
            if failure is not None:
                raise failure

    def _encode(self, kind: str, members: list[Item]) -> list[tuple[bytes, list[Item]]]:
        """``members`` as Parquet files: one, or, when some record cannot be stored, the
        halves that can (bisection), each record that cannot alone being rejected."""
        try:
            table = (
                predictions_table(cast(list[PredictionBatch], members), packages=self.packages)
                if kind == PREDICTIONS
                else feedback_table(cast(list[Feedback], members))
            )
            sink = pa.BufferOutputStream()
            write_log_table(table, sink)
            return [(sink.getvalue().to_pybytes(), members)]
        except Exception as exc:
            if len(members) == 1:
                self._reject(kind, members[0], exc)
                return []
            half = len(members) // 2
            return self._encode(kind, members[:half]) + self._encode(kind, members[half:])

    def _reject(self, kind: str, item: Item, error: Exception) -> None:
        size = _size(item)
        log.error("The prediction log rejected %d %s row(s) it cannot store: %s", size, kind,
                  error)  # fmt: skip
        self._count(rejected=size)
        document = {
            "kind": kind, "deployment": item.deployment, "rows": size,
            "error": f"{type(error).__name__}: {error}", "time": item.time.isoformat(),
            "version": item.version if isinstance(item, PredictionBatch) else None,
            "request_ids": sorted({str(r) for r in item.request_ids})[:1000]
            if isinstance(item, PredictionBatch) else [item.request_id],
            "record": _bounded.repr(item),
        }  # fmt: skip
        try:
            self._put_bytes(f"{self.root}/{kind}/{REJECTS}/{self._file_name('json')}",
                            orjson.dumps(document, default=str))  # fmt: skip
        except Exception as exc:
            log.warning("Cannot write the prediction log's rejects file: %s", exc)

    def _count(self, *, written: int = 0, files: int = 0, rejected: int = 0) -> None:
        with self._cond:
            self._pending -= written + rejected
            self._counts["written"] += written
            self._counts["files"] += files
            self._counts["rejected"] += rejected
            self._cond.notify_all()

    def _file_name(self, extension: str = "parquet") -> str:
        stamp = datetime.now(UTC).strftime("%H%M%S%f")
        return f"part-{stamp}-{self.writer_id[-12:]}-{new_id()[-8:]}.{extension}"

    def _put_bytes(self, path: str, data: bytes) -> None:
        """Atomic: a local file is written under a hidden name and renamed into place, so a
        reader never sees half a file; a remote store's single put is atomic already."""
        if not self._local:
            with storage_errors(self.url):
                self.fs.pipe_file(path, data)
            return
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(data)
        temporary.replace(target)

    def _heartbeat(self, *, clean: bool) -> str | None:
        """Write the heartbeat; the error, when the storage refused it (the log is failing)."""
        stats = self.stats
        now, (then, before) = time.monotonic(), self._rate_mark
        rate = (stats.accepted - before) / max(now - then, 1e-3)
        self._rate_mark = (now, stats.accepted)
        document = {
            "writer": self.writer_id, "pid": os.getpid(), "host": socket.gethostname(),
            "started": self._started.isoformat(), "heartbeat": datetime.now(UTC).isoformat(),
            "flush_interval": self.flush_interval, "accepted": stats.accepted,
            "written": stats.written, "pending": stats.pending, "clean": clean,
            "rows_per_second": round(rate, 3),
            "last_error": stats.last_error, "rejected": stats.rejected,
        }  # fmt: skip
        try:
            self._put_bytes(f"{self.root}/{PREDICTIONS}/{WRITERS}/{self.writer_id}.json",
                            orjson.dumps(document))  # fmt: skip
        except Exception as exc:
            log.warning("Cannot write the prediction log heartbeat: %s", exc)
            return f"{type(exc).__name__}: {exc}"
        return None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def stats(self) -> LogStats:
        with self._cond:
            return LogStats(
                accepted=self._counts["accepted"], written=self._counts["written"],
                pending=self._pending, files=self._counts["files"],
                flushes=self._counts["flushes"], failed_flushes=self._counts["failed"],
                waits=self._waits, wait_seconds=self._wait_seconds, last_error=self._last_error,
                rejected=self._counts["rejected"],
            )  # fmt: skip

    @property
    def failing(self) -> bool:
        """The last write to the log's storage failed (``stats.failing``, without the lock:
        the request path asks it on every prediction)."""
        return self._last_error is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the thread and write everything left; raises if the last write fails."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._wake.set()
        self._thread.join()
        self.flush()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


_bounded = reprlib.Repr()
_bounded.maxlevel, _bounded.maxstring, _bounded.maxother = 4, 200, 200


def _size(item: Item) -> int:
    return len(item) if isinstance(item, PredictionBatch) else 1


def _partitions(items: list[Item]) -> dict[tuple[str, str, int | None, str], list[Item]]:
    groups: dict[tuple[str, str, int | None, str], list[Item]] = defaultdict(list)
    for item in items:
        if isinstance(item, PredictionBatch):
            groups[(PREDICTIONS, item.deployment, item.version, item.date)].append(item)
        else:
            groups[(FEEDBACK, item.deployment, None, item.date)].append(item)
    return groups
