"""Overlapping a part's reading and writing with its scoring.

A worker scores a part batch by batch: read, predict, write. Reading (Parquet decoding) and
writing (encoding and compressing the output and the prediction log) run in Arrow's C++ code
without Python's lock, and so does much of a model's prediction. So the next batch is read on
one background thread, and the last batch's files are written on another, while this one is
predicted: a worker keeps its core busy where a script doing the three in turn waits on each.
Order is kept (one reader, one writer, each first in first out) and memory stays bounded (one
batch read ahead, one waiting to be written while another is).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
_POLL = 0.1


def read_ahead(items: Iterator[T], name: str = "shipyard-batch-reader") -> Iterator[T]:
    """``items``, each next one taken on a background thread while the caller works on this
    one. An error raised by ``items`` is raised here; leaving early stops the thread."""
    waiting: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(entry: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                waiting.put(entry, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(("item", item)):
                    return
            hand_over(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            hand_over(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = waiting.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


class WriteBehind:
    """Calls run in order on one background thread, at most ``depth`` waiting (``submit``
    blocks beyond that). The first error stops the rest and is raised by the next
    ``submit`` or by ``close``. Use as a context manager: leaving waits for the thread."""

    def __init__(self, depth: int = 2, name: str = "shipyard-batch-writer") -> None:
        self._waiting: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            call = self._waiting.get()
            if call is None:
                return
            if self._error is None:
                try:
                    call()
                except BaseException as exc:  # raised in the submitting thread
                    self._error = exc

    def submit(self, call: Callable[[], object]) -> None:
        self._raise()
        self._waiting.put(call)

    def close(self) -> None:
        """Wait until every submitted call has run; raise the first error of any."""
        self.stop()
        self._raise()

    def stop(self) -> None:
        """Wait for the thread to finish (calls after an error are skipped)."""
        if self._thread.is_alive():
            self._waiting.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.stop()
