"""The one place an alias moves. The move and its audit event commit in one transaction, so
no caller can move an alias without the log saying who moved it and why.

Only the registry calls this, after the alias's promotion policy has been checked
(:func:`shipyard.registry.promote`); nothing public leads here another way.
"""

from __future__ import annotations

from shipyard._store.audit import record_event
from shipyard._store.database import Database
from shipyard._store.models import lock_model, version_row
from shipyard._store.records import AliasMove
from shipyard._store.tables import Alias, ModelVersion
from shipyard.core.clock import utcnow
from shipyard.core.errors import UsageError
from shipyard.core.names import check_alias


def move_alias(
    db: Database,
    name: str,
    alias: str,
    version: int | None,
    *,
    actor: str,
    reason: str | None,
    action: str,
) -> AliasMove:
    """Point ``alias`` at ``version`` (None deletes it), atomically, with an audit event."""
    check_alias(alias)
    if not actor.strip():
        raise UsageError("An alias move needs an actor.", hint="Set `actor` in the settings.")
    with db.write() as session:
        model = lock_model(session, name)
        current = session.get(Alias, (model.id, alias))
        before = None
        if current is not None:
            before = session.get_one(ModelVersion, current.version_id).version
        if before == version:
            return AliasMove(name, alias, before, version)  # already there: nothing to record
        if version is None:
            if current is not None:
                session.delete(current)
        else:
            target = version_row(session, model, version)
            if current is None:
                session.add(Alias(model_id=model.id, alias=alias, version_id=target.id,
                                  updated_at=utcnow()))  # fmt: skip
            else:
                current.version_id, current.updated_at = target.id, utcnow()
        record_event(
            session, actor=actor, action=action, target_type="alias", target=f"{name}@{alias}",
            before=None if before is None else {"version": before},
            after=None if version is None else {"version": version},
            reason=reason,
        )  # fmt: skip
        return AliasMove(name, alias, before, version)
