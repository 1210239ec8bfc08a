"""A python-flavor package names the class that loads it; importing that class's module runs
the module's code. Loading never imports a module the workspace or call does not trust."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from tests.cli_process import shipyard

pytestmark = pytest.mark.slow

MODULE = """
from pathlib import Path
Path({marker!r}).write_text("imported")  # an import side effect


class Scorer:
    def predict(self, frame):
        return [0.5] * len(frame)

    def save_model(self, directory):
        (directory / "scorer.txt").write_text("0.5")

    @classmethod
    def load_model(cls, directory):
        return cls()
"""


@pytest.fixture
def planted(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """``side_effect_model/1`` registered, naming ``side_effect_model:Scorer``; its module
    writes the returned marker file whenever it is imported."""
    code, marker = tmp_path / "code", tmp_path / "imported.txt"
    code.mkdir()
    (code / "side_effect_model.py").write_text(MODULE.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(code))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
    )
    from side_effect_model import Scorer  # type: ignore[import-not-found]

    with sy.start_run(workspace=workspace) as run:
        run.log_model(Scorer(), "side_effect_model", input_example=[{"x": 1.0}])
    marker.unlink()
    pd.DataFrame({"x": [1.0, 2.0]}).to_csv(tmp_path / "rows.csv", index=False)
    yield marker
    sys.modules.pop("side_effect_model", None)


def test_loading_without_trust_never_imports_the_named_module(
    workspace: Workspace, planted: Path, tmp_path: Path
) -> None:
    done = shipyard(workspace, "batch", "side_effect_model/1", "--input",
                    str(tmp_path / "rows.csv"), "--output", str(tmp_path / "out"),
                    "--workers", "0")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "importing module 'side_effect_model' would run its code" in done.stdout + done.stderr
    assert "trusted_modules" in done.stdout + done.stderr
    assert not planted.exists()  # the module's code never ran


def test_a_trusted_module_loads(
    workspace: Workspace, planted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_TRUSTED_MODULES", '["side_effect_model"]')
    done = shipyard(workspace, "batch", "side_effect_model/1", "--input",
                    str(tmp_path / "rows.csv"), "--output", str(tmp_path / "out"),
                    "--workers", "0")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert planted.exists()
    loaded = sy.load_model("side_effect_model/1", trusted=["side_effect_model"],
                           workspace=workspace)  # fmt: skip
    assert loaded.predict([{"x": 3.0}]) == [0.5]
