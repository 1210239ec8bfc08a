"""``shipyard promote``, ``rollback``, ``approve``, ``models policy`` and ``audit``: moving
aliases under their promotion policies, and the history of every move."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard import (
    AliasMove,
    EvaluationRecord,
    ModelVersionRecord,
    PolicyRecord,
    Workspace,
)
from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import PolicyViolationError, UsageError
from shipyard.registry import (
    ModelRef,
    approve as approve_version,
    check_policy,
    delete_policy,
    get_policy,
    list_policies,
    parse_ref,
    promote as promote_version,
    resolve,
    rollback as rollback_alias,
    set_policy,
)


def promote(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The version: NAME/VERSION, or NAME@ALIAS to copy.")],
    alias: Annotated[str, typer.Option("--alias", "-a", help="The alias to move.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            help="Promote a version the alias's policy refuses, or a rejected one "
            "(needs --reason; audited with what it overrode)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Point an alias at a version, atomically, once the alias's promotion policy holds; the
    move is recorded in the audit log."""
    ws = state(ctx).workspace()
    version = _version(ref, ws)
    try:
        move = promote_version(
            version.model_name, version.version, alias, reason=reason, force=force, workspace=ws
        )
    except PolicyViolationError:
        verdict = check_policy(version.model_name, version.version, alias, workspace=ws)
        if as_json:
            print_json({"promoted": False, "verdict": verdict.to_dict()})
        else:
            say(f"Promotion policy of {version.model_name}@{alias}: not met by {version.ref}")
            for problem in verdict.reasons:
                say(f"  - {problem}")
        raise
    _report(move, as_json, "promoted")


def approve(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The version: NAME/VERSION (or NAME@ALIAS).")],
    alias: Annotated[str, typer.Option("--alias", "-a", help="The alias it may go to.")],
    comment: Annotated[str | None, typer.Option(help="What was checked, for the log.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a version for an alias whose promotion policy requires an approval."""
    ws = state(ctx).workspace()
    version = _version(ref, ws)
    approval = approve_version(
        version.model_name, version.version, alias, comment=comment, workspace=ws
    )
    verdict = check_policy(version.model_name, version.version, alias, workspace=ws)
    if as_json:
        print_json({"approval": approval.to_dict(), "verdict": verdict.to_dict()})
        return
    say(f"Approved {version.ref} for {alias!r} (by {approval.actor}).")
    if verdict.policy is None:
        say(f"{version.model_name}@{alias} has no promotion policy.")
    elif verdict.allowed:
        say(f"It meets the policy: shipyard promote {version.ref} --alias {alias}")
    else:
        say(f"Still missing for {version.model_name}@{alias}: {'; '.join(verdict.reasons)}.")


def policy(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The model name.")],
    alias: Annotated[str | None, typer.Option("--alias", "-a", help="Only this alias.")] = None,
    gate: Annotated[
        list[str] | None,
        typer.Option(help="Set: a gate that must pass (repeatable; '*' for every gate)."),
    ] = None,
    require_approval: Annotated[
        bool | None,
        typer.Option(
            "--require-approval/--no-approval", help="Set: whether an approval is required."
        ),
    ] = None,
    distinct_approver: Annotated[
        bool | None,
        typer.Option(
            "--distinct-approver/--any-approver",
            help="Set: four eyes, the approver must not be who registered or promotes the "
            "version (compared by claimed actor and observed OS user and host).",
        ),
    ] = None,
    require: Annotated[
        list[str] | None,
        typer.Option(help="Set: a mark the version must carry (repeatable): tested."),
    ] = None,
    clear: Annotated[bool, typer.Option(help="Lift the alias's policy.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show a model's promotion policies, or set (--gate, --require-approval, --require) or
    lift (--clear) the policy of one alias."""
    ws = state(ctx).workspace()
    changing = any(o is not None for o in (gate, require_approval, distinct_approver, require))
    if changing or clear:
        if alias is None:
            raise UsageError(
                "Which alias's policy?", hint=f"Add --alias, e.g. {name} --alias production."
            )
        if changing and clear:
            raise UsageError("--clear lifts the policy; it cannot be combined with --gate.")
        if clear:
            _clear_policy(ws, name, alias, as_json)
            return
        current = get_policy(name, alias, workspace=ws)  # what is not given stays as it was
        set_policy(
            name, alias,
            gates=gate if gate is not None else (current.gates if current else []),
            require_approval=require_approval if require_approval is not None
            else bool(current and current.require_approval) or bool(distinct_approver),
            distinct_approver=distinct_approver if distinct_approver is not None
            else bool(current and current.approval_distinct),
            requires=require if require is not None else (current.requires if current else ()),
            workspace=ws,
        )  # fmt: skip
    policies = list_policies(name, workspace=ws)
    if alias is not None:
        policies = [p for p in policies if p.alias == alias]
    if as_json:
        print_json([p.to_dict() for p in policies])
        return
    print_table(
        f"Promotion policies of {name}",
        ["alias", "gates", "approval", "requires", "updated", "by"],
        ([p.alias, _gates_text(p), _approval_text(p), ", ".join(p.requires) or "-",
          p.updated_at, p.updated_by] for p in policies),
    )  # fmt: skip


def _clear_policy(ws: Workspace, name: str, alias: str, as_json: bool) -> None:
    lifted = delete_policy(name, alias, workspace=ws)
    if as_json:
        print_json({"model": name, "alias": alias, "cleared": lifted})
    else:
        say(f"Lifted the policy of {name}@{alias}." if lifted else f"{name}@{alias} had no policy.")


def _approval_text(policy: PolicyRecord) -> str:
    if not policy.require_approval:
        return "-"
    return "required, by a second person" if policy.approval_distinct else "required"


def _gates_text(policy: PolicyRecord) -> str:
    if policy.all_gates:
        return "every gate"
    return ", ".join(policy.gates) or "-"


def _version(ref: str, ws: Workspace) -> ModelVersionRecord:
    parsed: ModelRef = parse_ref(ref)
    if parsed.alias is None and parsed.version is None:
        raise UsageError(f"{ref!r} does not say which version.",
                         hint=f"Write {parsed.name}/VERSION or {parsed.name}@ALIAS.")  # fmt: skip
    return resolve(parsed, workspace=ws)


def print_evaluation(evaluation: EvaluationRecord | None) -> None:
    """The gate outcomes of a version's newest evaluation (for ``shipyard models show``)."""
    if evaluation is None:
        say("[dim]No evaluation recorded.[/dim]")
        return
    print_fields(
        "Evaluation",
        [("result", "passed" if evaluation.passed else "failed"),
         ("run", evaluation.run_id), ("evaluated", evaluation.created_at),
         ("report", evaluation.report_hashes)],
    )  # fmt: skip
    print_table(
        "Gates",
        ["gate", "kind", "result", "observed", "threshold", "margin", "message"],
        ([g.get("name"), g.get("kind"), "pass" if g.get("passed") else "FAIL", g.get("observed"),
          g.get("threshold"), g.get("margin"), g.get("message")] for g in evaluation.gates),
    )  # fmt: skip


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
