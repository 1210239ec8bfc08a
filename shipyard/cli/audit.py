"""``shipyard audit``: the audit log, newest first, and ``shipyard audit verify``, which checks
that nobody changed or removed an event or moved an alias behind the log's back."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard import get_audit, get_model, verify_audit
from shipyard.cli.output import JsonOption, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.origin import person

app = typer.Typer(
    help="Show the audit log (who changed what, when, why), or verify it.",
    invoke_without_command=True,
)


@app.callback()
def show(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option(help="Only events about this model.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. alias.set.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Show the audit log, newest first: who changed what, when, and why. The actor is who the
    caller said it was; the origin is the OS user and host Shipyard observed."""
    if ctx.invoked_subcommand is not None:
        return
    ws = state(ctx).workspace()
    if model is not None:
        get_model(model, workspace=ws)  # an unknown model is an error, not an empty log
    events = get_audit(model=model, action=action, limit=limit, workspace=ws)
    if as_json:
        print_json([e.to_dict() for e in events])
        return
    print_table(
        "Audit log",
        ["time", "actor", "origin", "action", "target", "before", "after", "reason"],
        ([e.time, e.actor, person(e.origin) or "-", e.action, e.target, e.before, e.after,
          e.reason] for e in events),
    )  # fmt: skip


@app.command("verify")
def verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Walk the audit log's hash chain: name the first event that was changed or removed, and
    every alias whose target disagrees with its last event. Exits 1 when anything is wrong."""
    verdict = verify_audit(workspace=state(ctx).workspace())
    if as_json:
        print_json(verdict.to_dict())
    elif verdict.ok:
        say(f"The audit log is intact: {verdict.events} events, head {verdict.head_hash[:16]}.")
    else:
        say(f"The audit log was tampered with ({len(verdict.problems)} problem(s)):")
        for problem in verdict.problems:
            say(f"  - {problem.message}")
    if not verdict.ok:
        raise typer.Exit(1)
