"""``shipyard ui``: the web UI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import shipyard as sy
from shipyard.cli.output import say
from shipyard.cli.state import state

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 5050


def ui(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind (loopback unless told).")] = (
        DEFAULT_HOST
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = (
        DEFAULT_PORT
    ),
    token_file: Annotated[
        Path | None, typer.Option(help="File of tokens, one per line: every page needs one.")
    ] = None,
    read_only: Annotated[bool, typer.Option(help="Remove every action (promote, approve…).")] = (
        False
    ),
    ready_file: Annotated[
        Path | None, typer.Option(help="Write the URL to this file once serving.", hidden=True)
    ] = None,
) -> None:
    """Serve the web UI: runs, models, datasets, deployments, monitoring and the audit log."""
    settings = state(ctx).settings()
    say(f"Shipyard UI on http://{host}:{port} (Ctrl-C stops it)")
    sy.ui(
        host=host,
        port=port,
        token_file=token_file,
        read_only=read_only,
        settings=settings,
        ready=str(ready_file) if ready_file else None,
    )
