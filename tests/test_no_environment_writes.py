"""Library calls leave the caller's environment variables as they found them."""

from __future__ import annotations

import os

import pytest

import shipyard as sy
from shipyard.serving.online.server import _native_threads


def test_seeding_leaves_the_environment_alone(sqlite_workspace: sy.Workspace) -> None:
    before = dict(os.environ)
    with sy.start_run("seeded", workspace=sqlite_workspace):
        sy.seed_everything(7)
    assert dict(os.environ) == before


def test_serving_sizes_native_pools_only_while_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    before = dict(os.environ)
    with _native_threads(1):
        assert os.environ["OMP_NUM_THREADS"] == os.environ["MKL_NUM_THREADS"] == "1"
    assert dict(os.environ) == before
