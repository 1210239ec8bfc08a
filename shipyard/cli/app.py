"""The ``shipyard`` command. Errors are mapped to messages and exit codes here, once:
a :class:`ShipyardError` prints one sentence plus a hint and exits with its own code (1 for
user errors, 2 for usage errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from shipyard.cli import batch, data, db, init, models, registry, runs, serve
from shipyard.cli.output import print_error
from shipyard.cli.state import CliState, parse_sets
from shipyard.core.errors import ShipyardError


class _Group(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ShipyardError as error:
            print_error(error)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="shipyard",
    help="Continuous delivery for machine learning: track, register, promote, serve, watch.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    ctx: typer.Context,
    store: Annotated[
        str | None, typer.Option(help="Metadata store URL (default: SQLite in .shipyard/).")
    ] = None,
    artifacts: Annotated[
        str | None, typer.Option(help="Artifact store URL or folder (default .shipyard/artifacts).")
    ] = None,
    home: Annotated[
        Path | None, typer.Option(help="Folder of the default store and artifacts.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting, KEY=VALUE (repeatable)."),
    ] = None,
) -> None:
    """Settings come from these options, then SHIPYARD_* variables, then shipyard.yaml."""
    overrides: dict[str, Any] = parse_sets(set_ or [])
    if store is not None:
        overrides["store_url"] = store
    if artifacts is not None:
        overrides["artifacts_url"] = artifacts
    if home is not None:
        overrides["home"] = home
    ctx.obj = CliState(overrides=overrides)
    ctx.call_on_close(ctx.obj.close)


app.add_typer(runs.app, name="runs")
app.add_typer(models.app, name="models")
app.add_typer(data.app, name="data")
app.add_typer(db.app, name="db")
app.command("init")(init.init)
app.command("promote")(registry.promote)
app.command("rollback")(registry.rollback)
app.command("audit")(registry.audit)
app.command("batch")(batch.batch)
app.command("serve")(serve.serve)
app.add_typer(serve.deploy_app, name="deploy")
app.add_typer(serve.deployments_app, name="deployments")


def main() -> None:
    app()
