"""Run the real ``shipyard`` command in a subprocess against a test workspace's stores."""

from __future__ import annotations

import os
import subprocess
import sys

from shipyard.store.workspace import Workspace

MAIN = "from shipyard.cli.app import main; main()"


def shipyard(
    workspace: Workspace, *args: str, actor: str = "cli@test", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``shipyard --store ... --artifacts ... ARGS`` as a user would run it."""
    settings = workspace.settings
    command = [sys.executable, "-c", MAIN, "--store", settings.resolved_store_url,
               "--artifacts", settings.resolved_artifacts_url, *args]  # fmt: skip
    env = {**os.environ, "SHIPYARD_ACTOR": actor, "COLUMNS": "250",
           "SHIPYARD_CAPTURE_GIT": "false", "SHIPYARD_CAPTURE_PACKAGES": "false"}  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
