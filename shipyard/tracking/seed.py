"""One call that seeds every random number generator a training script is likely to use."""

from __future__ import annotations

import importlib
import importlib.util
import random
import sys

from shipyard.core.errors import UsageError

# Frameworks seeded when installed: (module, attribute path of the seeding function).
_FRAMEWORKS = (
    ("torch", "manual_seed"),
    ("tensorflow", "random.set_seed"),
)


def seed_generators(seed: int, *, import_frameworks: bool = True) -> list[str]:
    """Seed Python, NumPy and installed frameworks; returns what was seeded. With
    ``import_frameworks=False`` only frameworks imported already are seeded: importing
    PyTorch to seed it costs seconds, wasted on a model that never uses it (the pipeline
    seeds again once the training module is imported, so what it imports is seeded)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise UsageError(
            f"A seed is a whole number from 0 to 2**32 - 1, not {str(seed)[:40]!r}.",
            hint="For example sy.seed_everything(42).",
        )
    import numpy as np  # here, not at import: a run that never seeds need not load NumPy

    random.seed(seed)
    np.random.seed(seed)
    seeded = ["python", "numpy"]
    for module_name, function_path in _FRAMEWORKS:
        if not import_frameworks and module_name not in sys.modules:
            continue
        if importlib.util.find_spec(module_name) is None:
            continue
        target: object = importlib.import_module(module_name)
        for part in function_path.split("."):
            target = getattr(target, part)
        target(seed)  # type: ignore[operator]
        seeded.append(module_name)
    return seeded
