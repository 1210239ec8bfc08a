"""A separate Python environment holding a real MLflow, for the MLflow import tests.

MLflow is never a dependency of Shipyard, nor installed in its environment: it lives in
``.venv-mlflow`` at the top of the checkout, created on first use with the interpreter that
runs the tests. A ``.pth`` file there adds this environment's packages (scikit-learn,
XGBoost, PyTorch… and Shipyard itself), so only MLflow's client is installed into it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = ROOT / ".venv-mlflow"
REQUIREMENT = "mlflow-skinny>=3.4,<4"
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
         "PYTHONWARNINGS": "ignore"}  # fmt: skip


def mlflow_python() -> Path:
    """The interpreter of the MLflow environment, created (once, under a lock) if missing."""
    python = ENVIRONMENT / "bin" / "python"
    with (ROOT / ".venv-mlflow.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        probe = [str(python), "-c", "import mlflow.pyfunc"]
        if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
            return python
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(ENVIRONMENT)], check=True)
        purelib = Path(sysconfig.get_paths()["purelib"])
        site = next((ENVIRONMENT / "lib").glob("python*/site-packages"))
        (site / "shipyard-test-packages.pth").write_text(f"{purelib}\n")
        subprocess.run([str(python), "-m", "pip", "install", "-q", REQUIREMENT], check=True)
    return python


def run_with_mlflow(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in the MLflow environment (Shipyard importable from this tree)."""
    env = {**os.environ, **QUIET, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [str(mlflow_python()), *args], capture_output=True, text=True, env=env, cwd=cwd,
        timeout=600, check=False,
    )  # fmt: skip
