"""A deployment route that gives a version live traffic is judged as a promotion is, and
promotion verifies the package's blobs: through the real CLI, as a user hits it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from tests.cli_process import shipyard
from tests.packaged import register

pytestmark = pytest.mark.slow

GATE = {"name": "auc_min", "kind": "threshold", "passed": True, "observed": 0.9,
        "threshold": 0.8, "margin": 0.1, "message": "roc_auc 0.900 >= min 0.800"}  # fmt: skip


def _churn(workspace: Workspace) -> None:
    """churn/1 in production, churn/2 ready but never evaluated, churn/3 rejected."""
    register(workspace, 3)
    sy.promote("churn", 1, "production", reason="first", workspace=workspace)
    workspace.models.set_status("churn", 3, "rejected", actor="ci", reason="gate failed")


def test_a_route_to_a_rejected_version_is_refused_unless_forced(workspace: Workspace) -> None:
    _churn(workspace)
    shipyard(workspace, "deploy", "online", "churn-online", "--route", "churn@production=100")

    refused = shipyard(workspace, "deploy", "online", "churn-online", "--route", "churn/3=100")
    assert refused.returncode == 1
    assert "churn/3 is rejected" in refused.stdout + refused.stderr
    routes = workspace.deployments.get("churn-online").routes
    assert routes == [{"alias": "production", "weight": 100}]  # traffic did not move

    no_reason = shipyard(workspace, "deploy", "online", "churn-online", "--route", "churn/3=100",
                         "--force")  # fmt: skip
    assert no_reason.returncode == 2 and "needs a reason" in no_reason.stdout + no_reason.stderr
    forced = shipyard(workspace, "deploy", "online", "churn-online", "--route", "churn/3=100",
                      "--force", "--reason", "incident 7")  # fmt: skip
    assert forced.returncode == 0, forced.stdout + forced.stderr
    event = workspace.audit.list(action="deployment.update", limit=1)[0]
    assert event.reason == "[forced] incident 7 (churn/3 is rejected)"
    assert event.actor == "cli@test" and event.origin is not None


def test_a_canary_must_meet_the_policy_of_the_alias_the_deployment_serves(
    workspace: Workspace,
) -> None:
    _churn(workspace)
    sy.set_policy("churn", "production", gates=["auc_min"], workspace=workspace)
    canary = ["deploy", "online", "churn-online", "--route", "churn@production=90",
              "--route", "churn/2=10"]  # fmt: skip
    refused = shipyard(workspace, *canary)
    assert refused.returncode == 1
    assert "promotion policy of churn@production" in refused.stdout + refused.stderr
    assert "no evaluation is recorded for churn/2" in refused.stdout + refused.stderr

    sy.record_evaluation("churn", 2, passed=True, gates=[GATE], metrics={"roc_auc": 0.9},
                         report_hashes={}, run_id=None, workspace=workspace)  # fmt: skip
    allowed = shipyard(workspace, *canary)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    # a shadow only receives a copy of the traffic: only a rejected version is refused
    shadow = shipyard(workspace, *canary, "--shadow", "churn/3")
    assert shadow.returncode == 1 and "churn/3 is rejected" in shadow.stdout + shadow.stderr


def test_a_version_whose_package_is_corrupt_is_never_promoted(workspace: Workspace) -> None:
    _churn(workspace)
    digest = sy.resolve("churn/2", workspace=workspace).package_hash
    manifest = json.loads(workspace.artifacts.get_bytes(digest))
    member, entry = sorted(manifest["files"].items())[0]
    blob = Path(workspace.artifacts.uri(entry["sha256"]))
    blob.write_bytes(b"tampered" + blob.read_bytes())

    for extra in ([], ["--force", "--reason", "hotfix"]):
        done = shipyard(workspace, "promote", "churn/2", "--alias", "production", *extra)
        assert done.returncode == 1
        assert "churn/2 cannot go live: its stored package is damaged" in done.stdout + done.stderr
        assert member in done.stdout + done.stderr
    assert sy.resolve("churn@production", workspace=workspace).version == 1
    routed = shipyard(workspace, "deploy", "online", "churn-online", "--route", "churn/2=100",
                      "--force", "--reason", "try")  # fmt: skip
    assert routed.returncode == 1 and "damaged" in routed.stdout + routed.stderr


def test_serving_a_rejected_version_directly_is_refused(workspace: Workspace) -> None:
    _churn(workspace)
    done = shipyard(workspace, "serve", "churn/3", "--port", "0")
    assert done.returncode == 1
    assert "churn/3 is rejected" in done.stdout + done.stderr
