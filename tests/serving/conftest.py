"""Fixtures: a workspace with registered models on a real SQLite file, and real servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard._store.workspace import Workspace
from shipyard.core.settings import load_settings
from tests.serving.models import register_models
from tests.serving.server import Server, start_server


def models_home(root: Path) -> Path:
    home = root / "home"
    workspace = Workspace(load_settings(home=home, actor="tester@test", capture_git=False,
                                        capture_packages=False))  # fmt: skip
    try:
        register_models(workspace)
    finally:
        workspace.close()
    return home


@pytest.fixture(scope="module")
def served_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Shipyard home (SQLite store + artifact folder) with churn/1, churn/2 and spend/1."""
    return models_home(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def server(served_home: Path) -> Iterator[Server]:
    """`shipyard serve churn@production` (one worker), shared by a test module."""
    running = start_server(served_home, "churn@production", "--max-body", "65536")
    try:
        yield running
    finally:
        running.stop()


def home_workspace(home: Path) -> Workspace:
    return Workspace(load_settings(home=home, actor="tester@test", capture_git=False,
                                   capture_packages=False))  # fmt: skip
