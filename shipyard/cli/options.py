"""Command-line options derived from their one declaration in
:mod:`shipyard.core.serve_options`: every command that takes a serving option (``shipyard
serve``, ``shipyard stream``) shows the same flag with the same help."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from shipyard.core.serve_options import OPTIONS, ServeOptions

_FIELDS = {item.name: item for item in dataclasses.fields(ServeOptions)}


def flag_of(name: str) -> str:
    """The command-line flag of the serving option ``name`` (``--trust``, ``--log/--no-log``)."""
    item, spec = _FIELDS[name], OPTIONS[name]
    dashed = name.replace("_", "-")
    if spec["flag"]:
        return str(spec["flag"])
    return f"--{dashed}/--no-{dashed}" if isinstance(item.default, bool) else f"--{dashed}"


def help_of(name: str) -> str:
    """The option's help: its sentence, its choices and its bounds."""
    spec = OPTIONS[name]
    bounds = [
        f"{word} {spec[key]:g}"
        for key, word in (("ge", "at least"), ("gt", "above"), ("le", "at most"))
        if spec[key] is not None
    ]
    choices = " or ".join(spec["choices"])
    text = str(spec["help"]) + (f" {choices}." if choices else "")
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def annotation_of(name: str, *, unset: bool = True) -> Any:
    """``Annotated[type, typer.Option(...)]`` for the serving option ``name``: a tuple option
    is repeatable (a list); ``unset`` makes the value None unless given, so that stored
    configuration and settings apply."""
    item = _FIELDS[name]
    repeatable = item.default_factory is not dataclasses.MISSING
    kind: Any = list[str] if repeatable else type(item.default) if item.default is not None else int
    if unset:
        kind = kind | None
    option = typer.Option(flag_of(name), help=help_of(name), show_default=not unset,
                          metavar="TYPE" if name == "trusted_types" else None)  # fmt: skip
    return Annotated[kind, option]


TrustOption = annotation_of("trusted_types")
"""``--trust TYPE`` (repeatable): a skops type to trust, besides the ``trusted_types`` setting."""
TrustedOption = annotation_of("trusted", unset=False)
"""``--trusted``: allow every model whose loading runs code (pickle, joblib)."""
