"""``shipyard rollout DEPLOYMENT --to NAME/V`` and ``shipyard rollout
status|list|pause|resume|abort``: thin views over ``sy.rollout`` and its companions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from shipyard import (
    RolloutRecord,
    abort_rollout,
    get_rollout,
    list_rollouts,
    pause_rollout,
    resume_rollout,
    rollout as start_rollout,
)
from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.yamlfile import parse_scalar
from shipyard.delivery.rollout import describe

COMMANDS = ("start", "status", "list", "pause", "resume", "abort")


class _StartByDefault(TyperGroup):
    """``shipyard rollout DEPLOYMENT --to ...`` means ``shipyard rollout start ...``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["start", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_StartByDefault, no_args_is_help=True,
    help="Progressive rollouts: `shipyard rollout DEPLOYMENT --to NAME/V`, then status, list, "
    "pause, resume, abort.",
)  # fmt: skip
DeploymentArgument = Annotated[str, typer.Argument(help="The deployment's name.")]


@app.command("start")
def start(
    ctx: typer.Context,
    deployment: DeploymentArgument,
    to: Annotated[str, typer.Option("--to", help="The version to roll out: NAME/VERSION.")],
    alias: Annotated[str | None, typer.Option(help="The alias promoted on success.")] = None,
    force: Annotated[bool, typer.Option(help="Start although the policy refuses it.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (required with --force).")] = None,
    config: Annotated[
        Path | None, typer.Option(help="shipyard.yaml holding `rollout:` and `smoke:`.")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="A spec key over the file's: --set interval=30s --set steps=[10,50,100]."
        ),
    ] = None,
    detach: Annotated[
        bool, typer.Option(help="Record the start and return; drive it with `resume`.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Roll DEPLOYMENT out to a new version: smoke tests, then traffic step by step, judged
    against the stable version on live traffic, ending in promotion or rollback."""
    options: dict[str, Any] = {}
    for pair in option or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE.", param_hint="--set")
        options[key.strip()] = parse_scalar(value)
    record = start_rollout(
        deployment, to, alias=alias, force=force, reason=reason, config=config,
        wait=not detach, workspace=state(ctx).workspace(), **options,
    )  # fmt: skip
    _show(record, as_json)
    if record.status in ("rolled_back", "failed", "aborted"):
        raise typer.Exit(1)


@app.command("status")
def status(ctx: typer.Context, deployment: DeploymentArgument, as_json: JsonOption = False) -> None:
    """The deployment's active rollout (else its newest), with every decision."""
    _show(get_rollout(deployment, workspace=state(ctx).workspace()), as_json, history=True)


@app.command("list")
def list_command(
    ctx: typer.Context,
    deployment: Annotated[str | None, typer.Option(help="Only this deployment's.")] = None,
    status: Annotated[str | None, typer.Option(help="Only rollouts in this status.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rollouts, newest first."""
    found = list_rollouts(deployment, status, workspace=state(ctx).workspace())
    if as_json:
        print_json([describe(record) for record in found])
        return
    print_table(
        "Rollouts", ["id", "deployment", "from", "to", "status", "share", "started", "reason"],
        ([r.id, r.deployment, f"{r.model}/{r.stable_version}", r.target, r.status,
          f"{r.canary_share}%", r.started_at, (r.reason or "")[:80]] for r in found),
    )  # fmt: skip


@app.command("pause")
def pause(
    ctx: typer.Context,
    deployment: DeploymentArgument,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Pause the running rollout where it stands; the routes stay as they are."""
    _show(pause_rollout(deployment, reason=reason, workspace=state(ctx).workspace()), as_json)


@app.command("resume")
def resume(
    ctx: typer.Context,
    deployment: DeploymentArgument,
    detach: Annotated[bool, typer.Option(help="Mark it running and return.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Carry on from the recorded step (a paused rollout, or one whose controller died), and
    drive it to its end here. Resuming a rollout that waits for approval approves it."""
    record = resume_rollout(deployment, wait=not detach, workspace=state(ctx).workspace())
    _show(record, as_json)
    if record.status in ("rolled_back", "failed", "aborted"):
        raise typer.Exit(1)


@app.command("abort")
def abort(
    ctx: typer.Context,
    deployment: DeploymentArgument,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    as_json: JsonOption = False,
) -> None:
    """End the active rollout now: all traffic back to the stable version."""
    _show(abort_rollout(deployment, reason=reason, workspace=state(ctx).workspace()), as_json)


def _show(record: RolloutRecord, as_json: bool, *, history: bool = False) -> None:
    if as_json:
        print_json(describe(record))
        return
    print_fields(
        f"Rollout {record.id} of {record.deployment}",
        [("from", f"{record.model}/{record.stable_version}"), ("to", record.target),
         ("status", record.status), ("canary share", f"{record.canary_share}%"),
         ("alias", record.alias), ("started", record.started_at),
         ("reason", record.reason or "-")],
    )  # fmt: skip
    entries = record.history if history else record.history[-3:]
    for entry in entries:
        say(f"  {entry.get('time', '')[:19]}  {entry.get('action', ''):8} at "
            f"{entry.get('step', '-')}%: {entry.get('reason', '')}")  # fmt: skip
