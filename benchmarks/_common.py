"""Shared pieces of the benchmarks: peer-tool environment, fresh temporary folders, timing with
warm-ups and medians, a plain-text table, and the JSON line every benchmark ends with.

DESIGN.md section 11: a benchmark prints a readable table, then as its LAST line one JSON object
``{"benchmark": "x", "figures": {...}, "ratios": {...}}`` with each ratio a plain number.
Import it from a benchmark script as ``from _common import ...`` (``python benchmarks/x.py``
puts this folder first on ``sys.path``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: What the peers read so that they never phone home (MLflow otherwise tries a DNS lookup).
PEER_ENVIRONMENT = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


def peer_environment() -> None:
    """Set the no-telemetry variables (``make bench`` sets them too) before importing peers."""
    for key, value in PEER_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def compile_shipyard(python: str = sys.executable, env: dict[str, str] | None = None) -> None:
    """Byte-compile Shipyard's modules once, as ``pip install`` does. Run from a source tree
    with PYTHONDONTWRITEBYTECODE set, every process a benchmark starts would compile them all
    again, and a start-up time would count it (the libraries every side uses were compiled
    when they were installed)."""
    code = ("import compileall, pathlib, shipyard; "
            "compileall.compile_dir(pathlib.Path(shipyard.__file__).parent, quiet=1)")  # fmt: skip
    subprocess.run([python, "-c", code], env=env, check=True, capture_output=True)


@contextlib.contextmanager
def fresh_dir(label: str) -> Iterator[Path]:
    """A new, empty temporary folder for one side of a benchmark, removed afterwards."""
    with tempfile.TemporaryDirectory(
        prefix=f"shipyard-bench-{label}-", ignore_cleanup_errors=True
    ) as path:
        yield Path(path)


# -- timing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One timed repetition: how many operations it did, in how many seconds."""

    seconds: float
    operations: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.operations / self.seconds if self.seconds > 0 else math.inf


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn`` once; (seconds it took, what it returned)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def repeat(
    fn: Callable[[], Sample], *, repeats: int, warmups: int = 1, gc_between: bool = True
) -> list[Sample]:
    """Call ``fn`` ``warmups`` times (discarded: imports, first connections, caches), then
    ``repeats`` times, and return the kept samples. ``fn`` does its own timing, so it can
    leave set-up and checks out of the clock."""
    import gc

    for _ in range(warmups):
        fn()
    samples = []
    for _ in range(repeats):
        if gc_between:
            gc.collect()
        samples.append(fn())
    return samples


def median_sample(samples: Sequence[Sample]) -> Sample:
    """The repetition with the median rate (the lower middle one for an even count), so the
    operations, seconds and rate quoted together come from one real run."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples, key=lambda s: s.rate)
    return ordered[(len(ordered) - 1) // 2]


def median_seconds(samples: Sequence[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile, ``fraction`` in [0, 1]."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def call_loop(
    call: Callable[[int], object], *, max_calls: int, budget_seconds: float | None = None
) -> int:
    """Call ``call(i)`` for i = 0, 1, … until ``max_calls`` calls or (when given) the time
    budget is used up; return how many calls were made. The clock is read every call, which
    costs about 50 ns, negligible next to the calls it bounds."""
    if budget_seconds is None:
        for i in range(max_calls):
            call(i)
        return max_calls
    clock = time.perf_counter
    deadline = clock() + budget_seconds
    for i in range(max_calls):
        call(i)
        if clock() >= deadline:
            return i + 1
    return max_calls


# -- output ---------------------------------------------------------------------------------


def fmt(value: object, digits: int = 3) -> str:
    """Numbers for a table: thousands separators for big ones, ``digits`` significant ones
    for small ones."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}" if value else "0"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table: text columns left-aligned, numeric columns right-aligned."""
    cells = [[fmt(v) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], int | float) for row in rows) if rows else False
        for i in range(len(headers))
    ]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if numeric[i] else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    print()
    print(title)
    print(line(list(headers)))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))


def note(text: str) -> None:
    print(text)


def environment_line() -> str:
    """Python, platform and CPU count, for the header of a benchmark's output."""
    return (
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )


def ratio(numerator: float, denominator: float, digits: int = 3) -> float:
    """``numerator / denominator`` rounded to ``digits`` significant digits (plain float)."""
    if denominator == 0:
        raise ZeroDivisionError("ratio against a zero reference")
    value = numerator / denominator
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def rounded(value: float, digits: int = 4) -> float:
    """A figure for the JSON line: ``digits`` significant digits, as a plain float."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def emit_result(benchmark: str, figures: dict[str, Any], ratios: dict[str, float]) -> None:
    """Print the closing JSON line (it must be the last line of the output)."""
    for key, value in ratios.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"ratio {key!r} must be a plain number, not {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"ratio {key!r} is not finite: {value!r}")
    sys.stdout.flush()
    print(json.dumps({"benchmark": benchmark, "figures": figures, "ratios": ratios}))
    sys.stdout.flush()


# -- memory of a process tree -----------------------------------------------------------------


def _tree_rss_bytes(root: int) -> int:
    """Resident set of ``root`` and all its descendants, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_measured(
    command: Sequence[str], *, env: dict[str, str] | None = None, interval: float = 0.05
) -> tuple[float, int]:
    """Run ``command``; return its wall seconds and the peak resident set of its process tree
    (sampled every ``interval`` seconds). Raises if it fails."""
    import subprocess
    import threading

    started = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(process.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if code != 0:
        raise RuntimeError(f"{command[:3]} exited with {code}")
    return seconds, peak
