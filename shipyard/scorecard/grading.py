"""How any item turns records into points, in one place (docs/scorecard.md, "Scoring"):

- **1** — the check runs automatically (declared in ``shipyard.yaml``, a policy, CI, a
  monitor schedule) *and* it is recorded at least twice in the window;
- **0.5** — it is recorded at least once (a check that ran once, or by hand), or a
  person attested it (``shipyard scorecard attest``) and the attestation has not expired;
- **0** — nothing recorded: no point without a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shipyard.scorecard.evidence import Evidence
from shipyard.scorecard.record import TITLES, Item

REPEATED = 2
"""How many records in the window make a check "repeated"."""


def grade(
    item_id: str,
    evidence: Sequence[str],
    *,
    count: int,
    automatic: bool,
    none: tuple[str, str],
    once: tuple[str, str],
    full: str,
) -> Item:
    """``count`` records of the check in the window, ``automatic`` when something runs it
    without a person; ``none``/``once`` are (why, next action), ``full`` the why at 1."""
    if count <= 0:
        why, action = none
        return Item(item_id, TITLES[item_id], 0.0, tuple(evidence), why, action)
    if automatic and count >= REPEATED:
        return Item(item_id, TITLES[item_id], 1.0, tuple(evidence), full, None, automatic=True)
    why, action = once
    return Item(item_id, TITLES[item_id], 0.5, tuple(evidence), why, action)


def ids(prefix: str, records: Iterable[Any], *, limit: int = 5) -> list[str]:
    """``prefix:ID`` for the newest ``limit`` records (their ``id``)."""
    found = [f"{prefix}:{record.id}" for record in records]
    return found[-limit:]


def gate_item(ev: Evidence, item_id: str, kinds: Sequence[str], what: str, example: str) -> Item:
    """An item earned by evaluation gates of ``kinds``: the pipeline runs the gates declared
    under ``evaluation.gates`` on every candidate."""
    evaluations = [e for e in ev.recent_evaluations()
                   if any(g.get("kind") in kinds for g in e.gates)]  # fmt: skip
    declared = ev.config is not None and any(g.kind in kinds for g in ev.config.evaluation.gates)
    refs = ", ".join(e.ref for e in evaluations[-3:])
    add = f"add a `{example}` gate under `evaluation.gates` in shipyard.yaml"
    return grade(
        item_id, ids("evaluation", evaluations), count=len(evaluations), automatic=declared,
        none=(f"No evaluation since {ev.since:%Y-%m-%d} ran {what}.", add),
        once=(f"{len(evaluations)} evaluation(s) ran {what} ({refs})" + (
              ", but shipyard.yaml no longer declares it." if not declared else
              "; once is not yet a habit."),
              add if not declared else "run the pipeline again (`shipyard run` or `shipyard ci`)"
              " so every candidate is checked"),
        full=f"{len(evaluations)} evaluations ran {what} ({refs}); shipyard.yaml declares it, so "
             "every candidate is checked.",
    )  # fmt: skip


def rule_item(ev: Evidence, item_id: str, metrics: Sequence[str], what: str, example: str) -> Item:
    """An item earned by alert rules on ``metrics`` (``monitoring.rules``), evaluated on every
    monitor window."""
    rules = [r for r in ev.rules if r.metric in metrics]
    names = {r.name for r in rules}
    alerts = [a for a in ev.alerts if a.rule in names or a.details.get("metric") in metrics]
    windows = list(ev.results)
    add = f"add a rule `{example}` under `monitoring.rules` in shipyard.yaml"
    evidence = [f"rule:{n}" for n in sorted(names)] + ids("monitor", windows, limit=3)
    evidence += ids("alert", alerts, limit=3)
    if not rules:
        return grade(
            item_id, ids("alert", alerts), count=len(alerts), automatic=False,
            none=(f"No rule watches {what}.", add),
            once=(f"{len(alerts)} alert(s) on {what} were raised, but no rule declares it "
                  "now.", add), full="",
        )  # fmt: skip
    if not windows:
        return Item(item_id, TITLES[item_id], 0.0, tuple(evidence),
                    f"Rule(s) {', '.join(sorted(names))} watch {what}, but no monitor window "
                    f"ran since {ev.since:%Y-%m-%d}.",
                    "run the monitor on a schedule: `shipyard monitor watch DEPLOYMENT "
                    "--every 1h`")  # fmt: skip
    return grade(
        item_id, evidence, count=len(windows), automatic=True, none=("", ""),
        once=(f"Rule(s) {', '.join(sorted(names))} watch {what}; the monitor ran once.",
              "run the monitor on a schedule: `shipyard monitor watch DEPLOYMENT --every 1h`"),
        full=f"Rule(s) {', '.join(sorted(names))} watch {what} on every monitor window "
             f"({len(windows)} since {ev.since:%Y-%m-%d}).",
    )  # fmt: skip


def attest_only(item_id: str, what: str) -> Item:
    """An organisational item no record can show: only an attestation earns it (0.5)."""
    return Item(
        item_id,
        TITLES[item_id],
        0.0,
        (),
        f"{what} is organisational: Shipyard records no check of it, and nobody attested it.",
        f'attest it: `shipyard scorecard attest {item_id} --note "..." --link URL`',
    )
