"""``shipyard db``: the metadata store's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard import store_status, upgrade_store
from shipyard.cli.output import print_json, say
from shipyard.cli.state import state

app = typer.Typer(help="Manage the metadata store's schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the metadata store to this Shipyard's schema (back it up first)."""
    status = upgrade_store(state(ctx).settings())
    if status.previous == status.revision:
        say(f"The store at {status.url} is already at revision {status.revision}.")
    else:
        say(f"Upgraded the store at {status.url} from {status.previous or 'empty'} to "
            f"{status.revision}.")  # fmt: skip


@app.command("current")
def current(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the store's schema revision and the one this Shipyard expects."""
    status = store_status(state(ctx).settings())
    if as_json:
        print_json({"url": status.url, "revision": status.revision, "head": status.head,
                    "up_to_date": status.up_to_date})  # fmt: skip
        return
    state_text = "up to date" if status.up_to_date else "run `shipyard db upgrade`"
    say(f"{status.url}: revision {status.revision or 'none'} (this Shipyard: {status.head}); "
        f"{state_text}.")  # fmt: skip
