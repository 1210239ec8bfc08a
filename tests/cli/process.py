"""Run ``shipyard`` as a user does: a separate process, with its output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MAIN = "from shipyard.cli.app import main; main()"


def run_shipyard(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``shipyard ARGS`` in ``cwd`` (this interpreter, so the code under test)."""
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
