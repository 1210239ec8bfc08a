"""The retraining trigger: a rule with ``retrain: true`` runs the training pipeline on the
newest data (``shipyard.pipeline.retrain``), whose candidate then meets the same gates as any
other. The alert claims its retrain atomically in the store first, so one open alert never
starts two retrains (not even from two monitor processes), and links to the run it started.
"""

from __future__ import annotations

from pathlib import Path

from shipyard._store.monitoring import AlertRecord
from shipyard._store.workspace import Workspace
from shipyard.core.logging import get_logger
from shipyard.pipeline.runner import retrain as pipeline_retrain

log = get_logger(__name__)
ALERT_TAG = "shipyard.alert"


def trigger_retrain(
    workspace: Workspace,
    alert: AlertRecord,
    *,
    config: str | Path | None = None,
) -> str | None:
    """Run the pipeline of ``config`` (default: shipyard.yaml here) for an alert, once;
    returns the pipeline run's id (None when the alert's retrain was claimed before, or when
    it failed, which is recorded on the alert)."""
    if not workspace.monitoring.claim_retrain(alert.id):
        return None
    reason = f"alert {alert.id}: {alert.rule} on {alert.deployment} — {alert.message}"
    try:
        result = pipeline_retrain(
            config, reason=reason, tags={ALERT_TAG: alert.id}, workspace=workspace
        )
    except Exception as exc:
        log.error("The retrain for alert %s failed: %s", alert.id, exc)
        workspace.monitoring.record_retrain(alert.id, run_id=None,
                                            error=f"{type(exc).__name__}: {exc}")  # fmt: skip
        return None
    run_id = result.run_id
    workspace.monitoring.record_retrain(alert.id, run_id=run_id)
    log.info("Alert %s triggered pipeline run %s (%s).", alert.id, run_id, result.verdict)
    return run_id
