"""``shipyard promote``, ``rollback`` and ``audit``: moving aliases, and their history."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard.cli.output import JsonOption, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.registry import (
    parse_ref,
    promote as promote_version,
    resolve,
    rollback as rollback_alias,
)
from shipyard.store.models import AliasMove


def promote(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The version: NAME/VERSION, or NAME@ALIAS to copy.")],
    alias: Annotated[str, typer.Option("--alias", "-a", help="The alias to move.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
    force: Annotated[
        bool, typer.Option(help="Promote a rejected version (needs --reason).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Point an alias at a version, atomically; the move is recorded in the audit log."""
    ws = state(ctx).workspace()
    parsed = parse_ref(ref)
    if parsed.alias is None and parsed.version is None:
        raise UsageError(f"{ref!r} does not say which version.",
                         hint=f"Write {parsed.name}/VERSION or {parsed.name}@ALIAS.")  # fmt: skip
    version = resolve(parsed, workspace=ws)
    move = promote_version(
        version.model_name, version.version, alias, reason=reason, force=force, workspace=ws
    )
    _report(move, as_json, "promoted")


def rollback(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS to move back to its previous version.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Move an alias back to the version it pointed at before (a promotion back, audited)."""
    parsed = parse_ref(ref)
    if parsed.alias is None:
        raise UsageError(f"{ref!r} names no alias.", hint=f"Write {parsed.name}@production.")
    move = rollback_alias(parsed.name, parsed.alias, reason=reason,
                          workspace=state(ctx).workspace())  # fmt: skip
    _report(move, as_json, "rolled back")


def _report(move: AliasMove, as_json: bool, verb: str) -> None:
    if as_json:
        print_json({"model": move.model, "alias": move.alias,
                    "before": move.before, "after": move.after})  # fmt: skip
    elif move.before == move.after:
        say(f"{move.model}@{move.alias} already points at version {move.after}; nothing changed.")
    else:
        was = "nothing" if move.before is None else f"version {move.before}"
        say(f"{verb.capitalize()} {move.model}@{move.alias}: {was} -> version {move.after}.")


def audit(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option(help="Only events about this model.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. alias.set.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Show the audit log, newest first: who changed what, when, and why."""
    ws = state(ctx).workspace()
    if model is not None:
        ws.models.get_model(model)
    events = ws.audit.list(model=model, action=action, limit=limit)
    if as_json:
        print_json([e.to_dict() for e in events])
        return
    print_table(
        "Audit log",
        ["time", "actor", "action", "target", "before", "after", "reason"],
        ([e.time, e.actor, e.action, e.target, e.before, e.after, e.reason] for e in events),
    )
