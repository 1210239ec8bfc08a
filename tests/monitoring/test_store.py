"""The monitoring repository on SQLite and PostgreSQL: results, alert dedup, states, the one
retrain per alert, delivery records, and the audit trail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from shipyard._store.monitoring import NewResult
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConflictError, NotFoundError, UsageError

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _result(ws: Workspace, hour: int, deployment: str = "churn-prod") -> str:
    start = T0 + timedelta(hours=hour)
    new = NewResult(
        deployment=deployment, window_start=start, window_end=start + timedelta(hours=1),
        reference="churn-train/1", rows=100 + hour,
        feature_drift={"features": [{"column": "age", "score": 0.01 * hour}]},
        prediction_drift=None, data_quality={"features": {}, "schema_violations": []},
        performance=None, service_health={"rows": 100 + hour}, summary={"drifted": []},
    )  # fmt: skip
    return ws.monitoring.add_result(new).id


def _raise(ws: Workspace, key: str = "f" * 64, message: str = "drift") -> tuple[str, bool]:
    alert, new = ws.monitoring.raise_alert(
        rule="drift", deployment="churn-prod", fingerprint=key, severity="warning",
        message=message, details={"values": {"age": 0.3}},
    )  # fmt: skip
    return alert.id, new


def test_results_are_stored_and_listed_by_window(workspace: Workspace) -> None:
    ids = [_result(workspace, hour) for hour in (2, 0, 1)]
    _result(workspace, 0, deployment="other")
    found = workspace.monitoring.results("churn-prod")
    assert [r.rows for r in found] == [100, 101, 102]
    assert [r.rows for r in workspace.monitoring.results("churn-prod", limit=2)] == [101, 102]
    assert workspace.monitoring.get_result(ids[0]).feature_drift["features"][0]["score"] == 0.02
    since = T0 + timedelta(hours=1, minutes=30)
    assert [r.rows for r in workspace.monitoring.results("churn-prod", since=since)] == [101, 102]
    with pytest.raises(NotFoundError):
        workspace.monitoring.get_result("0" * 32)


def test_an_alert_is_deduplicated_while_active_and_reopens_after_resolving(
    workspace: Workspace,
) -> None:
    first, new = _raise(workspace)
    again, repeated = _raise(workspace, message="drift again")
    assert new and not repeated and again == first
    alert = workspace.monitoring.get_alert(first)
    assert alert.occurrences == 2 and alert.message == "drift again" and alert.state == "open"

    acknowledged = workspace.monitoring.acknowledge(first, actor="ana", comment="looking")
    assert acknowledged.state == "acknowledged" and acknowledged.acknowledged_by == "ana"
    assert _raise(workspace) == (first, False)  # still the same alert while acknowledged

    resolved = workspace.monitoring.resolve(first, actor="ana", reason="fixed upstream")
    assert resolved.state == "resolved" and resolved.resolved_by == "ana"
    assert workspace.monitoring.active_alert("f" * 64) is None
    second, new = _raise(workspace)
    assert new and second != first
    assert [a.id for a in workspace.monitoring.list_alerts(active=True)] == [second]
    assert len(workspace.monitoring.list_alerts(deployment="churn-prod")) == 2
    assert [a.id for a in workspace.monitoring.list_alerts(state="resolved")] == [first]

    actions = [e.action for e in workspace.audit.list(target_type="alert")]
    assert sorted(actions) == ["alert.acknowledge", "alert.resolve"]


def test_alert_states_are_checked(workspace: Workspace) -> None:
    alert_id, _ = _raise(workspace)
    workspace.monitoring.resolve(alert_id, actor="monitor", auto=True)
    with pytest.raises(ConflictError, match="already resolved"):
        workspace.monitoring.acknowledge(alert_id, actor="ana")
    assert workspace.monitoring.resolve(alert_id, actor="ana").resolved_by == "monitor"
    with pytest.raises(NotFoundError, match="shipyard alerts list"):
        workspace.monitoring.acknowledge("0" * 32, actor="ana")
    with pytest.raises(UsageError, match="Severity"):
        workspace.monitoring.raise_alert(rule="r", deployment="d", fingerprint="x",
                                         severity="loud", message="m", details={})  # fmt: skip
    with pytest.raises(UsageError, match="State"):
        workspace.monitoring.list_alerts(state="snoozed")


def test_concurrent_raisers_share_one_alert(workspace: Workspace) -> None:
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: _raise(workspace, key="c" * 64), range(8)))
    assert len({alert_id for alert_id, _ in outcomes}) == 1
    assert sum(new for _, new in outcomes) == 1
    assert workspace.monitoring.get_alert(outcomes[0][0]).occurrences == 8


def test_a_retrain_is_claimed_once_and_deliveries_are_recorded(workspace: Workspace) -> None:
    alert_id, _ = _raise(workspace)
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda _: workspace.monitoring.claim_retrain(alert_id), range(6)))
    assert claims.count(True) == 1
    linked = workspace.monitoring.record_retrain(alert_id, run_id="r" * 32)
    assert linked.triggered_run_id == "r" * 32 and linked.retrain_requested_at is not None

    workspace.monitoring.record_delivery(alert_id, "ops", attempts=4, delivered=False,
                                         error="HTTPStatusError: 500")  # fmt: skip
    alert = workspace.monitoring.record_delivery(alert_id, "log", attempts=1, delivered=True,
                                                 error=None)  # fmt: skip
    assert (alert.delivery_attempts, alert.delivery_failures) == (5, 1)
    assert alert.deliveries["ops"]["error"] == "HTTPStatusError: 500"
    assert alert.deliveries["log"]["delivered"] is True
