"""The train step seeds what the training code uses, and imports nothing just to seed it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.pipeline.project import make_project

ENV = {"SHIPYARD_CAPTURE_GIT": "false", "PATH": "/usr/bin:/bin"}


def _run(directory: Path, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=directory, env=ENV,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_training_a_scikit_learn_model_never_imports_pytorch(tmp_path: Path) -> None:
    """Importing PyTorch to seed it cost seconds on every run of a model that never uses it."""
    make_project(tmp_path)
    code = (
        "import sys\n"
        "from shipyard.pipeline.runner import run_pipeline\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('torch') is not None, 'the test needs torch installed'\n"
        "result = run_pipeline()\n"
        "print(result.verdict, 'torch' in sys.modules)"
    )
    assert _run(tmp_path, code) == "promoted False"


def test_a_framework_the_training_module_imports_is_seeded(tmp_path: Path) -> None:
    make_project(tmp_path)
    train = tmp_path / "train.py"
    train.write_text(
        "import torch\n"
        + train.read_text().replace(
            "def fit(train, params, label):",
            "def fit(train, params, label):\n"
            "    open('drawn.txt', 'w').write(repr(torch.rand(1).item()))",
        )
    )
    code = (
        "from shipyard.pipeline.runner import run_pipeline\n"
        "import yaml\n"
        "seed = yaml.safe_load(open('shipyard.yaml'))['train'].get('seed', 0)\n"
        "run_pipeline()\n"
        "import torch\n"
        "torch.manual_seed(seed)\n"
        "print(repr(torch.rand(1).item()) == open('drawn.txt').read())"
    )
    assert _run(tmp_path, code) == "True"
