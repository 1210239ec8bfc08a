"""``shipyard lineage``: where a model version came from and where it is used."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from shipyard.cli.output import JsonOption, print_json
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.pipeline.lineage import (
    DOWNSTREAM_VERBS,
    UPSTREAM_VERBS,
    LineageEdge,
    LineageGraph,
    LineageNode,
    lineage as lineage_of,
    summary,
)


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
        Console(highlight=False, soft_wrap=True).print(tree(graph))


def tree(graph: LineageGraph) -> Tree:
    """A Rich tree: the version, what it was made from, and what uses it."""
    root = graph.nodes[graph.root]
    drawn = Tree(f"[bold]{escape(root.label)}[/bold]{_details(root)}")
    made_from = drawn.add("[dim]made from[/dim]")
    _grow(made_from, graph.root, graph.upstream, UPSTREAM_VERBS, {graph.root})
    used_by = drawn.add("[dim]used by[/dim]")
    _grow(used_by, graph.root, graph.downstream, DOWNSTREAM_VERBS, {graph.root})
    for branch in (made_from, used_by):
        if not branch.children:
            branch.add("[dim]nothing recorded[/dim]")
    return drawn


def _grow(
    branch: Tree,
    node_id: str,
    step: Callable[[str], list[tuple[LineageEdge, LineageNode]]],
    verbs: Mapping[str, str],
    seen: set[str],
) -> None:
    for edge, node in step(node_id):
        detail = f" ({escape(edge.label)})" if edge.label else ""
        text = f"{verbs.get(edge.relation, edge.relation)} {escape(node.label)}{detail}"
        if node.id in seen:
            branch.add(f"{text} [dim](see above)[/dim]")
            continue
        seen.add(node.id)
        _grow(branch.add(text + _details(node)), node.id, step, verbs, seen)


def _details(node: LineageNode) -> str:
    shown = [f"{key} {value}" for key, value in summary(node)]
    return f" [dim]{escape(', '.join(shown))}[/dim]" if shown else ""
