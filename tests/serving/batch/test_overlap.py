"""A part's reading and writing overlap its scoring: order is kept, errors surface in the
scoring thread, and nothing is left running."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator

import pytest

from shipyard.serving.batch.overlap import WriteBehind, read_ahead


def _numbers(count: int, fail_at: int | None = None) -> Iterator[int]:
    for number in range(count):
        if number == fail_at:
            raise OSError("the disk went away")
        yield number


def _helpers() -> int:
    return sum(t.name.startswith("shipyard-batch") for t in threading.enumerate())


def test_read_ahead_keeps_order_and_raises_where_the_source_failed() -> None:
    assert list(read_ahead(_numbers(1_000))) == list(range(1_000))
    seen: list[int] = []
    with pytest.raises(OSError, match="disk went away"):
        for number in read_ahead(_numbers(10, fail_at=6)):
            seen.append(number)
    assert seen == list(range(6))
    assert _helpers() == 0


def test_leaving_early_stops_the_reader_and_closes_the_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    for number in read_ahead(source()):
        if number == 3:
            break
    assert closed.is_set() and _helpers() == 0


def test_writes_run_in_order_and_the_first_error_stops_the_rest() -> None:
    written: list[int] = []
    with WriteBehind(depth=1) as behind:
        for number in range(500):
            behind.submit(functools.partial(written.append, number))
    assert written == list(range(500))

    done: list[int] = []

    def write(number: int) -> None:
        if number == 3:
            raise OSError("no space left")
        done.append(number)

    behind = WriteBehind(depth=1)
    with pytest.raises(OSError, match="no space left"):
        for number in range(100):
            behind.submit(functools.partial(write, number))
        behind.close()
    behind.stop()
    assert done == [0, 1, 2] and _helpers() == 0
