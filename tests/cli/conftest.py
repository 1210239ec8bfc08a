from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from shipyard._store.workspace import Workspace
from shipyard.cli.app import app

Invoke = Callable[..., Result]


@pytest.fixture
def shipyard_cli(workspace: Workspace) -> Invoke:
    """Run `shipyard ...` in-process against the test workspace's stores."""
    runner = CliRunner()
    settings = workspace.settings
    base = ["--store", settings.resolved_store_url,
            "--artifacts", settings.resolved_artifacts_url]  # fmt: skip

    def invoke(*args: str) -> Result:
        return runner.invoke(
            app, [*base, *args], env={"SHIPYARD_ACTOR": "cli@test", "COLUMNS": "250"}
        )

    return invoke
