"""``shipyard ab report DEPLOYMENT``: per-arm traffic and metrics with confidence intervals
and lift, and the sample-ratio-mismatch check, from the deployment's prediction log."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shipyard import ab_report
from shipyard.cli.output import JsonOption, print_json, print_table, say
from shipyard.cli.state import state

app = typer.Typer(help="A/B tests: compare the versions a deployment's routes serve.",
                  no_args_is_help=True)  # fmt: skip


@app.command("report")
def report(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="The deployment whose arms to compare.")],
    since: Annotated[
        str | None,
        typer.Option(help="Start of the period: an ISO time or a duration back (1h, 2d)."),
    ] = None,
    until: Annotated[str | None, typer.Option(help="End of the period (default now).")] = None,
    control: Annotated[
        str | None,
        typer.Option(help="The control arm, MODEL/VERSION or VERSION (default the heaviest)."),
    ] = None,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Level of the confidence intervals.")
    ] = 0.95,
    as_json: JsonOption = False,
) -> None:
    """Per-arm traffic, error rate, latency and metrics (labels from feedback) with confidence
    intervals and each arm's lift over the control; flags a broken traffic split."""
    ws = state(ctx).workspace()
    found = ab_report(deployment, since=since, until=until, control=control,
                      confidence=confidence, workspace=ws)  # fmt: skip
    if as_json:
        print_json(found.to_dict())
        return
    level = f"{found.confidence:.0%}"
    rows = []
    for arm in found.arms:
        names = ["error_rate", *arm.metrics]
        for metric in names:
            estimate = arm.error_rate if metric == "error_rate" else arm.metrics[metric]
            lift = arm.lift.get(metric)
            rows.append([
                arm.arm if metric == "error_rate" else "",
                f"{arm.requests:,} ({arm.share:.1%})" if metric == "error_rate" else "",
                metric, _figure(estimate.value), _interval(estimate.low, estimate.high),
                "control" if arm.arm == found.control else _lift(lift),
            ])  # fmt: skip
    print_table(f"A/B report of {deployment} (intervals at {level})",
                ["arm", "traffic", "metric", "value", "interval", "lift vs control"],
                rows)  # fmt: skip
    for arm in found.arms:
        if arm.latency_p50_ms is not None:
            say(f"{arm.arm}: latency p50 {arm.latency_p50_ms:.1f} ms, "
                f"p99 {arm.latency_p99_ms or 0:.1f} ms")  # fmt: skip
    srm = found.sample_ratio
    if srm is None:
        say("Sample ratio: not checked (one arm or no traffic).")
    elif srm.flagged:
        say(f"[bold red]Sample ratio mismatch[/bold red]: observed {dict(srm.observed)} against "
            f"configured shares (chi-square {srm.chi_square:.1f}, p = {srm.p_value:.2g}). The "
            "split is broken; every other figure is suspect.")  # fmt: skip
    else:
        say(f"Sample ratio: as configured (chi-square {srm.chi_square:.2f}, "
            f"p = {srm.p_value:.2g}).")  # fmt: skip


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _interval(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"[{low:.4g}, {high:.4g}]"


def _lift(lift: Any) -> str:
    if lift is None or lift.value is None:
        return "-"
    if lift.low is None or lift.high is None:
        return f"{lift.value:+.1%}"
    return f"{lift.value:+.1%} [{lift.low:+.1%}, {lift.high:+.1%}]"
