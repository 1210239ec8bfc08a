"""``shipyard ci``: every CI stage in one command, with a report for the pull request."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.output import ConfigOption, JsonOption, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.settings import load_settings


def ci(
    ctx: typer.Context,
    config: ConfigOption = None,
    against: Annotated[
        str, typer.Option(help="The alias whose version the metrics are compared with.")
    ] = "production",
    report: Annotated[
        Path | None, typer.Option(help="Write a Markdown report (for a pull-request comment).")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option(help="Write JUnit XML (a case per stage, gate).")
    ] = None,
    host: Annotated[str, typer.Option(help="Where the ephemeral server listens.")] = "127.0.0.1",
    checks: Annotated[bool, typer.Option(help="Run the ci.checks commands.")] = True,
    tests: Annotated[bool, typer.Option(help="Run the project's tests with pytest.")] = True,
    integration: Annotated[
        bool, typer.Option(help="Serve the candidate and test it over HTTP and in batch.")
    ] = True,
    print_workflow: Annotated[
        str | None,
        typer.Option("--print-workflow", help="Print the CI definition: github or gitlab."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the CI stages: checks, tests, data validation, the pipeline, gates against
    --against, package checks, an integration test, and the tested mark. Exits 1 when a stage
    or gate fails."""
    if print_workflow is None:  # first, while the process is small (see the function)
        from shipyard.models.flavors.sklearn import import_scipy_first

        import_scipy_first()
    from shipyard.ci.report import to_junit, write_markdown
    from shipyard.ci.runner import ci as run_ci
    from shipyard.ci.workflows import workflow

    if print_workflow is not None:
        typer.echo(workflow(print_workflow), nl=False)
        return
    overrides = state(ctx).overrides  # the store is opened by the configuration stage
    result = run_ci(
        config, against=against, host=host, run_checks=checks, run_tests=tests,
        integration=integration, settings=load_settings(**overrides) if overrides else None,
        progress=None if as_json else _show_stage,
    )  # fmt: skip
    write_markdown(result, report)
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(to_junit(result), encoding="utf-8")
    if as_json:
        print_json(result.to_dict())
    else:
        if result.metrics:
            print_table(
                f"Metrics against {result.against}",
                ["metric", result.against, "candidate", "change", "gates"],
                ([r.metric, r.baseline, r.candidate, r.change, r.verdict] for r in result.metrics),
            )
        colour = "green" if result.passed else "red"
        say(f"[bold {colour}]{'PASSED' if result.passed else 'FAILED'}[/bold {colour}] "
            f"{escape(result.summary())}")  # fmt: skip
        _scorecard_line(config, overrides)
    if not result.passed:
        raise typer.Exit(1)


def _scorecard_line(config: Path | None, overrides: dict[str, object]) -> None:
    """The project's scorecard in one line, after the stages (never failing the job)."""
    from shipyard.core.errors import ShipyardError
    from shipyard.scorecard.api import scorecard

    try:
        card = scorecard(config=config, settings=load_settings(**overrides) if overrides else None)
    except ShipyardError as error:
        say(f"[dim]scorecard: not computed ({escape(error.message)})[/dim]")
        return
    say(f"scorecard: {escape(card.summary())} (`shipyard scorecard` for each item)")


def _show_stage(stage: object) -> None:
    from shipyard.ci.result import StageResult

    assert isinstance(stage, StageResult)
    mark = {"passed": "[green]passed[/green]", "failed": "[red]failed[/red]",
            "skipped": "[dim]skipped[/dim]"}[stage.status]  # fmt: skip
    hint = f"\n    hint: {escape(stage.hint)}" if stage.hint and stage.status == "failed" else ""
    say(f"{stage.name:<16} {mark} {stage.seconds:6.2f}s  {escape(stage.message)}{hint}")
