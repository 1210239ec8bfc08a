"""Run the real ``shipyard`` command in a subprocess against a test workspace's stores."""

from __future__ import annotations

import os
import subprocess
import sys

from shipyard._store.workspace import Workspace

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


AS_USER = """
import os, pwd, sys
import psycopg, sqlalchemy.dialects.postgresql.psycopg  # loaded while the interpreter is readable
import shipyard.cli.app, shipyard.cli.registry, shipyard.registry, shipyard._store.workspace
import shipyard.cli.output, shipyard.core.origin, rich.console, rich.table
user = pwd.getpwnam(sys.argv[1])
os.setgid(user.pw_gid)
os.setuid(user.pw_uid)
os.chdir("/")
sys.argv = ["shipyard", *sys.argv[2:]]
shipyard.cli.app.main()
"""


def shipyard_as(
    user: str, workspace: Workspace, *args: str, actor: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``shipyard ARGS`` run by another operating-system ``user`` (needs root; the store must be
    reachable by that user, e.g. PostgreSQL over the network)."""
    command = [sys.executable, "-c", AS_USER, user, "--store",
               workspace.settings.resolved_store_url, *args]  # fmt: skip
    env = {**os.environ, "SHIPYARD_ACTOR": actor, "COLUMNS": "250"}
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
