"""One call that seeds every random number generator a training script is likely to use."""

from __future__ import annotations

import importlib
import importlib.util
import random

from shipyard.core.errors import UsageError

# Frameworks seeded when installed: (module, attribute path of the seeding function).
_FRAMEWORKS = (
    ("torch", "manual_seed"),
    ("tensorflow", "random.set_seed"),
)


def seed_generators(seed: int) -> list[str]:
    """Seed Python, NumPy and installed frameworks; returns what was seeded."""
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
        if importlib.util.find_spec(module_name) is None:
            continue
        target: object = importlib.import_module(module_name)
        for part in function_path.split("."):
            target = getattr(target, part)
        target(seed)  # type: ignore[operator]
        seeded.append(module_name)
    return seeded
