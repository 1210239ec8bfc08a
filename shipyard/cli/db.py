"""``shipyard db``: the metadata store's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard.cli.output import print_json, say
from shipyard.cli.state import state
from shipyard.store.database import Database, redact
from shipyard.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Manage the metadata store's schema.", no_args_is_help=True)


def _database(ctx: typer.Context) -> Database:
    found = state(ctx)
    db = Database(found.settings().resolved_store_url, create=not found.read_only)
    db.check_reachable()
    return db


@app.command("upgrade")
def upgrade_store(ctx: typer.Context) -> None:
    """Migrate the metadata store to this Shipyard's schema (back it up first)."""
    db = _database(ctx)
    try:
        before, after = upgrade(db)
    finally:
        db.close()
    if before == after:
        say(f"The store at {redact(db.url)} is already at revision {after}.")
    else:
        say(f"Upgraded the store at {redact(db.url)} from {before or 'empty'} to {after}.")


@app.command("current")
def current(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the store's schema revision and the one this Shipyard expects."""
    db = _database(ctx)
    try:
        revision, head = current_revision(db), head_revision()
    finally:
        db.close()
    if as_json:
        print_json({"url": redact(db.url), "revision": revision, "head": head,
                    "up_to_date": revision == head})  # fmt: skip
        return
    state_text = "up to date" if revision == head else "run `shipyard db upgrade`"
    say(f"{redact(db.url)}: revision {revision or 'none'} (this Shipyard: {head}); {state_text}.")
