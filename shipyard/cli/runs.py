"""``shipyard runs``: list and inspect tracked runs."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard import get_run, list_artifacts, reap_runs, search_runs
from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state

app = typer.Typer(help="List, inspect and reap tracked runs.", no_args_is_help=True)


@app.command("list")
def list_runs(
    ctx: typer.Context,
    filter_: Annotated[
        str | None,
        typer.Option(
            "--filter", help="e.g. \"params.C = '1.0' and metrics.auc > 0.8\" (docs/api.md)."
        ),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option("--order-by", help="FIELD [ASC|DESC], e.g. 'metrics.auc DESC'; repeatable."),
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only runs of this project.")] = None,
    status: Annotated[str | None, typer.Option(help="running, finished, failed or killed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    page_token: Annotated[
        str | None, typer.Option("--page-token", help="The next page's token, as printed.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List runs, newest first (or as --order-by says), with their latest metrics."""
    clauses = [filter_] if filter_ else []
    clauses += [f"{name} = {_quoted(value)}" for name, value in
                (("project", project), ("status", status)) if value is not None]  # fmt: skip
    page = search_runs(" and ".join(clauses) or None, order_by=order_by, max_results=limit,
                       page_token=page_token, workspace=state(ctx).workspace())  # fmt: skip
    if as_json:
        print_json([r.to_dict() for r in page])  # the next page: --page-token, as the table says
        return
    print_table(
        "Runs",
        ["id", "name", "project", "status", "started", "seconds", "metrics"],
        (
            [r.id, r.name, r.project, r.status, r.start_time,
             None if r.duration_seconds is None else round(r.duration_seconds, 2), r.metrics]
            for r in page
        ),
    )  # fmt: skip
    if page.next_page_token:
        typer.echo(f"More runs: --page-token {page.next_page_token}")


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@app.command("show")
def show_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run's id (see `shipyard runs list`).")],
    as_json: JsonOption = False,
) -> None:
    """Show one run: what it recorded and where it came from."""
    ws = state(ctx).workspace()
    run = get_run(run_id, workspace=ws)
    metrics = run.metrics
    artifacts = list_artifacts(run.id, workspace=ws)
    if as_json:
        print_json({**run.to_dict(), "artifacts": [a.to_dict() for a in artifacts]})
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
