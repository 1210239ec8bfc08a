"""The pytest plugin (entry point ``pytest11``: ``shipyard = shipyard.testing.plugin``).

Fixtures:
- ``shipyard_workspace``: a fresh, temporary store (SQLite and an artifact folder);
- ``model``: the model under test — ``--shipyard-model REF`` or ``SHIPYARD_MODEL``, else the
  newest version of the model ``shipyard.yaml`` names (``shipyard ci`` tests its candidate);
- ``dataset``: a dataset version as a DataFrame — ``--shipyard-dataset REF`` or
  ``SHIPYARD_DATASET``, else the evaluation part of ``shipyard.yaml``'s data.
A test needing a model or dataset that is not registered yet is skipped, saying so.

Under ``shipyard ci`` the tests run twice (``SHIPYARD_CI_PHASE``): the code tests first, before
any training, without the tests that use ``model`` or ``dataset``; then, once the candidate is
trained and its package checked, just those tests, with ``model`` loading the candidate and
``dataset`` its evaluation set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shipyard.core.errors import ShipyardError
from shipyard.testing.phases import CODE_PHASE, MODEL_FIXTURES, MODEL_PHASE, PHASE_VARIABLE


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("shipyard")
    group.addoption("--shipyard-model", default=None, help="The model the `model` fixture loads.")
    group.addoption("--shipyard-dataset", default=None, help="The dataset `dataset` loads.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``shipyard ci``, keep the tests of the phase that runs (see the module's doc)."""
    phase = os.environ.get(PHASE_VARIABLE)
    if phase not in (CODE_PHASE, MODEL_PHASE):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        uses_model = bool(MODEL_FIXTURES & set(getattr(item, "fixturenames", ())))
        (keep if uses_model == (phase == MODEL_PHASE) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def shipyard_workspace(tmp_path: Path) -> Iterator[Any]:
    """A fresh workspace in a temporary folder, closed after the test."""
    from shipyard._store.workspace import Workspace
    from shipyard.core.settings import load_settings

    workspace = Workspace(load_settings(home=tmp_path / ".shipyard", capture_git=False))
    try:
        yield workspace
    finally:
        workspace.close()


@pytest.fixture
def model(request: pytest.FixtureRequest) -> Any:
    """The registered model under test, loaded and verified."""
    from shipyard.registry import load_model

    ref = _choice(request, "model") or _from_config("model")
    try:
        return load_model(ref)
    except ShipyardError as error:
        pytest.skip(f"no model to test ({ref}): {error.message}")


@pytest.fixture
def dataset(request: pytest.FixtureRequest) -> Any:
    """A stored dataset version as a pandas DataFrame."""
    from shipyard.tracking.datasets import load_dataset

    ref = _choice(request, "dataset") or _from_config("dataset")
    try:
        return load_dataset(ref)
    except ShipyardError as error:
        pytest.skip(f"no dataset to test ({ref}): {error.message}")


def _choice(request: pytest.FixtureRequest, what: str) -> str | None:
    chosen = request.config.getoption(f"--shipyard-{what}")
    return str(chosen) if chosen else os.environ.get(f"SHIPYARD_{what.upper()}") or None


def _from_config(what: str) -> str:
    """The model ``shipyard.yaml`` names, or its evaluation dataset (``NAME-eval``)."""
    from shipyard.core.settings import find_config_file
    from shipyard.core.yamlfile import load_yaml

    path = find_config_file()
    if path is None:
        pytest.skip(f"no {what} to test: there is no shipyard.yaml here")
    document = load_yaml(path)[0]
    model = (document.get("model") or {}).get("name") if isinstance(document, dict) else None
    if not isinstance(model, str):
        pytest.skip(f"no {what} to test: shipyard.yaml names no model")
    if what == "model":
        return model
    return f"{(document.get('data') or {}).get('name') or model}-eval"
