"""Identifiers: time-ordered, random, 32 hex characters."""

from __future__ import annotations

import os
import time


def new_id() -> str:
    """A new id: 48 bits of milliseconds then 80 random bits, as 32 hex characters.

    Ids sort by creation time, which keeps index inserts local and listings stable.
    """
    millis = time.time_ns() // 1_000_000
    return f"{millis:012x}{os.urandom(10).hex()}"
