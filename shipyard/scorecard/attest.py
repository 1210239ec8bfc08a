"""Manual attestations: a person states that an item's check was done by hand, with a note
and a link to where it is documented. Each is an audit event (``scorecard.attest``, target the
item, e.g. ``DATA-5``), worth half a point until it expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shipyard._store.records import AuditRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.clock import utcnow
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings
from shipyard.scorecard.record import ITEMS, ORGANISATIONAL, Item

ACTION = "scorecard.attest"
TARGET_TYPE = "scorecard_item"
DEFAULT_VALIDITY = "180d"


@dataclass(frozen=True)
class Attestation:
    """A recorded attestation (the audit event ``id``), valid until ``expires_at``."""

    id: int
    item: str
    note: str
    link: str | None
    model: str | None
    actor: str
    time: datetime
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "item": self.item, "note": self.note, "link": self.link,
                "model": self.model, "actor": self.actor, "time": self.time.isoformat(),
                "expires_at": self.expires_at.isoformat()}  # fmt: skip

    @classmethod
    def from_event(cls, event: AuditRecord) -> Attestation:
        after = event.after or {}
        valid = timedelta(seconds=float(after.get("valid_for_seconds", 0)))
        return cls(event.id, event.target, str(after.get("note", "")), after.get("link"),
                   after.get("model"), event.actor, event.time, event.time + valid)  # fmt: skip


def attest(
    item: str,
    note: str,
    *,
    link: str | None = None,
    model: str | None = None,
    valid_for: str | timedelta = DEFAULT_VALIDITY,
    actor: str | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> Attestation:
    """Record that ``item`` (``DATA-5``…) was checked by hand: worth 0.5 on the scorecard (of
    ``model``, or of every model) for ``valid_for`` (``"180d"``, ``"12w"``), then it expires."""
    from shipyard.monitoring.window import parse_duration

    item = str(item).strip().upper()
    if item not in ITEMS:
        raise UsageError(
            f"{item!r} is not a scorecard item.",
            hint="Items are DATA-1..7, MODEL-1..7, INFRA-1..7 and MON-1..7.",
        )
    if not str(note).strip():
        raise UsageError("An attestation needs a note saying what was checked and how.",
                         hint='Pass --note "..." (and --link to the document).')  # fmt: skip
    if link is not None and not link.startswith(("https://", "http://")):
        raise UsageError(
            f"The link {link!r} is not an http(s) URL.",
            hint="Link the document, ticket or page that records the check.",
        )
    valid = parse_duration(valid_for)
    ws = workspace or workspace_for(settings)
    event = ws.audit.record(
        actor=actor or ws.actor, action=ACTION, target_type=TARGET_TYPE, target=item,
        after={"note": note.strip(), "link": link, "model": model,
               "valid_for_seconds": valid.total_seconds()},
        reason=note.strip(),
    )  # fmt: skip
    return Attestation.from_event(event)


def attestations(
    *, workspace: Workspace, model: str | None = None, at: datetime | None = None
) -> list[Attestation]:
    """Attestations in force at ``at`` (default now) for ``model`` (or for every model),
    oldest first."""
    from shipyard.registry.audit import get_audit

    moment = at or utcnow()
    found = [Attestation.from_event(e) for e in get_audit(action=ACTION, limit=None,
                                                           newest_first=False,
                                                           workspace=workspace)]  # fmt: skip
    return [a for a in found if a.time <= moment < a.expires_at
            and (a.model is None or model is None or a.model == model)]  # fmt: skip


def apply_attestations(items: tuple[Item, ...], found: list[Attestation]) -> tuple[Item, ...]:
    """An item below half a point that a person attested gets half a point."""
    out = []
    for item in items:
        mine = [a for a in found if a.item == item.id]
        if item.points >= 0.5 or not mine:
            out.append(item)
            continue
        latest = mine[-1]
        link = f" ({latest.link})" if latest.link else ""
        why = (f"Attested by {latest.actor} on {latest.time:%Y-%m-%d}: {latest.note}{link}; "
               f"expires {latest.expires_at:%Y-%m-%d}.")  # fmt: skip
        action = item.next_action
        if item.id in ORGANISATIONAL:  # an attestation is the most it can earn
            action = f"renew the attestation before it expires ({latest.expires_at:%Y-%m-%d})"
        out.append(Item(item.id, item.title, 0.5, (*item.evidence, f"audit:{latest.id}"), why,
                        action, attested=True))  # fmt: skip
    return tuple(out)
