"""``shipyard models``: registered models and their versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.registry import print_evaluation
from shipyard.cli.state import state
from shipyard.registry import (
    get_model_version,
    latest_evaluation,
    list_model_versions,
    list_models as registered_models,
    parse_ref,
)
from shipyard.tracking.mlflow_import import import_mlflow_model

app = typer.Typer(help="List and inspect registered models.", no_args_is_help=True)


@app.command("list")
def list_models(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List registered models with their latest version and aliases."""
    found = registered_models(workspace=state(ctx).workspace())
    if as_json:
        print_json([m.to_dict() for m in found])
        return
    print_table(
        "Models",
        ["name", "latest", "aliases", "created"],
        ([m.name, m.latest_version, m.aliases, m.created_at] for m in found),
    )


@app.command("show")
def show_model(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME for all versions, or NAME/VERSION, NAME@ALIAS.")],
    as_json: JsonOption = False,
) -> None:
    """Show a model's versions, or one version in detail."""
    ws = state(ctx).workspace()
    parsed = parse_ref(ref)
    if parsed.alias is None and parsed.version is None:
        versions = list_model_versions(parsed.name, workspace=ws)
        if as_json:
            print_json([v.to_dict() for v in versions])
            return
        print_table(
            f"Model {parsed.name}",
            ["version", "status", "aliases", "flavor", "run", "created"],
            ([v.version, v.status, v.aliases, v.flavor, v.source_run_id, v.created_at]
             for v in versions),
        )  # fmt: skip
        return
    version = get_model_version(ref, workspace=ws)
    evaluation = latest_evaluation(version.model_name, version.version, workspace=ws)
    if as_json:
        print_json({**version.to_dict(), "evaluation": evaluation and evaluation.to_dict()})
        return
    inputs = (version.signature or {}).get("inputs") or []
    print_fields(
        f"Model {version.ref}",
        [
            ("status", version.status), ("aliases", version.aliases),
            ("flavor", version.flavor), ("source run", version.source_run_id),
            ("package sha256", version.package_hash), ("created", version.created_at),
            ("inputs", [f"{c.get('name')}:{c.get('dtype')}" for c in inputs]),
            ("description", version.description),
        ],
    )  # fmt: skip
    print_evaluation(evaluation)


@app.command("import")
def import_model(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            help="An MLflow model folder (holding MLmodel), runs:/RUN/PATH or models:/NAME/VERSION."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="The Shipyard model to register it as.")],
    trusted: Annotated[
        bool, typer.Option("--trusted", help="Allow pickled content and custom python code.")
    ] = False,
    trust: Annotated[
        list[str] | None, typer.Option(help="A skops type to trust (repeatable).")
    ] = None,
    example: Annotated[
        Path | None,
        typer.Option(
            help="A JSON or CSV file of input rows, when the MLflow model has no input example."
        ),
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI for runs:/ and models:/ sources.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="The version's description.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Import an MLflow model as the next version of a registered model."""
    rows = None
    if example is not None:
        import pandas as pd

        rows = pd.read_csv(example) if example.suffix == ".csv" else pd.read_json(example)
    version = import_mlflow_model(
        source, name, trusted=True if trusted else tuple(trust or ()), input_example=rows,
        tracking_uri=tracking_uri, description=description, workspace=state(ctx).workspace(),
    )  # fmt: skip
    if as_json:
        print_json(version.to_dict())
        return
    say(f"Imported {source} as {version.ref} ({version.flavor}, run {version.source_run_id}).")
