"""A server process freezes its heap once its models are loaded, and a model a swap retires is
still freed, cycles and all. Run in a fresh interpreter: freezing is process-wide, and the
test process's heap is not the server's to freeze."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shipyard.serving.deploy import deploy_online
from shipyard.serving.online.heap import YOUNG_THRESHOLD
from tests.serving.conftest import home_workspace, models_home
from tests.serving.server import ROOT

SCRIPT = """
import asyncio, gc, json, sys, weakref
from shipyard._store.workspace import Workspace
from shipyard.core.settings import load_settings
from shipyard.serving.deploy import deploy_online
from shipyard.serving.online.api import plan_options
from shipyard.serving.online.app import ServingApp

FREEZE = sys.argv[2] == "freeze"


async def main():
    settings = load_settings(home=sys.argv[1], actor="tester@test", capture_git=False,
                             capture_packages=False)
    workspace = Workspace(settings)
    default_young = gc.get_threshold()[0]
    app = ServingApp(plan_options("churn-live", workspace), workspace, freeze_heap=FREEZE)
    await app.startup()
    frozen_at_start = gc.get_freeze_count()
    young = gc.get_threshold()[0]
    model = app.table.primary.model.raw
    model.__dict__["_held_in_a_cycle"] = model  # only the cyclic collector can free it now
    retired = weakref.ref(model)
    del model
    deploy_online("churn-live", routes=["churn/2=100"], reason="swap", workspace=workspace)
    swapped = await app.router.refresh()
    await asyncio.sleep(0)  # the swap's turn ends
    freed = retired() is None
    await app.shutdown()
    workspace.close()
    print(json.dumps({"frozen_at_start": frozen_at_start, "frozen_after_swap":
                      gc.get_freeze_count(), "young": young, "default_young": default_young,
                      "swapped": swapped, "freed": freed, "serving": app.table.primary.version}))


asyncio.run(main())
"""


def _serve_and_swap(home: Path, mode: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(home), mode], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_server_freezes_its_heap_and_still_frees_a_swapped_out_model(tmp_path: Path) -> None:
    home = models_home(tmp_path)
    workspace = home_workspace(home)
    try:
        deploy_online("churn-live", routes=["churn/1=100"], workspace=workspace)
    finally:
        workspace.close()
    frozen = _serve_and_swap(home, "freeze")
    assert frozen["swapped"] is True and frozen["serving"] == 2
    assert int(str(frozen["frozen_at_start"])) > 10_000  # libraries and the model, left alone
    assert frozen["young"] == YOUNG_THRESHOLD != frozen["default_young"]
    assert frozen["freed"] is True  # the retired model's cycle was collected
    assert int(str(frozen["frozen_after_swap"])) > 10_000  # and the heap frozen again

    workspace = home_workspace(home)
    try:
        deploy_online("churn-live", routes=["churn/1=100"], reason="back", workspace=workspace)
    finally:
        workspace.close()
    embedded = _serve_and_swap(home, "embedded")  # an app inside another program
    assert embedded["swapped"] is True
    assert embedded["frozen_at_start"] == 0 and embedded["young"] == embedded["default_young"]
