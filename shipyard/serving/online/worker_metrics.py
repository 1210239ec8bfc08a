"""Metrics of a server with several worker processes (``shipyard serve --workers N``).

Each worker keeps its counters and histograms in a memory-mapped file of its own, in a
directory the supervisor creates for the server (``ServeOptions.metrics_dir``), so whichever
worker answers ``/metrics`` renders the sum over every worker of the server, the way
prometheus_client's multiprocess mode does. An increment is a write of 8 bytes into the page
cache (no system call), and a file outlives its worker: the counts of a worker that died, even
by SIGKILL, stay in the sums, so a counter never goes down while the server runs.

- Counters and histograms: summed over all the server's workers, dead ones included.
- Readings (values computed when rendered, such as the prediction log's): each worker
  publishes them into its file when it renders ``/metrics`` and every second
  (:data:`PUBLISH_INTERVAL`); counters among them are summed like the others, gauges are shown
  per live worker with a ``worker`` label (its process id), as a sum of a gauge such as
  ``shipyard_ready`` would hide which worker is not ready.

A file is a header (8 bytes: the bytes in use) followed by entries, each a key (4-byte length,
the JSON of ``[metric, slot, labels]``, padded to 8 bytes) and its value (a double). Only its
worker writes it, appending an entry before it counts it in the header.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
import struct
import threading
from bisect import bisect_left
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from shipyard.serving.prometheus import Histogram, Labels

PUBLISH_INTERVAL = 1.0
"""Seconds between a worker's publications of its readings (it publishes on each scrape too)."""
SUFFIX = ".metrics"
_INITIAL_SIZE = 1 << 16
_HEADER = struct.Struct("<Q")
_LENGTH = struct.Struct("<I")
_VALUE = struct.Struct("<d")

Key = tuple[str, "int | str", Labels]
"""``(metric, slot, labels)``: slot ``""`` for a counter, a bucket index or ``"sum"`` for a
histogram, ``"reading"`` for a reading."""


class ValueFile:
    """One worker's values, memory-mapped: ``set`` is a write into shared memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.ftruncate(self._fd, _INITIAL_SIZE)
        self._map = mmap.mmap(self._fd, _INITIAL_SIZE)
        self.values = memoryview(self._map).cast("d")
        """The file as doubles: ``values[slot(key)] = value`` writes a value."""
        self._used = _HEADER.size
        _HEADER.pack_into(self._map, 0, self._used)
        self._slots: dict[Key, int] = {}
        self._appending = threading.Lock()  # a new key from two threads at once

    def slot(self, key: Key) -> int:
        """Where ``key``'s value is, in :attr:`values` (appended, at 0, when new)."""
        found = self._slots.get(key)
        if found is None:
            with self._appending:
                found = self._slots.get(key)
                if found is None:
                    found = self._slots[key] = self._append(key) // _VALUE.size
        return found

    def set(self, key: Key, value: float) -> None:
        self.values[self.slot(key)] = value

    def _append(self, key: Key) -> int:
        encoded = orjson.dumps([key[0], key[1], key[2]])
        size = _LENGTH.size + len(encoded)
        size += -size % 8
        needed = self._used + size + _VALUE.size
        if needed > len(self._map):
            grown = max(needed, 2 * len(self._map))
            self.values.release()
            self._map.close()
            os.ftruncate(self._fd, grown)
            self._map = mmap.mmap(self._fd, grown)
            self.values = memoryview(self._map).cast("d")
        _LENGTH.pack_into(self._map, self._used, len(encoded))
        self._map[self._used + _LENGTH.size : self._used + _LENGTH.size + len(encoded)] = encoded
        offset = self._used + size
        _VALUE.pack_into(self._map, offset, 0.0)
        self._used = offset + _VALUE.size
        _HEADER.pack_into(self._map, 0, self._used)  # last: readers see whole entries only
        return offset


