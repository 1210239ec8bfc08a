"""``shipyard lineage``: where a model version came from and where it is used."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from shipyard.cli.output import JsonOption, print_json
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.pipeline.lineage import lineage as lineage_of


def lineage(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS, NAME/VERSION, or NAME for the latest.")],
    mermaid: Annotated[
        bool, typer.Option("--mermaid", help="Print a Mermaid flowchart instead of a tree.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show a model version's lineage: sources, dataset versions and runs it was made from,
    and the aliases and deployments that use it."""
    if mermaid and as_json:
        raise UsageError("Choose one of --json and --mermaid.")
    graph = lineage_of(ref, workspace=state(ctx).workspace())
    if as_json:
        print_json(graph.to_dict())
    elif mermaid:
        typer.echo(graph.to_mermaid(), nl=False)
    else:
        Console(highlight=False, soft_wrap=True).print(graph.to_tree())
