"""``shipyard monitor`` (run, watch, report) and ``shipyard alerts`` (list, ack, resolve)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from shipyard import (
    MonitorResultRecord,
    acknowledge_alert,
    list_alerts as stored_alerts,
    resolve_alert,
)
from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.monitoring import load_config, monitor_run, monitor_watch
from shipyard.monitoring.report import write_report
from shipyard.monitoring.window import parse_time

monitor_app = typer.Typer(help="Watch deployments: drift, data quality, performance, health.",
                          no_args_is_help=True)  # fmt: skip
alerts_app = typer.Typer(help="List, acknowledge and resolve monitoring alerts.",
                         no_args_is_help=True)  # fmt: skip

DeploymentArgument = Annotated[str, typer.Argument(help="The deployment's name.")]
ReferenceOption = Annotated[
    str | None,
    typer.Option("--reference", help="DATASET/VERSION to compare with (default: the training "
                 "data of the deployment's model version)."),
]  # fmt: skip
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="shipyard.yaml holding the monitoring section.")
]


@monitor_app.command("run")
def run(
    ctx: typer.Context,
    deployment: DeploymentArgument,
    window: Annotated[str | None, typer.Option(help="Window ending now: 30m, 1h, 1d.")] = None,
    since: Annotated[str | None, typer.Option(help="Window start (ISO time, UTC).")] = None,
    until: Annotated[
        str | None, typer.Option(help="Window end (ISO time, UTC; default now).")
    ] = None,
    reference: ReferenceOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Monitor one window of a deployment's prediction log and apply the alert rules."""
    if window is not None and since is not None:
        raise UsageError("Give either --window or --since/--until, not both.")
    ws = state(ctx).workspace()
    with Console(stderr=True).status(f"Monitoring {deployment}…", spinner="dots"):
        result = monitor_run(deployment, window=window, since=since, until=until,
                             reference=reference, config=config or _config_file(ctx),
                             workspace=ws)  # fmt: skip
    alerts = stored_alerts(deployment=deployment, active=True, limit=None, workspace=ws)
    if as_json:
        print_json({**result.to_dict(), "active_alerts": [a.to_dict() for a in alerts]})
        return
    _print_result(result)
    if alerts:
        say(f"[bold red]{len(alerts)} active alert(s):[/bold red] "
            + "; ".join(f"{a.rule} ({a.severity}) {a.message}" for a in alerts))  # fmt: skip


def _config_file(ctx: typer.Context) -> Path | None:
    return state(ctx).settings().config_file


def _print_result(result: MonitorResultRecord) -> None:
    health = result.service_health
    latency = health.get("latency_ms") or {}
    metrics = (result.performance or {}).get("metrics") or {}
    print_fields(
        f"Monitor {result.deployment}: {result.window_start:%Y-%m-%d %H:%M} – "
        f"{result.window_end:%Y-%m-%d %H:%M} UTC",
        [
            ("reference", result.reference), ("predictions", result.rows),
            ("verdict", result.summary.get("verdict")),
            ("drifted", result.summary.get("drifted")),
            ("prediction drift", (result.prediction_drift or {}).get("score")),
            ("schema violations", result.data_quality.get("schema_violations")),
            ("labelled", result.summary.get("labelled_rows")),
            ("performance", {k: v for k, v in metrics.items() if v is not None}),
            ("latency ms", latency), ("error rate", health.get("error_rate")),
        ],
    )  # fmt: skip
    quality = result.data_quality.get("features", {})
    print_table(
        "Features",
        ["feature", "verdict", "method", "score", "null rate", "out of range", "unseen"],
        ([f["column"], f["verdict"], f.get("method"), f.get("score"),
          quality.get(f["column"], {}).get("null_rate"),
          quality.get(f["column"], {}).get("out_of_range"),
          quality.get(f["column"], {}).get("unseen")]
         for f in result.feature_drift.get("features", [])),
    )  # fmt: skip


@monitor_app.command("watch")
def watch(
    ctx: typer.Context,
    deployment: DeploymentArgument,
    every: Annotated[str, typer.Option(help="How often to run: 1m, 5m, 1h.")] = "5m",
    window: Annotated[str | None, typer.Option(help="Window per run (default: --every).")] = None,
    reference: ReferenceOption = None,
    config: ConfigOption = None,
) -> None:
    """Monitor every --every until interrupted (Ctrl-C or SIGTERM stop it cleanly)."""
    ws = state(ctx).workspace()
    settings = load_config(config or _config_file(ctx))
    say(f"Watching {deployment} every {every}; Ctrl-C stops.")

    def show(result: MonitorResultRecord) -> None:
        drifted = ", ".join(result.summary.get("drifted", [])) or "none"
        say(f"{result.window_end:%H:%M:%S} {result.rows} predictions, drifted: {drifted}")

    runs = monitor_watch(deployment, every=every, window=window, reference=reference,
                         config=settings, workspace=ws, on_result=show)  # fmt: skip
    say(f"Stopped after {runs} run(s).")


@monitor_app.command("report")
def report(
    ctx: typer.Context,
    deployment: DeploymentArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the report.")] = Path(
        "monitoring-report"
    ),
    since: Annotated[str | None, typer.Option(help="Only windows ending after this.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write an HTML report (plots inline) and a Markdown summary of the monitor results."""
    ws = state(ctx).workspace()
    paths = write_report(ws, deployment, output, since=parse_time(since) if since else None)
    if as_json:
        print_json({key: str(path) for key, path in paths.items()})
        return
    say(f"Report written: {paths['html']} and {paths['markdown']}")


@alerts_app.command("list")
def list_alerts(
    ctx: typer.Context,
    deployment: Annotated[str | None, typer.Option(help="Only this deployment.")] = None,
    state_: Annotated[
        str | None, typer.Option("--state", help="open, acknowledged or resolved.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved alerts.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List alerts, newest first (active ones unless --all or --state)."""
    ws = state(ctx).workspace()
    found = stored_alerts(deployment=deployment, state=state_, active=not all_ and state_ is None,
                          limit=limit, workspace=ws)  # fmt: skip
    if as_json:
        print_json([a.to_dict() for a in found])
        return
    print_table(
        "Alerts",
        ["id", "opened", "deployment", "rule", "severity", "state", "seen", "message", "run"],
        ([a.id, a.opened_at, a.deployment, a.rule, a.severity, a.state, a.occurrences,
          a.message, a.triggered_run_id] for a in found),
    )  # fmt: skip


@alerts_app.command("ack")
def ack(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    comment: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Acknowledge an alert: it stays active (no duplicate opens) until it resolves."""
    _done(acknowledge_alert(alert_id, comment=comment, workspace=state(ctx).workspace()), as_json)


@alerts_app.command("resolve")
def resolve(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id.")],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Resolve an alert by hand (the monitor also resolves it when its condition clears)."""
    _done(resolve_alert(alert_id, reason=reason, workspace=state(ctx).workspace()), as_json)


def _done(alert: Any, as_json: bool) -> None:
    if as_json:
        print_json(alert.to_dict())
        return
    say(f"Alert {alert.id} ({alert.rule}) is {alert.state}.")
