"""The cyclic garbage collector in a server process Shipyard owns.

A worker's heap is mostly what it imported and loaded at start (some 200,000 objects with
pandas, scikit-learn and SciPy); a full collection walks all of it in about a tenth of a
second. Requests, meanwhile, allocate thousands of short-lived containers, so the youngest
generation is collected every 700 allocations. Measured in a saturated worker (churn
classifier, batches of 31), collections took 11 to 15 µs of a request's CPU.

So a server process, once its models are loaded, freezes its heap (:func:`gc.freeze`): what
exists then is left out of every later collection. It also lets the youngest generation
grow to 10,000 objects before a collection, so most of what a request allocates is freed by
reference counting before any collection looks at it. Together: about 2 µs a request. The
supervisor freezes before forking too, so the workers' collections leave the pages they
share with it untouched.

A frozen object is still freed when its last reference goes; only garbage held in cycles
would stay. So when a swap retires a model, :func:`after_swap` thaws the heap, collects it
once (the pause a full collection costs anyway) and freezes it again. Only processes that
called :func:`freeze` are affected: an app served inside another program leaves its heap
and thresholds alone.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations (less deallocations) of containers between two collections of the youngest
generation, once frozen (Python's default is 700)."""

_saved: tuple[int, int, int] | None = None


def freeze() -> None:
    """Leave every object alive now out of later collections, and collect the youngest
    generation less often (until :func:`thaw`)."""
    global _saved
    if _saved is None:
        _saved = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, *_saved[1:])
    gc.freeze()


def after_swap() -> None:
    """A model was retired: collect what it held in cycles, then freeze again (when this
    process froze its heap; otherwise nothing)."""
    if _saved is not None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def thaw() -> None:
    """Give every frozen object back to the collector and restore its thresholds (a server
    that ran in the calling process is done)."""
    global _saved
    if _saved is not None:
        gc.unfreeze()
        gc.set_threshold(*_saved)
        _saved = None
