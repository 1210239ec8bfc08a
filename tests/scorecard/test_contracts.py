"""Items that features built beside the scorecard make automatic score from the records those
features write, by the names agreed with them: rollout audit events (INFRA-6, INFRA-7), runs
of a tuning study (MODEL-3), staleness studies (MODEL-4), a simple-baseline gate (MODEL-5)
and permutation importance stored with the evaluation (DATA-2). Records of another model's
deployment do not count."""

from __future__ import annotations

import sklearn.base

import shipyard as sy
from tests.registered_model import Registered


def test_records_of_the_agreed_names_earn_their_items(registered: Registered) -> None:
    ws, frame = registered.workspace, registered.frame
    label = (frame["age"] > 50).astype(int)
    for c in (0.1, 0.01):  # churn/2 and churn/3 come from a tuning study's trials
        with sy.start_run(tags={"shipyard.tuning.study": "study-1"}, workspace=ws) as run:
            model = sklearn.base.clone(registered.model).set_params(clf__C=c).fit(frame, label)
            run.log_model(model, "churn", input_example=frame.head(5))
    with sy.start_run("decay of churn/1", kind="staleness", workspace=ws):
        pass
    sy.record_evaluation(
        "churn", 3, passed=True, run_id=None, report_hashes={},
        gates=[{"name": "baseline:simple", "kind": "baseline", "passed": True}],
        metrics={"roc_auc": 0.81},
        feature_importance={"metric": "roc_auc", "importances": {"age": 0.12, "income": -0.01}},
        workspace=ws,
    )  # fmt: skip
    for name, model in (("churn-online", "churn"), ("other-online", "churn-other")):
        if model == "churn-other":
            with sy.start_run(workspace=ws) as run:
                run.log_model(registered.model, model, input_example=frame.head(5))
        ws.deployments.apply(name, model=model, routes=[{"version": 1, "weight": 100}],
                             actor="tester@test")  # fmt: skip
    for action in ("rollout.start", "rollout.decision", "rollout.promote", "rollout.start",
                   "rollout.decision", "rollout.rollback"):  # fmt: skip
        ws.audit.record(actor="rollouts", action=action, target_type="deployment",
                        target="churn-online")  # fmt: skip
    ws.audit.record(actor="rollouts", action="rollout.start", target_type="deployment",
                    target="other-online")  # fmt: skip

    card = sy.scorecard("churn", workspace=ws)
    points = {i.id: i.points for i in card.items}
    assert points["MODEL-3"] == 1.0
    assert card.item("MODEL-3").evidence == ("version:churn/2", "version:churn/3")
    assert points["MODEL-4"] == 0.5  # one staleness study
    assert points["MODEL-5"] == 0.5  # the gate ran once, and no shipyard.yaml declares it
    assert points["DATA-2"] == 0.5 and "importance <= 0: income" in card.item("DATA-2").why
    assert points["INFRA-6"] == 1.0  # two rollouts of churn's deployment (not other-online's)
    assert len(card.item("INFRA-6").evidence) == 4  # two starts, a promotion, a rollback
    assert points["INFRA-7"] == 1.0  # a rollout rolled back by itself
    rate = {m.name: m for m in card.delivery}["change_failure_rate"]
    assert rate.value == 1.0 and rate.detail == "1 of 1 change(s) rolled back"
    other = sy.scorecard("churn-other", workspace=ws)
    assert other.item("INFRA-6").points == 0.5 and other.item("INFRA-7").points == 0
