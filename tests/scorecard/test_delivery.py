"""The four delivery metrics on a scripted history of promotions, rollbacks, a rolled-back
rollout and an alert, whose answers are worked out by hand; and on a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sklearn.base

import shipyard as sy
from shipyard._store.monitoring import AlertRecord
from shipyard._store.records import AuditRecord
from shipyard.scorecard.delivery import delivery_metrics
from tests.registered_model import Registered

T0 = datetime(2026, 10, 1, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def event(number: int, at: datetime, action: str, target: str, version: int | None = None
          ) -> AuditRecord:  # fmt: skip
    after = None if version is None else {"version": version}
    kind = "deployment" if action.startswith("rollout.") else "alias"
    return AuditRecord(number, at, "ops", action, kind, target, None, after, None)


def alert(opened: datetime, deployment: str = "churn-online") -> AlertRecord:
    return AlertRecord(
        id="a1", rule="auc-floor", deployment=deployment, severity="critical", state="resolved",
        fingerprint="f", message="roc_auc < 0.7", details={}, result_id=None, occurrences=1,
        opened_at=opened, last_seen_at=opened, acknowledged_at=None, acknowledged_by=None,
        resolved_at=None, resolved_by=None, retrain_requested_at=None, triggered_run_id=None,
        retrain_error=None, delivery_attempts=0, delivery_failures=0, deliveries={},
    )  # fmt: skip


HISTORY = [
    event(1, T0 - D, "alias.set", "churn@production", 9),  # before the window
    event(2, T0 + H, "alias.set", "churn@production", 1),  # lead 3 h
    event(3, T0 + 2 * H, "alias.set", "churn@staging", 1),  # not production
    event(4, T0 + D + 5 * H, "alias.set", "churn@production", 2),  # lead 5 h; fails
    event(5, T0 + D + 8 * H, "alias.rollback", "churn@production", 1),  # 2 h after the alert
    event(6, T0 + 3 * D + 10 * H, "alias.set", "churn@production", 3),  # lead 10 h
    event(7, T0 + 4 * D, "alias.set", "other@production", 1),  # another model
    event(8, T0 + 10 * D + H, "rollout.start", "churn-online"),
    event(9, T0 + 10 * D + 2 * H, "rollout.decision", "churn-online"),
    event(10, T0 + 10 * D + 2.5 * H, "rollout.rollback", "churn-online"),  # 0.5 h after deciding
    event(11, T0 + 12 * D, "alias.set", "churn@production", 4),  # lead 48 h; fails
    event(12, T0 + 13 * D, "alias.rollback", "churn@production", 3),  # no alert: 24 h
]
TRAINED = {("churn", 1): T0 - 2 * H, ("churn", 2): T0 + D, ("churn", 3): T0 + 3 * D,
           ("churn", 4): T0 + 10 * D}  # fmt: skip


def test_the_delivery_metrics_of_a_scripted_history() -> None:
    metrics = delivery_metrics(
        HISTORY, [alert(T0 + D + 6 * H), alert(T0 + 20 * D, deployment="other-online")],
        models=["churn"], trained_at=TRAINED,
        deployments={"churn-online": "churn", "other-online": "other"},
        since=T0, now=T0 + 28 * D,
    )  # fmt: skip
    found = {m.name: m for m in metrics}
    # four production moves of churn in four weeks
    assert found["deployment_frequency"].value == 1.0
    assert found["deployment_frequency"].events == ("audit:2", "audit:4", "audit:6", "audit:11")
    # leads 3, 5, 10 and 48 hours
    assert found["lead_time"].value == 7.5 and found["lead_time"].unit == "hours"
    # changes: 4 moves and 1 rolled-back rollout; failed: moves 4 and 11, and the rollout
    assert found["change_failure_rate"].value == 0.6
    assert found["change_failure_rate"].events == ("audit:4", "audit:11", "audit:10")
    assert found["change_failure_rate"].detail == "3 of 5 change(s) rolled back"
    # restores: 2 h (alert to rollback), 24 h (move to rollback), 0.5 h (decision to rollback)
    assert found["time_to_restore"].value == 2.0
    assert set(found["time_to_restore"].events) == {"audit:5", "alert:a1", "audit:12",
                                                   "audit:9", "audit:10"}  # fmt: skip


def test_the_scorecard_reads_them_from_a_real_audit_log(registered: Registered) -> None:
    ws, frame = registered.workspace, registered.frame
    label = (frame["age"] > 50).astype(int)
    for c in (0.1, 0.01):  # churn/2 and churn/3
        with sy.start_run(workspace=ws) as run:
            model = sklearn.base.clone(registered.model).set_params(clf__C=c).fit(frame, label)
            run.log_model(model, "churn", input_example=frame.head(5))
    for version in (1, 2, 3):
        sy.promote("churn", version, "production", workspace=ws)
    sy.rollback("churn", "production", reason="bad release", workspace=ws)
    card = sy.scorecard("churn", since="7d", workspace=ws)
    found = {m.name: m for m in card.delivery}
    moves = sy.alias_history("churn", "production", workspace=ws)
    assert found["deployment_frequency"].value == 3.0  # three moves in one week
    assert found["deployment_frequency"].events == tuple(f"audit:{e.id}" for e in moves[:3])
    assert found["change_failure_rate"].value == round(1 / 3, 4)
    assert found["change_failure_rate"].events == (f"audit:{moves[2].id}",)
    assert found["time_to_restore"].events == (f"audit:{moves[3].id}",)
    assert found["lead_time"].value is not None and found["lead_time"].value >= 0
    assert card.item("INFRA-7").points == 0.5
