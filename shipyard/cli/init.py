"""``shipyard init``: scaffold a complete, working pipeline project, so that ``shipyard init
demo && cd demo && shipyard run`` works offline.

Two examples: ``credit`` (the default), seeded credit-risk classification data with a sensitive
attribute and a shipyard.yaml with thresholds, slices, fairness, behavioural tests and a
promotion policy; and ``diabetes``, scikit-learn's bundled diabetes data as a regression with
the same flow (thresholds, no regression, slices, a directional test). Each comes with its
training function and model tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from shipyard.cli.output import say
from shipyard.core.errors import ConflictError, UsageError

if TYPE_CHECKING:
    import pandas as pd

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
Example = Literal["credit", "diabetes"]


@dataclass(frozen=True)
class _Example:
    folder: str  # under templates/; files missing there come from templates/project/
    data_file: str
    model: str


EXAMPLES: dict[str, _Example] = {
    "credit": _Example("project", "data/applications.parquet", "credit-risk"),
    "diabetes": _Example("diabetes", "data/diabetes.parquet", "diabetes-progression"),
}
TEMPLATES = {
    "shipyard.yaml": "shipyard.yaml.tmpl",
    "train.py": "train.py.tmpl",
    "tests/test_model.py": "tests/test_model.py.tmpl",
    "conftest.py": "conftest.py.tmpl",
    ".gitignore": "gitignore.tmpl",
}


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path(),
    example: Annotated[
        Example,
        typer.Option(help="credit: classification with fairness gates; diabetes: regression."),
    ] = "credit",
    project: Annotated[
        str | None, typer.Option(help="Project name (default: folder name).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Name of the registered model (default: credit-risk, diabetes-progression)."
        ),
    ] = None,
    rows: Annotated[
        int, typer.Option(min=500, help="Rows of credit data to generate (credit only).")
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the credit data (credit only).")] = 7,
    force: Annotated[bool, typer.Option(help="Overwrite files that already exist.")] = False,
) -> None:
    """Create a pipeline project in DIRECTORY: data, train.py, shipyard.yaml, tests, and
    the CI definitions (GitHub Actions, GitLab CI) that run `shipyard ci`."""
    chosen = EXAMPLES[example]
    name, model = project or directory.resolve().name, model or chosen.model
    for value, what in ((name, "project name"), (model, "model name")):
        if not _NAME.match(value):
            raise UsageError(
                f"{value!r} is not a valid {what}.",
                hint="Start with a letter; use letters, digits, '_' and '-'.",
            )
    root = resources.files("shipyard.cli") / "templates"
    existing = [p for p in [*TEMPLATES, chosen.data_file] if (directory / p).exists()]
    if existing and not force:
        raise ConflictError(
            f"{directory} already has {', '.join(existing)}.",
            hint="Choose an empty folder, or pass --force to overwrite.",
        )
    for relative, template in TEMPLATES.items():
        source = root / chosen.folder / template
        if not source.is_file():
            source = root / "project" / template
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text()).substitute(project=name, model=model))
    from shipyard.ci.workflows import PATHS, workflow

    for provider, relative in PATHS.items():
        target = directory / relative
        if force or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(workflow(provider))
    (directory / "data").mkdir(parents=True, exist_ok=True)
    _example_data(example, rows, seed).to_parquet(directory / chosen.data_file, index=False)
    say(f"Created a Shipyard pipeline project ({example}) in {directory}:")
    for relative in [*TEMPLATES, *PATHS.values(), chosen.data_file]:
        say(f"  {relative}")
    say(f"Next: cd {directory} && shipyard run && pytest")


def _example_data(example: str, rows: int, seed: int) -> pd.DataFrame:
    from shipyard.pipeline.examples import credit_risk, diabetes

    return diabetes() if example == "diabetes" else credit_risk(rows, seed)
