"""The two phases ``shipyard ci`` runs a project's tests in, named by ``SHIPYARD_CI_PHASE``:
the code tests before training, then the tests that use the ``model`` or ``dataset``
fixture on the candidate (no pytest import here: CI reads these names without it)."""

from __future__ import annotations

PHASE_VARIABLE = "SHIPYARD_CI_PHASE"
CODE_PHASE, MODEL_PHASE = "code", "model"
MODEL_FIXTURES = frozenset({"model", "dataset"})
