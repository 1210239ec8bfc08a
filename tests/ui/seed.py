"""A small workspace with something on every page of the UI: runs (params, metrics with a
history, an artifact, a dataset input, a child), a model whose versions stand in each state of
its promotion policy, a deployment with monitored windows (the newest failing data-quality
checks), an open alert and a resolved one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

import shipyard as sy
from shipyard._store.monitoring import NewResult
from shipyard._store.rollouts import Change
from shipyard._store.workspace import Workspace
from shipyard.core.clock import utcnow
from shipyard.delivery.analysis import CheckResult
from shipyard.delivery.spec import parse_spec
from shipyard.serving.prediction_log import PredictionBatch, PredictionLog
from tests.packaged import register

GATE_OK = {
    "name": "auc",
    "kind": "threshold",
    "passed": True,
    "observed": 0.91,
    "threshold": 0.8,
    "margin": 0.11,
    "message": "auc 0.91 >= 0.8",
}
GATE_BAD = {
    "name": "auc",
    "kind": "threshold",
    "passed": False,
    "observed": 0.62,
    "threshold": 0.8,
    "margin": -0.18,
    "message": "auc 0.62 is short of 0.8 by 0.18",
}

REPORT = "<!doctype html><html lang='en'><title>report</title><h1>Evaluation of churn</h1></html>"


def seed(ws: Workspace, tmp: Path, runs: int = 30) -> dict[str, str]:
    """Fill ``ws``; returns the ids and names the tests look for."""
    frame = pd.DataFrame({"x": [float(i % 7) for i in range(200)], "plan": ["a", "b"] * 100})
    dataset = sy.log_dataset(frame, "customers", workspace=ws)
    sy.log_dataset(frame.assign(y=frame["x"] * 2), "customers", workspace=ws)
    ids: dict[str, str] = {}
    for index in range(runs):
        with sy.start_run(
            f"sweep-{index:02d}",
            workspace=ws,
            params={"C": str(index % 5), "depth": str(3 + index % 3)},
        ) as run:
            sy.log_metric("auc", 0.6 + index / 100)
            sy.log_metric("loss", 1.0 / (index + 1))
            if index == 0:
                for step in range(500):
                    sy.log_metric("curve", (step % 50) / 50 + (5.0 if step == 250 else 0.0), step)
                note = tmp / "notes.txt"
                note.write_text("hello from the run\n")
                sy.log_artifact(note)
                ws.datasets.record_usage(run.id, dataset.id)
                with sy.start_run("child", workspace=ws, parent=run.id) as child:
                    sy.log_metric("auc", 0.5)
                ids["child"] = child.id
                ids["main"] = run.id
    try:
        with sy.start_run("broken", workspace=ws) as broken:
            ids["broken"] = broken.id
            raise RuntimeError("loss diverged")
    except RuntimeError:
        pass
    versions = register(ws, 3, "churn")
    report = ws.artifacts.put_bytes(REPORT.encode())
    for version, gate in zip(versions, (GATE_OK, GATE_OK, GATE_BAD), strict=True):
        sy.record_evaluation(
            "churn",
            version.version,
            passed=bool(gate["passed"]),
            gates=[gate],
            metrics={"auc": gate["observed"]},
            report_hashes={"html": report.hash},
            run_id=None,
            workspace=ws,
        )
    sy.set_policy("churn", "production", gates=["*"], require_approval=True, workspace=ws)
    sy.approve("churn", 1, "production", actor="reviewer", workspace=ws)
    sy.promote("churn", 1, "production", actor="lead", reason="first release", workspace=ws)
    ws.deployments.apply(
        "churn-online", model="churn", routes=[{"alias": "production", "weight": 100}], actor="lead"
    )
    log_traffic(ws)
    for hours in (3, 2, 1):
        end = utcnow() - timedelta(hours=hours - 1)
        result = ws.monitoring.add_result(NewResult(
            deployment="churn-online", window_start=end - timedelta(hours=1), window_end=end,
            reference="customers/1", rows=100,
            feature_drift={"features": [
                {"column": "x", "kind": "numeric", "verdict": "ok", "score": 0.05 * hours},
                {"column": "plan", "kind": "categorical", "verdict": "ok", "score": 0.02},
            ]},
            prediction_drift=None, data_quality=QUALITY if hours == 1 else QUALITY_OK,
            performance={"metrics": {"accuracy": 0.8 + hours / 100}},
            service_health={"latency_p50_ms": 3.0}, summary={"verdict": "ok"},
        ))  # fmt: skip
    # a rule breached on the newest window (then resolved): x's missing share, under the
    # page's own margin, is marked failing because of it
    breached, _ = ws.monitoring.raise_alert(
        rule="x-nulls", deployment="churn-online", fingerprint="fp-x-nulls", severity="info",
        message="null_rate > 0.001 on 1 feature(s): x=0.005", result_id=result.id,
        details={"metric": "null_rate", "features": ["x"], "values": {"x": 0.005},
                 "result_id": result.id},
    )  # fmt: skip
    ws.monitoring.resolve(breached.id, actor="shipyard-monitor", auto=True)
    ws.monitoring.raise_alert(
        rule="drift",
        deployment="churn-online",
        fingerprint="fp-drift",
        severity="warning",
        message="feature x drifted (PSI 0.31)",
        details={"psi": 0.31},
    )
    ids["rollout"] = seed_rollout(ws)
    return ids


QUALITY_OK = {
    "features": {
        "x": {"null_rate": 0.0, "reference_null_rate": 0.0, "out_of_range": 0,
              "out_of_range_rate": 0.0},
        "plan": {"null_rate": 0.0, "reference_null_rate": 0.0, "unseen": 0, "unseen_rate": 0.0,
                 "unseen_values": []},
    },
    "schema_violations": [],
}  # fmt: skip
QUALITY = {  # the newest window: a check of each kind fails
    "features": {
        "x": {"null_rate": 0.005, "reference_null_rate": 0.0, "out_of_range": 3,
              "out_of_range_rate": 0.03},
        "plan": {"null_rate": 0.08, "reference_null_rate": 0.0, "unseen": 5, "unseen_rate": 0.05,
                 "unseen_values": ["platinum"]},
    },
    "schema_violations": ["age: was numeric, is categorical now",
                          "debug_id: logged but not a model input"],
}  # fmt: skip


def seed_rollout(ws: Workspace) -> str:
    """A running rollout of churn 1 → 2 on its own deployment, at 5% after one decision with
    its figures; steps an hour long, so nothing decides while the tests run."""
    canary = [{"version": 1, "weight": 95}, {"version": 2, "weight": 5}]
    ws.deployments.apply("churn-canary", model="churn", routes=canary, actor="lead")
    record = ws.rollouts.create(
        deployment="churn-canary", model="churn", alias="production", stable_version=1,
        canary_version=2, spec=parse_spec({"steps": [5, 50, 100], "interval": 3600}).to_dict(),
        state={"original_routes": [{"version": 1, "weight": 100}],
               "traffic_since": utcnow().isoformat()},
        actor="lead", reason="canary of churn 2",
    )  # fmt: skip
    check = CheckResult(
        check="error_rate", kind="error_rate", status="inconclusive", canary_n=412, stable_n=7803,
        canary_value=0.012, stable_value=0.011, tolerance=0.005, alpha=0.05, difference=0.001,
        lower=-0.004, upper=0.006, reason="the interval still spans the tolerance",
    )  # fmt: skip
    entry = {"action": "wait", "step": 5, "reason": "error_rate: inconclusive",
             "analysis": {"verdict": "inconclusive", "checks": [check.to_dict()]}}  # fmt: skip
    ws.rollouts.change(record.id, Change("rollout.decision", entry, entry["reason"], entry=entry),
                       actor="controller")  # fmt: skip
    return record.id


def log_traffic(ws: Workspace) -> None:
    """Predictions of churn-online by versions 1 and 2 over the last hour."""
    log = PredictionLog(ws.artifacts, flush_interval=60)
    now = utcnow()
    for minute in range(0, 60, 5):
        for version in (1, 2):
            rows = pd.DataFrame({"x": [float(minute)] * 4})
            log.write(PredictionBatch(
                deployment="churn-online", model="churn", version=version, inputs=rows,
                predictions=[1] * 4, request_ids=[f"m{minute}-v{version}-{i}" for i in range(4)],
                latency_ms=2.0 + version + minute / 30, time=now - timedelta(minutes=minute),
            ))  # fmt: skip
        if minute < 30:  # version 2's model raised on one more row in each of these buckets
            log.write(PredictionBatch(
                deployment="churn-online", model="churn", version=2,
                inputs=pd.DataFrame({"x": [float(minute)]}), predictions=[None],
                request_ids=[f"m{minute}-v2-error"], role="error",
                time=now - timedelta(minutes=minute),
            ))  # fmt: skip
    log.close()
