"""``shipyard run`` and ``shipyard reproduce``: the training pipeline from shipyard.yaml."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from shipyard.cli.output import ConfigOption, JsonOption, SetOption, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.pipeline.reproduce import reproduce as reproduce_run
from shipyard.pipeline.result import StepEvent
from shipyard.pipeline.runner import run_pipeline


def run(
    ctx: typer.Context,
    config: ConfigOption = None,
    sets: SetOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Compute every step again.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Version and validate the data, train, evaluate the gates, register, and promote when
    the policy holds. Exits 1 when a gate fails, naming it and by how much."""
    console = Console(stderr=as_json, highlight=False)
    result = run_pipeline(
        config, overrides=sets or [], no_cache=no_cache, workspace=state(ctx).workspace(),
        progress=None if as_json else _progress(console),
    )  # fmt: skip
    if as_json:
        print_json(result.to_dict())
    else:
        colour = {"promoted": "green", "registered": "green", "rejected": "red"}[result.verdict]
        say(f"[bold {colour}]{result.verdict.upper()}[/bold {colour}] {escape(result.summary())}")
        if result.evaluation is not None and result.evaluation.metrics:
            say(f"  metrics: {escape(_metrics_line(result.evaluation.metrics))}")
        importance = None if result.evaluation is None else result.evaluation.feature_importance
        if importance and importance.get("features"):
            say(f"  top features: {escape(_top_features(importance))}")
        for fmt, path in result.reports.items():
            say(f"  report ({fmt}): {path}")
        say(f"  pipeline run: {result.run_id}")
    if result.verdict == "rejected":
        raise typer.Exit(1)


def _metrics_line(metrics: dict[str, float | None]) -> str:
    """``accuracy 0.912, auc 0.95``: the evaluated metrics, 4 significant digits."""
    shown = (f"{name} {'-' if value is None else f'{value:.4g}'}"
             for name, value in sorted(metrics.items()))  # fmt: skip
    return ", ".join(shown)


def _top_features(importance: dict[str, Any], count: int = 3) -> str:
    """``income 0.081, debt_ratio 0.052, age 0.012 (roc_auc loss when shuffled)``."""
    shown = []
    for row in importance["features"][:count]:
        value = row["importance"]
        shown.append(f"{row['feature']} {'-' if value is None else f'{value:.3g}'}")
    return ", ".join(shown) + f" ({importance['metric']} loss when shuffled)"


def _progress(console: Console) -> Callable[[StepEvent], None]:
    def show(event: StepEvent) -> None:
        label = f"[{event.index}/{event.total}] {event.step}"
        if event.status == "started":
            return
        seconds = f" {event.seconds:.2f}s" if event.seconds is not None else ""
        mark = {"finished": "[green]done[/green]", "cached": "[cyan]cached[/cyan]",
                "failed": "[red]failed[/red]"}[event.status]  # fmt: skip
        detail = f"  [dim]{escape(event.detail)}[/dim]" if event.detail else ""
        console.print(f"{label:<20} {mark}{seconds}{detail}")

    return show


def reproduce(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The pipeline run to reproduce.")],
    tolerance: Annotated[
        float, typer.Option(help="Largest metric or score difference still 'within tolerance'.")
    ] = 1e-6,
    current_data: Annotated[
        bool, typer.Option("--current-data", help="Read the sources now, not the stored versions.")
    ] = False,
    current_code: Annotated[
        bool, typer.Option("--current-code", help="Use the working tree, not the recorded commit.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Train a pipeline run again from its recorded commit, data versions, configuration and
    seed, and say whether the result is identical, within tolerance or diverged (and why)."""
    result = reproduce_run(
        run_id, tolerance=tolerance, workspace=state(ctx).workspace(),
        data="current" if current_data else "recorded",
        code="current" if current_code else "recorded",
    )  # fmt: skip
    if as_json:
        print_json(result.to_dict())
    else:
        say(escape(result.summary()))
        print_table(
            "Metrics", ["metric", "recorded", "reproduced"],
            ([key, old, new] for key, (old, new) in sorted(result.metrics.items())),
        )  # fmt: skip
        for note in result.notes:
            say(f"note: {escape(note)}")
    if result.outcome == "diverged":
        raise typer.Exit(1)
