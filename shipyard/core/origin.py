"""Where an action came from, as Shipyard observes it (not as the caller claims it): the
operating-system user, the host, and the process (pid, its start time and its program).

A claimed actor (``actor="alice"``) is whatever the caller wrote; the observed origin is read
from the operating system by the process that writes the record, so the audit log keeps both
side by side and a four-eyes policy compares origins, not only names.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from functools import cache
from pathlib import Path
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def os_user() -> str:
    """The operating-system user running this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or f"uid:{os.getuid()}"


def host_name() -> str:
    return socket.gethostname()


def process_start(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux ``/proc``), or None when
    there is no such process or the platform does not say. Together with the pid this names
    one process: a pid reused by a later process has another start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of stat(5); fields[0] is field 3
    except (IndexError, ValueError):
        return None


def process_alive(pid: int, started: int | None) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``started`` (a pid
    reused by another process is not alive for this purpose)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    if started is None:
        return True
    now = process_start(pid)
    return now is None or now == started


@cache
def _this_process() -> dict[str, Any]:
    pid = os.getpid()
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else sys.executable
    return {"user": os_user(), "host": host_name(), "pid": pid, "started": process_start(pid),
            "program": program}  # fmt: skip


def observed_origin() -> dict[str, Any]:
    """This process's origin: ``{"user", "host", "pid", "started", "program"}``."""
    origin = dict(_this_process())
    if origin["pid"] != os.getpid():  # forked since: observe again
        _this_process.cache_clear()
        origin = dict(_this_process())
    return origin


def person(origin: dict[str, Any] | None) -> str | None:
    """``user@host`` of an origin: who, as the operating system saw it."""
    if not origin or not origin.get("user"):
        return None
    return f"{origin['user']}@{origin.get('host') or '?'}"
