"""Identifiers: time-ordered, random, 32 hex characters."""

from __future__ import annotations

import os
import threading
import time

_RANDOM_BYTES = 10
_BUFFER = 4096
"""Random bytes read from the OS at a time: a server names every request, and one read per id
was a system call per request."""


class _Randomness:
    """The operating system's random bytes, read a buffer at a time and handed out once each.
    A forked child starts with an empty buffer, so no two processes ever share an id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._offset + count > len(self._buffer):
                self._buffer, self._offset = os.urandom(_BUFFER), 0
            start = self._offset
            self._offset += count
            return self._buffer[start : start + count]

    def forget(self) -> None:
        self._lock = threading.Lock()
        self._buffer, self._offset = b"", 0


_randomness = _Randomness()
os.register_at_fork(after_in_child=_randomness.forget)


def new_id() -> str:
    """A new id: 48 bits of milliseconds then 80 random bits, as 32 hex characters.

    Ids sort by creation time, which keeps index inserts local and listings stable.
    """
    millis = time.time_ns() // 1_000_000
    return f"{millis:012x}{_randomness.take(_RANDOM_BYTES).hex()}"
