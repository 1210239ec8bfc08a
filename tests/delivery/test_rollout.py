"""Rollouts against a real online server with real traffic from a generator: an identical
canary is promoted, a canary with more errors or a worse accuracy on feedback is rolled back
by itself, a canary without traffic waits and then takes the declared action, a killed
controller is resumed from its recorded step, and bad input gets a clear error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConfigurationError, ConflictError, NotFoundError
from shipyard.core.settings import load_settings
from shipyard.serving.deploy import deploy_online
from tests.cli.process import run_shipyard
from tests.delivery.models import Threshold, example
from tests.delivery.traffic import traffic
from tests.services import free_port
from tests.serving.server import ROOT, Server, start_server

ERRORS = [18, 19]
"""Ages the faulty canary refuses: 2 of 62, about 3.2% of requests (stable: none)."""
FAST = {"steps": [20, 50, 100], "interval": 0.3, "min_samples": 60, "max_duration": 60,
        "smoke": False, "checks": [{"kind": "error_rate", "tolerance": 0.03}]}  # fmt: skip
ENV = {"SHIPYARD_TRUSTED_MODULES": '["tests"]', "SHIPYARD_CAPTURE_GIT": "false",
       "SHIPYARD_PREDICTION_LOG_FLUSH_INTERVAL": "0.2"}  # fmt: skip


@dataclass
class Shop:
    home: Path
    workspace: Workspace
    server: Server


def open_home(home: Path) -> Workspace:
    return Workspace(load_settings(home=home, actor="releaser@test", capture_git=False,
                                   capture_packages=False, trusted_modules=["tests"]))  # fmt: skip


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """churn/1 and churn/2 (identical), churn/3 (refuses some ages), churn/4 (a worse
    threshold), churn/5 (rejected); deployment ``shop`` follows churn@production -> 1 and is
    served by a real server following route changes every 0.2 s."""
    home = tmp_path_factory.mktemp("rollout") / "home"
    ws = open_home(home)
    for model in (Threshold(), Threshold(), Threshold(refused=ERRORS), Threshold(44.0),
                  Threshold()):  # fmt: skip
        with sy.start_run("train", workspace=ws) as run:
            run.log_model(model, "churn", input_example=example())
    ws.models.set_status("churn", 5, "rejected", actor="reviewer@test")
    sy.promote("churn", 1, "production", workspace=ws)
    deploy_online("shop", routes=["churn@production=100"], workspace=ws)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENV.items():
            patch.setenv(key, value)
        server = start_server(home, "shop", "--poll-interval", "0.2")
    try:
        yield Shop(home, ws, server)
    finally:
        server.stop()
        ws.close()


def stable(shop: Shop) -> int:
    return sy.resolve("churn@production", workspace=shop.workspace).version


def twin(shop: Shop) -> str:
    """The version identical to the stable one."""
    return "churn/2" if stable(shop) == 1 else "churn/1"


def actions(shop: Shop, rollout: sy.RolloutRecord) -> list[str]:
    events = sy.get_audit(target="shop", target_type="deployment", limit=None,
                          newest_first=False, workspace=shop.workspace)  # fmt: skip
    return [e.action for e in events if (e.after or {}).get("rollout") == rollout.id]


def test_an_identical_canary_is_promoted(shop: Shop) -> None:
    before, target = stable(shop), twin(shop)
    with traffic(shop.server.url) as live:
        waiting = sy.rollout("shop", to=target, workspace=shop.workspace,
                             **{**FAST, "smoke": True, "approval": True})  # fmt: skip
        assert waiting.status == "paused" and waiting.canary_share == 50
        assert "waiting for approval" in waiting.history[-1]["reason"]
        done = sy.resume_rollout("shop", workspace=shop.workspace)  # a person approves
        time.sleep(0.6)  # one follow interval of the server, and then some
        live.answered.clear()
        time.sleep(0.5)
    assert done.status == "promoted", done.history[-1]
    assert f"churn/{stable(shop)}" == target != f"churn/{before}"
    assert sy.get_deployment("shop", workspace=shop.workspace).routes == [
        {"alias": "production", "weight": 100}
    ]
    assert set(live.answered) == {target}
    history = [entry["action"] for entry in done.history]
    assert history[0] == "advance" and "promote" in history
    promoted = done.history[-1]
    check = promoted["analysis"]["checks"][0]
    assert check["status"] == "not_worse" and check["canary_n"] >= 60
    assert check["test"].startswith("normal-mixture confidence sequence")
    audited = actions(shop, done)
    assert audited[0] == "rollout.start" and audited[-1] == "rollout.promote"
    assert {"rollout.decision", "rollout.pause", "rollout.resume"} <= set(audited)
    moves = sy.get_audit(target="churn@production", workspace=shop.workspace)
    assert moves[0].action == "alias.set" and "rollout" in (moves[0].reason or "")


@pytest.mark.slow
def test_a_canary_with_more_errors_is_rolled_back(shop: Shop) -> None:
    before = stable(shop)
    routes = sy.get_deployment("shop", workspace=shop.workspace).routes
    with traffic(shop.server.url) as live:
        done = sy.rollout("shop", to="churn/3", workspace=shop.workspace, **FAST)
        time.sleep(0.6)
        live.answered.clear()
        time.sleep(0.5)
    assert done.status == "rolled_back", done.history[-1]
    assert "error_rate" in (done.reason or "") and "lies above 0" in (done.reason or "")
    assert sy.get_deployment("shop", workspace=shop.workspace).routes == routes
    assert stable(shop) == before and set(live.answered) == {f"churn/{before}"}
    worse = done.history[-1]["analysis"]["checks"][0]
    assert worse["status"] == "worse" and worse["canary_value"] > worse["stable_value"]
    assert "rollout.rollback" in actions(shop, done)
    alerts = sy.list_alerts(deployment="shop", workspace=shop.workspace)
    assert any(a.rule == "rollout" and "churn/3" in a.message for a in alerts)
    said = sy.get_audit(target="churn/3", action="version.rolled_back", workspace=shop.workspace)
    assert said and said[0].reason == done.reason


def test_a_canary_with_worse_accuracy_on_feedback_is_rolled_back(shop: Shop) -> None:
    checks = [{"name": "accuracy", "kind": "metric", "metric": "accuracy", "tolerance": 0.02}]
    with traffic(shop.server.url, feedback=True, seed=1):
        done = sy.rollout("shop", to="churn/4", workspace=shop.workspace,
                          **{**FAST, "checks": checks})  # fmt: skip
    assert done.status == "rolled_back", done.history[-1]
    check = done.history[-1]["analysis"]["checks"][0]
    assert check["check"] == "accuracy" and check["status"] == "worse"
    assert check["canary_value"] < check["stable_value"] == 1.0


def test_a_canary_without_traffic_waits_then_takes_the_declared_action(shop: Shop) -> None:
    routes = sy.get_deployment("shop", workspace=shop.workspace).routes
    done = sy.rollout("shop", to=twin(shop), workspace=shop.workspace,
                      **{**FAST, "max_duration": 1.5, "on_failure": "pause"})  # fmt: skip
    assert done.status == "paused" and done.canary_share == 20
    assert "maximum duration" in (done.reason or done.history[-1]["reason"])
    waits = [e for e in done.history if e["action"] == "wait"]
    assert any("too little data" in wait["reason"] for wait in waits)
    assert [r["weight"] for r in sy.get_deployment("shop", workspace=shop.workspace).routes] == [
        80,
        20,
    ]
    ended = sy.abort_rollout("shop", reason="no traffic today", workspace=shop.workspace)
    assert ended.status == "aborted" and ended.canary_share == 0
    assert sy.get_deployment("shop", workspace=shop.workspace).routes == routes
    assert actions(shop, ended)[-2:] == ["rollout.pause", "rollout.abort"]


def test_a_server_that_is_down_pauses_the_rollout(shop: Shop) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    done = sy.rollout("shop", to=twin(shop), workspace=shop.workspace,
                      **{**FAST, "servers": [gone]})  # fmt: skip
    assert done.status == "paused" and "a server is down" in done.history[-1]["reason"]
    assert sy.pause_rollout is not None
    sy.abort_rollout("shop", workspace=shop.workspace)


@pytest.mark.slow
def test_a_killed_controller_is_resumed_from_its_recorded_step(shop: Shop) -> None:
    target = twin(shop)
    command = [sys.executable, "-c", "from shipyard.cli.app import main; main()", "--home",
               str(shop.home), "rollout", "shop", "--to", target, "--set", "smoke=false",
               "--set", "interval=0.3", "--set", "min_samples=60", "--set", "steps=[20,50,100]",
               "--set", "checks=[{kind: error_rate, tolerance: 0.05}]"]  # fmt: skip
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT), "SHIPYARD_ACTOR": "controller@test"}
    with traffic(shop.server.url, seed=2) as live:
        output = (shop.home.parent / "controller.log").open("wb")
        controller = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            record = None
            while time.monotonic() < deadline:
                found = sy.list_rollouts("shop", "running", workspace=shop.workspace)
                if found and found[0].step_index >= 1:
                    record = found[0]
                    break
                time.sleep(0.05)
            assert record is not None, (shop.home.parent / "controller.log").read_text()
        finally:
            controller.send_signal(signal.SIGKILL)
            controller.wait()
            output.close()
        live.answered.clear()
        time.sleep(0.5)
        assert "unreachable" not in live.answered and sum(live.answered.values()) > 0
        assert sy.get_rollout("shop", workspace=shop.workspace).status == "running"
        done = sy.resume_rollout("shop", workspace=shop.workspace)
    assert done.status == "promoted", done.history[-1]
    resumed = [e for e in done.history if e["action"] == "resume"]
    assert resumed and resumed[0]["step"] == record.spec["steps"][record.step_index]
    assert "silent" in resumed[0]["reason"]


def test_bad_input_gets_a_clear_error_and_stable_keeps_serving(shop: Shop, tmp_path: Path) -> None:
    ws = shop.workspace
    with pytest.raises(NotFoundError, match="no deployment called 'nowhere'"):
        sy.rollout("nowhere", to="churn/2", workspace=ws)
    with pytest.raises(NotFoundError):
        sy.rollout("shop", to="churn/99", workspace=ws)
    with pytest.raises(ConflictError, match="churn/5 is rejected"):
        sy.rollout("shop", to="churn/5", workspace=ws, **FAST)
    forced = sy.rollout("shop", to="churn/5", force=True, reason="hotfix", wait=False,
                        workspace=ws, **FAST)  # fmt: skip
    assert forced.status == "running" and forced.canary_share == 20
    with pytest.raises(ConflictError, match="already has an active rollout"):
        sy.rollout("shop", to=twin(shop), workspace=ws, **FAST)
    start = sy.get_audit(target="shop", action="rollout.start", limit=1, workspace=ws)[0]
    assert (start.reason or "").startswith("[forced] hotfix")
    assert sy.abort_rollout("shop", workspace=ws).status == "aborted"
    with pytest.raises(ConflictError, match="no active rollout"):
        sy.pause_rollout("shop", workspace=ws)
    (tmp_path / "shipyard.yaml").write_text(
        "rollout:\n  steps: [10, 100]\n  checks:\n    - kind: latency\n"
    )
    with pytest.raises(ConfigurationError, match=r"shipyard.yaml:4 rollout.checks\[0\]"):
        sy.rollout("shop", to=twin(shop), config=tmp_path / "shipyard.yaml", workspace=ws)
    assert sy.list_rollouts("shop", "aborted", workspace=ws)[0].id == forced.id
    listed = run_shipyard("--home", str(shop.home), "rollout", "list", "--deployment", "shop",
                          "--status", "aborted", "--json", cwd=tmp_path)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["id"] == forced.id
    with pytest.raises(NotFoundError, match="no rollout of or called 'nowhere'"):
        sy.get_rollout("nowhere", workspace=ws)
    response = httpx.post(f"{shop.server.url}/predict",
                          json={"instances": [{"age": 30, "spend": 60.0}]})  # fmt: skip
    assert response.status_code == 200
