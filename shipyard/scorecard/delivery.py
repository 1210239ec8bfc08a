"""The four delivery metrics of the State of DevOps report, from the audit log, rollouts and
alerts, over a window:

- **deployment frequency**: ``alias.set`` moves of ``NAME@production`` per week;
- **lead time**: from the start of a promoted version's source run (its commit was trained
  then) to its move to production, the median in hours;
- **change failure rate**: failed changes over changes, where a change is a production move
  or a rolled-back rollout, and a move fails when ``alias.rollback`` of the same alias follows
  it before the next move (a ``rollout.rollback`` is a failed change of its own);
- **time to restore**: from the trigger (the first alert on the model's deployments after the
  failed move, else the move itself; for a rollout, its last ``rollout.decision``, else its
  start) to the rollback that restored a healthy version, the median in hours.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime

from shipyard._store.monitoring import AlertRecord
from shipyard._store.records import AuditRecord
from shipyard.scorecard.record import DeliveryMetric

WEEK_SECONDS = 7 * 24 * 3600.0


def delivery_metrics(
    events: Sequence[AuditRecord],
    alerts: Sequence[AlertRecord],
    *,
    models: Sequence[str],
    trained_at: Mapping[tuple[str, int], datetime],
    deployments: Mapping[str, str],
    since: datetime,
    now: datetime,
) -> tuple[DeliveryMetric, ...]:
    """The four metrics over ``[since, now]``. ``trained_at`` maps (model, version) to when its
    source run started; ``deployments`` maps a deployment's name to its model."""
    events = sorted((e for e in events if since <= e.time <= now), key=lambda e: (e.time, e.id))
    targets = {f"{m}@production" for m in models}
    moves = [e for e in events if e.action == "alias.set" and e.target in targets]
    rollbacks = [e for e in events if e.action == "alias.rollback" and e.target in targets]
    rollout_events = [e for e in events if e.action.startswith("rollout.")
                      and deployments.get(e.target) in models]  # fmt: skip
    failed_rollouts = [e for e in rollout_events if e.action == "rollout.rollback"]
    weeks = max((now - since).total_seconds(), 1.0) / WEEK_SECONDS

    frequency = DeliveryMetric(
        "deployment_frequency", round(len(moves) / weeks, 3), "per week",
        f"{len(moves)} production move(s) in {weeks:.1f} weeks", _ids(moves),
    )  # fmt: skip

    leads, lead_events = [], []
    for move in moves:
        version = (move.after or {}).get("version")
        started = trained_at.get((move.target.split("@")[0], int(version or 0)))
        if started is not None and started <= move.time:
            leads.append((move.time - started).total_seconds() / 3600)
            lead_events.append(move)
    lead = DeliveryMetric(
        "lead_time", _median(leads), "hours",
        f"median of {len(leads)} move(s), from the source run's start to production",
        _ids(lead_events),
    )  # fmt: skip

    failures: list[AuditRecord] = []
    restores: list[float] = []
    cause: list[str] = []
    for index, move in enumerate(moves):
        until = moves[index + 1].time if index + 1 < len(moves) else now
        undone = next((r for r in rollbacks if r.target == move.target
                       and move.time < r.time <= until), None)  # fmt: skip
        if undone is None:
            continue
        failures.append(move)
        model = move.target.split("@")[0]
        alert = min((a for a in alerts if deployments.get(a.deployment) == model
                     and move.time <= a.opened_at <= undone.time),
                    key=lambda a: a.opened_at, default=None)  # fmt: skip
        trigger = alert.opened_at if alert is not None else move.time
        restores.append((undone.time - trigger).total_seconds() / 3600)
        cause.extend([f"audit:{undone.id}"] + ([f"alert:{alert.id}"] if alert else []))
    for rolled in failed_rollouts:
        earlier = [e for e in rollout_events if e.target == rolled.target and e.time <= rolled.time
                   and e.action in ("rollout.decision", "rollout.start")]  # fmt: skip
        decision = next((e for e in reversed(earlier) if e.action == "rollout.decision"), None)
        trigger_event = decision or (earlier[-1] if earlier else rolled)
        restores.append((rolled.time - trigger_event.time).total_seconds() / 3600)
        cause.extend(f"audit:{e.id}" for e in (trigger_event, rolled) if e is not rolled)
        cause.append(f"audit:{rolled.id}")
    changes = len(moves) + len(failed_rollouts)
    failed = len(failures) + len(failed_rollouts)
    rate = DeliveryMetric(
        "change_failure_rate", round(failed / changes, 4) if changes else None, "share",
        f"{failed} of {changes} change(s) rolled back", _ids([*failures, *failed_rollouts]),
    )  # fmt: skip
    restore = DeliveryMetric(
        "time_to_restore", _median(restores), "hours",
        f"median of {len(restores)} restore(s), from the alert or rollback trigger to the "
        "rollback", tuple(cause),
    )  # fmt: skip
    return (frequency, lead, rate, restore)


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


def _ids(events: Sequence[AuditRecord]) -> tuple[str, ...]:
    return tuple(f"audit:{e.id}" for e in events)
