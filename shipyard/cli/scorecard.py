"""``shipyard scorecard [MODEL]``: the ML Test Score, the maturity grid, the MLOps level and the
delivery metrics; ``shipyard scorecard attest ITEM --note ...`` records a manual check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from shipyard.cli.output import ConfigOption, JsonOption, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError

DEFAULT = "show"


class _DefaultGroup(TyperGroup):
    """``shipyard scorecard churn --json`` means ``shipyard scorecard show churn --json``: any
    first word that is not a subcommand goes to ``show``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [DEFAULT, *args]
        return list(super().parse_args(ctx, args))

    def list_commands(self, ctx: Any) -> list[str]:
        return [name for name in super().list_commands(ctx) if name != DEFAULT]


app = typer.Typer(
    cls=_DefaultGroup,
    help="The ML Test Score, maturity grid, MLOps level and delivery metrics, from the "
    "records: shipyard scorecard [MODEL] [--since 90d] [--json | --markdown | --html -o DIR]; "
    "shipyard scorecard attest ITEM --note TEXT [--link URL].",
)


@app.command(DEFAULT, hidden=True)
def show(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(help="The model (default: shipyard.yaml's, else all).")
    ] = None,
    since: Annotated[str, typer.Option(help="The window: a duration (90d) or an ISO time.")] = (
        "90d"
    ),
    config: ConfigOption = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown.")] = False,
    html: Annotated[bool, typer.Option("--html", help="Write the HTML heatmap (with -o).")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for report.html / report.md.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Score a model on the 28 tests of the ML Test Score from what Shipyard recorded."""
    from shipyard.scorecard.api import scorecard
    from shipyard.scorecard.render import to_markdown, write_scorecard

    if sum((markdown, html, as_json)) > 1:
        raise UsageError("Choose one of --json, --markdown and --html.")
    if html and output is None:
        raise UsageError("--html writes files: give the folder with -o DIR.")
    card = scorecard(model, since=since, config=config, workspace=state(ctx).workspace())
    if output is not None:
        for path in write_scorecard(card, output).values():
            say(f"wrote {escape(str(path))}")
        if html:
            return
    if as_json:
        print_json(card.to_dict())
    elif markdown:
        typer.echo(to_markdown(card), nl=False)
    else:
        _print(card)


def _print(card: Any) -> None:
    for section, total in card.sections.items():
        rows = [
            (i.id, i.title, f"{i.points:g}" + (" (attested)" if i.attested else ""), i.why,
             i.next_action or "-")
            for i in card.items if i.section == section
        ]  # fmt: skip
        print_table(f"{section}: {total:g} / 7", ["item", "test", "points", "why", "next"], rows)
    cells = {(c.principle, c.aspect): c.level for c in card.grid}
    principles = list(dict.fromkeys(c.principle for c in card.grid))
    print_table("Maturity grid (1-3)", ["principle", "code", "model", "data"],
                ([p, *(str(cells[(p, a)]) for a in ("code", "model", "data"))]
                 for p in principles))  # fmt: skip
    print_table("Grid cells: what each level means here", ["principle", "aspect", "level", "why"],
                ([c.principle, c.aspect, c.level, c.why] for c in card.grid))  # fmt: skip
    print_table("Delivery metrics", ["metric", "value", "unit", "from"],
                ([d.name, d.value, d.unit, d.detail] for d in card.delivery))  # fmt: skip
    missing = f" Next: {card.mlops.missing}." if card.mlops.missing else ""
    say(f"MLOps level {card.mlops.level}: {escape(card.mlops.reason)}.{escape(missing)}")
    for note in card.notes:
        say(f"[dim]{escape(note)}[/dim]")
    say(f"[bold]{escape(card.summary())}[/bold]")


@app.command("attest")
def attest(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item, e.g. DATA-5.")],
    note: Annotated[str, typer.Option(help="What was checked, how, and by whom.")],
    link: Annotated[str | None, typer.Option(help="Where it is documented (a URL).")] = None,
    model: Annotated[str | None, typer.Option(help="Only for this model.")] = None,
    valid_for: Annotated[str, typer.Option(help="How long it holds: 180d, 12w.")] = "180d",
    as_json: JsonOption = False,
) -> None:
    """Attest a check done by hand: half a point for the item until it expires (audited)."""
    from shipyard.scorecard.attest import attest as record

    found = record(item, note, link=link, model=model, valid_for=valid_for,
                   workspace=state(ctx).workspace())  # fmt: skip
    if as_json:
        print_json(found.to_dict())
        return
    say(f"Attested {found.item} (audit event {found.id}), valid until "
        f"{found.expires_at:%Y-%m-%d}.")  # fmt: skip