def read_values(path: Path) -> dict[Key, float]:
    """The values in a worker's file (what it had written when read)."""
    data = path.read_bytes()
    if len(data) < _HEADER.size:
        return {}
    (used,) = _HEADER.unpack_from(data, 0)
    found: dict[Key, float] = {}
    position = _HEADER.size
    while position + _LENGTH.size <= min(used, len(data)):
        (length,) = _LENGTH.unpack_from(data, position)
        size = _LENGTH.size + length
        size += -size % 8
        metric, slot, labels = orjson.loads(data[position + _LENGTH.size :
                                                 position + _LENGTH.size + length])  # fmt: skip
        (value,) = _VALUE.unpack_from(data, position + size)
        found[(metric, slot, tuple((str(k), str(v)) for k, v in labels))] = value
        position += size + _VALUE.size
    return found


class SharedCounts(defaultdict[Labels, int]):
    """A counter's values by labels, written through to the worker's file."""

    def __init__(self, metric: str, file: ValueFile) -> None:
        super().__init__(int)
        self._metric, self._file = metric, file
        self._slots: dict[Labels, int] = {}

    def __setitem__(self, labels: Labels, value: int) -> None:
        super().__setitem__(labels, value)
        slot = self._slots.get(labels)
        if slot is None:
            slot = self._slots[labels] = self._file.slot((self._metric, "", labels))
        self._file.values[slot] = value


class SharedHistogram(Histogram):
    """A histogram whose buckets and sums are written through to the worker's file."""

    def __init__(self, metric: str, file: ValueFile, buckets: tuple[float, ...]) -> None:
        super().__init__(buckets)
        self._metric, self._file = metric, file
        self._slots: dict[Labels, list[int]] = {}
        """Per labels: each bucket's slot, then the sum's."""

    def observe(self, labels: Labels, value: float, count: int = 1) -> None:
        slots = self._slots.get(labels)
        if slots is None:
            keys = [*range(len(self.bounds) + 1), "sum"]
            slots = self._slots[labels] = [self._file.slot((self._metric, k, labels))
                                           for k in keys]  # fmt: skip
            self.counts[labels] = [0] * (len(self.bounds) + 1)
        counts = self.counts[labels]
        index = bisect_left(self.bounds, value)
        counts[index] += count
        total = self.sums[labels] = self.sums[labels] + value * count
        values = self._file.values
        values[slots[index]] = counts[index]
        values[slots[-1]] = total


def worker_file(directory: str) -> ValueFile:
    """A new file for this process in the server's metrics directory, named by its process id
    and a random part (a later worker given a dead one's process id gets a file of its own)."""
    return ValueFile(Path(directory) / f"{os.getpid()}.{secrets.token_hex(4)}{SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Merged:
    """Every worker's values summed: counters and histograms over all files, counter readings
    over all files, gauge readings per live worker (``worker`` label)."""

    def __init__(self, directory: str, gauges: frozenset[str]) -> None:
        self.counters: dict[str, dict[Labels, int | float]] = defaultdict(lambda: defaultdict(int))
        self.buckets: dict[str, dict[Labels, dict[int, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int))
        )
        self.sums: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.readings: dict[str, dict[Labels, int | float]] = defaultdict(lambda: defaultdict(int))
        for path in sorted(Path(directory).glob(f"*{SUFFIX}")):
            with contextlib.suppress(FileNotFoundError, ValueError):
                self._add(int(path.name.split(".")[0]), read_values(path), gauges)

    def _add(self, pid: int, values: dict[Key, float], gauges: frozenset[str]) -> None:
        live = _alive(pid)
        for (metric, slot, labels), value in values.items():
            if slot == "":
                self.counters[metric][labels] += _plain(value)
            elif slot == "sum":
                self.sums[metric][labels] += value
            elif isinstance(slot, int):
                self.buckets[metric][labels][slot] += int(value)
            elif metric in gauges:
                if live:
                    self.readings[metric][(("worker", str(pid)), *labels)] = _plain(value)
            else:
                self.readings[metric][labels] += _plain(value)

    def counts(self, metric: str) -> dict[Labels, Any]:
        return dict(self.counters.get(metric, {}))

    def histogram(self, metric: str, buckets: tuple[float, ...]) -> Histogram:
        merged = Histogram(buckets)
        for labels, slots in self.buckets.get(metric, {}).items():
            merged.counts[labels] = [slots.get(i, 0) for i in range(len(buckets) + 1)]
            merged.sums[labels] = self.sums.get(metric, {}).get(labels, 0.0)
        return merged


def _plain(value: float) -> int | float:
    return int(value) if value.is_integer() else value
