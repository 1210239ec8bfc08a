"""``shipyard init``: scaffold a small project that works as it is."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.output import say
from shipyard.core.errors import ConflictError, UsageError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path(),
    project: Annotated[
        str | None, typer.Option(help="Project name (default: folder name).")
    ] = None,
    model: Annotated[str, typer.Option(help="Name of the registered model.")] = "churn",
    force: Annotated[bool, typer.Option(help="Overwrite files that already exist.")] = False,
) -> None:
    """Create shipyard.yaml, a training module and a test in DIRECTORY."""
    name = project or directory.resolve().name
    for value, what in ((name, "project name"), (model, "model name")):
        if not _NAME.match(value):
            raise UsageError(
                f"{value!r} is not a valid {what}.",
                hint="Start with a letter; use letters, digits, '_' and '-'.",
            )
    templates = resources.files("shipyard.cli") / "templates" / "project"
    files = {
        "shipyard.yaml": templates / "shipyard.yaml.tmpl",
        "train.py": templates / "train.py.tmpl",
        "tests/test_model.py": templates / "tests" / "test_model.py.tmpl",
        "conftest.py": templates / "conftest.py.tmpl",
    }
    existing = [path for path in files if (directory / path).exists()]
    if existing and not force:
        raise ConflictError(
            f"{directory} already has {', '.join(existing)}.",
            hint="Choose an empty folder, or pass --force to overwrite.",
        )
    for relative, template in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.read_text().format(project=name, model=model))
    say(f"Created a Shipyard project in {directory}:")
    for relative in files:
        say(f"  {relative}")
    say("Next: python train.py && shipyard runs list && pytest")
