"""``shipyard approve``, ``promote`` under a policy, ``models policy`` and ``models show``."""

from __future__ import annotations

import json

import pytest

from shipyard import registry
from shipyard._store.workspace import Workspace
from tests.cli.conftest import Invoke
from tests.packaged import package_hash


@pytest.fixture
def churn(workspace: Workspace) -> Workspace:
    """churn/1 (its auc_min gate failed) and churn/2 (every gate passed)."""
    for version, passed in ((1, False), (2, True)):
        workspace.models.create_version(
            "churn", package_hash=package_hash(workspace), flavor="python", signature=None,
            source_run_id=None, actor="trainer",
        )  # fmt: skip
        registry.record_evaluation(
            "churn", version, passed=passed, metrics={"roc_auc": 0.7 if not passed else 0.8},
            gates=[{"name": "auc_min", "kind": "threshold", "passed": passed, "observed": 0.7,
                    "threshold": 0.75, "margin": -0.05,
                    "message": "roc_auc 0.700 < min 0.750 (short by 0.050)"}],
            report_hashes={"markdown": "ab" * 32}, run_id=None, workspace=workspace,
        )  # fmt: skip
    return workspace


def test_a_policy_is_set_shown_and_cleared(shipyard_cli: Invoke, churn: Workspace) -> None:
    result = shipyard_cli("models", "policy", "churn", "--alias", "production", "--gate", "*",
                          "--require-approval")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "production" in result.stdout and "every gate" in result.stdout
    assert "required" in result.stdout
    shipyard_cli("models", "policy", "churn", "--alias", "staging", "--gate", "auc_min")

    shown = json.loads(shipyard_cli("models", "policy", "churn", "--json").stdout)
    assert [(p["alias"], p["gates"], p["require_approval"], p["updated_by"]) for p in shown] == [
        ("production", ["*"], True, "cli@test"), ("staging", ["auc_min"], False, "cli@test"),
    ]  # fmt: skip
    one = json.loads(shipyard_cli("models", "policy", "churn", "-a", "staging", "--json").stdout)
    assert [p["alias"] for p in one] == ["staging"]

    shipyard_cli("models", "policy", "churn", "-a", "production", "--gate", "auc_min")
    kept = registry.get_policy("churn", "production", workspace=churn)
    assert kept is not None and (kept.gates, kept.require_approval) == (("auc_min",), True)
    shipyard_cli("models", "policy", "churn", "-a", "production", "--no-approval")
    kept = registry.get_policy("churn", "production", workspace=churn)
    assert kept is not None and (kept.gates, kept.require_approval) == (("auc_min",), False)

    cleared = shipyard_cli("models", "policy", "churn", "--alias", "staging", "--clear")
    assert cleared.exit_code == 0 and "Lifted the policy of churn@staging" in cleared.stdout
    assert registry.get_policy("churn", "staging", workspace=churn) is None

    no_alias = shipyard_cli("models", "policy", "churn", "--gate", "auc_min")
    assert no_alias.exit_code == 2 and "Which alias" in no_alias.output
    for args in (("ghost",), ("ghost", "-a", "production", "--gate", "*")):
        ghost = shipyard_cli("models", "policy", *args)
        assert ghost.exit_code == 1 and "'ghost' is not registered" in ghost.output


def test_promote_refuses_with_the_verdict_and_approve_lets_it_through(
    shipyard_cli: Invoke, churn: Workspace
) -> None:
    registry.set_policy("churn", "production", gates=["*"], require_approval=True,
                        workspace=churn)  # fmt: skip
    refused = shipyard_cli("promote", "churn/2", "--alias", "production")
    assert refused.exit_code == 1
    assert "Promotion policy of churn@production: not met by churn/2" in refused.stdout
    assert "- churn/2 has no approval for 'production'" in refused.stdout
    assert "does not meet the promotion policy" in refused.stderr
    assert "shipyard approve" in refused.stderr and "--force --reason" in refused.stderr

    approved = shipyard_cli("approve", "churn/2", "--alias", "production", "--comment", "ok")
    assert approved.exit_code == 0, approved.output
    assert "Approved churn/2 for 'production' (by cli@test)" in approved.stdout
    assert "It meets the policy" in approved.stdout

    promoted = shipyard_cli("promote", "churn/2", "--alias", "production", "--json")
    assert promoted.exit_code == 0, promoted.output
    assert json.loads(promoted.stdout) == {"model": "churn", "alias": "production",
                                           "before": None, "after": 2}  # fmt: skip
    event = churn.audit.list(action="version.approve")[0]
    assert (event.actor, event.target, event.reason) == ("cli@test", "churn/2", "ok")


def test_a_refusal_in_json_and_a_forced_promotion(shipyard_cli: Invoke, churn: Workspace) -> None:
    registry.set_policy("churn", "production", gates=["auc_min"], workspace=churn)
    refused = shipyard_cli("promote", "churn/1", "--alias", "production", "--json")
    assert refused.exit_code == 1
    verdict = json.loads(refused.stdout)["verdict"]
    assert verdict["allowed"] is False
    assert verdict["reasons"] == [
        "gate 'auc_min' failed: roc_auc 0.700 < min 0.750 (short by 0.050)"
    ]

    no_reason = shipyard_cli("promote", "churn/1", "--alias", "production", "--force")
    assert no_reason.exit_code == 2 and "needs a reason" in no_reason.output
    forced = shipyard_cli("promote", "churn/1", "--alias", "production", "--force",
                          "--reason", "known issue, hotfix")  # fmt: skip
    assert forced.exit_code == 0, forced.output
    assert "Promoted churn@production: nothing -> version 1" in forced.stdout
    log = json.loads(shipyard_cli("audit", "--model", "churn", "--action", "alias.set",
                                  "--json").stdout)  # fmt: skip
    assert log[0]["reason"] == (
        "[forced] known issue, hotfix (policy not met: gate 'auc_min' failed: "
        "roc_auc 0.700 < min 0.750 (short by 0.050))"
    )


def test_approve_errors_are_clear(shipyard_cli: Invoke, churn: Workspace) -> None:
    churn.models.set_status("churn", 1, "rejected", actor="ci")
    rejected = shipyard_cli("approve", "churn/1", "--alias", "production")
    assert rejected.exit_code == 1 and "churn/1 is rejected" in rejected.output
    unnamed = shipyard_cli("approve", "churn", "--alias", "production")
    assert unnamed.exit_code == 2 and "does not say which version" in unnamed.output
    ghost = shipyard_cli("approve", "churn/9", "--alias", "production")
    assert ghost.exit_code == 1 and "has no version 9" in ghost.output


def test_models_show_lists_the_newest_evaluation(shipyard_cli: Invoke, churn: Workspace) -> None:
    shown = shipyard_cli("models", "show", "churn/1")
    assert shown.exit_code == 0, shown.output
    assert "Evaluation" in shown.stdout and "failed" in shown.stdout
    assert "auc_min" in shown.stdout and "FAIL" in shown.stdout
    assert "roc_auc 0.700 < min 0.750 (short by 0.050)" in shown.stdout

    data = json.loads(shipyard_cli("models", "show", "churn/2", "--json").stdout)
    assert data["version"] == 2
    assert data["evaluation"]["passed"] is True
    assert data["evaluation"]["gates"][0]["name"] == "auc_min"

    churn.models.create_version("churn", package_hash=package_hash(churn), flavor="python",
                                signature=None, source_run_id=None, actor="t")  # fmt: skip
    assert "No evaluation recorded" in shipyard_cli("models", "show", "churn/3").stdout
