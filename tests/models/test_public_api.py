"""The public surface of shipyard.models is exactly what __all__ lists."""

from __future__ import annotations

from types import ModuleType

import shipyard.models as models


def test_all_lists_every_public_name() -> None:
    for name in models.__all__:  # public names load on first use
        getattr(models, name)
    public = {
        name
        for name, value in vars(models).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(models.__all__) == public
    assert len(models.__all__) == len(set(models.__all__))
