"""``shipyard runs``: list and inspect tracked runs."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.store.runs import RUN_STATUSES
from shipyard.tracking import reap_runs

app = typer.Typer(help="List, inspect and reap tracked runs.", no_args_is_help=True)


@app.command("list")
def list_runs(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option(help="Only runs of this project.")] = None,
    status: Annotated[str | None, typer.Option(help="running, finished, failed or killed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List runs, newest first, with their latest metrics."""
    if status is not None and status not in RUN_STATUSES:
        raise UsageError(f"--status {status!r} is not a run status.",
                         hint=f"Use one of: {', '.join(RUN_STATUSES)}.")  # fmt: skip
    ws = state(ctx).workspace()
    found = ws.runs.list(project=project, status=status, limit=limit)
    metrics = ws.runs.latest_metrics(r.id for r in found)
    if as_json:
        print_json([{**r.to_dict(), "metrics": metrics[r.id]} for r in found])
        return
    print_table(
        "Runs",
        ["id", "name", "project", "status", "started", "seconds", "metrics"],
        (
            [r.id, r.name, r.project, r.status, r.start_time,
             None if r.duration_seconds is None else round(r.duration_seconds, 2), metrics[r.id]]
            for r in found
        ),
    )  # fmt: skip


@app.command("show")
def show_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run's id (see `shipyard runs list`).")],
    as_json: JsonOption = False,
) -> None:
    """Show one run: what it recorded and where it came from."""
    ws = state(ctx).workspace()
    run = ws.runs.get(run_id)
    metrics = ws.runs.latest_metrics([run.id])[run.id]
    artifacts = ws.runs.artifacts(run.id)
    if as_json:
        print_json({**run.to_dict(), "metrics": metrics,
                    "artifacts": [a.to_dict() for a in artifacts]})  # fmt: skip
        return
    environment = run.environment or {}
    print_fields(
        f"Run {run.id}",
        [
            ("name", run.name), ("project", run.project), ("kind", run.kind),
            ("status", run.status), ("started", run.start_time), ("ended", run.end_time),
            ("parent", run.parent_run_id), ("entrypoint", run.entrypoint),
            ("git commit", run.git_commit),
            ("git dirty", None if run.git_dirty is None else str(run.git_dirty).lower()),
            ("seed", run.seed), ("python", environment.get("python")),
            ("host", environment.get("host")), ("packages lock", run.environment_lock_hash),
            ("params", run.params), ("tags", run.tags), ("metrics", metrics),
        ],
    )  # fmt: skip
    if run.error:
        typer.echo(f"\nError:\n{run.error.rstrip()}")
    print_table(
        "Artifacts",
        ["name", "kind", "size", "sha256"],
        ([a.name, a.kind, a.size, a.hash[:16]] for a in artifacts),
    )


@app.command("reap")
def reap(
    ctx: typer.Context,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds without a heartbeat after which a run on another host is "
            "killed (default: the heartbeat_timeout setting).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mark runs whose process is gone as killed: on this host at once, on other hosts once
    their heartbeat is older than the timeout. Their staging folders are removed."""
    ws = state(ctx).workspace()
    reaped = reap_runs(timeout=timeout, workspace=ws)
    if as_json:
        print_json([ws.runs.get(run_id).to_dict() for run_id in reaped])
        return
    if not reaped:
        say("No run was left running by a process that is gone.")
    for run_id in reaped:
        run = ws.runs.get(run_id)
        say(f"Run {run.id} ({run.name}) marked killed: {run.error}")
