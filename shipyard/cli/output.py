"""Rendering for the CLI: Rich tables for people, ``--json`` for scripts, errors on stderr."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from shipyard.core.errors import ShipyardError
from shipyard.core.hashing import is_sha256

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="The project's shipyard.yaml (default ./shipyard.yaml)."),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a key of the file, e.g. train.params.C=0.5 "
                 "(repeatable)."),
]  # fmt: skip


def _out() -> Console:
    # Made per call so the width and streams are those of the moment (pipes, test runners).
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout, untouched by Rich."""
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str)
    stream = _out().file
    stream.write(text.decode() + "\n")
    stream.flush()


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    count = 0
    for row in rows:
        table.add_row(*(cell(value) for value in row))
        count += 1
    if count == 0:
        _out().print(f"[dim]{title or 'Nothing'}: none yet.[/dim]")
        return
    _out().print(table)


def print_fields(title: str, fields: Sequence[tuple[str, Any]]) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in fields:
        table.add_row(name, cell(value))
    _out().print(f"[bold]{title}[/bold]")
    _out().print(table)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, str) and is_sha256(value):
        return value[:12] + "…"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def print_error(error: ShipyardError) -> None:
    _err().print(f"[bold red]Error:[/bold red] {error.message}", markup=True)
    if error.hint:
        _err().print(f"[yellow]Hint:[/yellow] {error.hint}", markup=True)


def say(message: str) -> None:
    _out().print(message)
