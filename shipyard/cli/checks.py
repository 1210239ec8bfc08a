"""``shipyard staleness``, ``shipyard models offline-online`` and ``shipyard models
importance``: the ML Test Score's checks of a model over time and across versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import shipyard as sy
from shipyard.cli.output import JsonOption, print_fields, print_json, print_table
from shipyard.cli.state import state


def staleness_command(
    ctx: typer.Context,
    model: Annotated[
        str, typer.Argument(help="NAME (its production version), NAME@ALIAS or NAME/VERSION.")
    ],
    dataset: Annotated[
        str | None,
        typer.Option(
            help="Labelled dataset whose newer versions to score on (default: the training data's)."
        ),
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="Metric (default: the first of the evaluation section).")
    ] = None,
    label: Annotated[str | None, typer.Option(help="Label column.")] = None,
    task: Annotated[str | None, typer.Option(help="classification or regression.")] = None,
    config: Annotated[Path | None, typer.Option(help="shipyard.yaml to read.")] = None,
    as_json: JsonOption = False,
) -> None:
    """How the model's metric decays on newer data: one row per newer dataset version."""
    report = sy.staleness(model, dataset=dataset, metric=metric, label=label, task=task,
                          config=config, workspace=state(ctx).workspace())  # fmt: skip
    if as_json:
        print_json(report.to_dict())
        return
    print_table(
        f"Staleness of {report.model} ({report.metric}, {report.direction} is better)",
        ["dataset", "age (days)", "rows", report.metric],
        ([p.dataset, round(p.age_days, 2), p.rows, p.value] for p in report.points),
    )
    print_fields("Decay", [("trained on", report.trained_on), ("change", report.change),
                           ("per 30 days", report.decay_per_30_days)])  # fmt: skip


def offline_online_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model NAME.")],
    metric: Annotated[
        str | None, typer.Option(help="Metric (default: the first both sides measured).")
    ] = None,
    deployment: Annotated[
        str | None, typer.Option(help="One deployment (default: all of the model's).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Each version's offline evaluation metric beside its live metric from feedback."""
    found = sy.offline_online(model, metric=metric, deployment=deployment,
                              workspace=state(ctx).workspace())  # fmt: skip
    if as_json:
        print_json(found.to_dict())
        return
    print_table(
        f"{found.model}: offline vs online {found.metric or '(no common metric)'}",
        ["version", "offline", "online", "difference", "labelled rows", "windows"],
        ([v.version, v.offline, v.online, v.difference, v.labelled_rows, v.windows]
         for v in found.versions),
    )  # fmt: skip
    print_fields("Across versions", [("paired", len(found.paired)),
                                     ("correlation", found.correlation),
                                     ("mean |difference|", found.mean_abs_difference)])  # fmt: skip


def importance_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="NAME/VERSION, NAME@ALIAS or NAME.")],
    as_json: JsonOption = False,
) -> None:
    """The feature importance stored with the version's newest evaluation: permutation
    importance, and the mean |SHAP value| when SHAP explained the model."""
    found = sy.feature_importance(model, workspace=state(ctx).workspace())
    if as_json:
        print_json(found)
        return
    if found is None:
        typer.echo(f"The newest evaluation of {model} measured no feature importance "
                   "(evaluation.feature_importance: false in shipyard.yaml).")  # fmt: skip
        return
    shap = found.get("shap") or {}
    by_shap = shap.get("importances", {}) if shap.get("status") == "computed" else None
    print_table(
        f"{found['model']}: permutation importance ({found['metric']} loss)",
        ["feature", "importance", "std", *(["mean |SHAP|"] if by_shap is not None else []), "flag"],
        ([r["feature"], r["importance"], r["std"],
          *([by_shap.get(r["feature"])] if by_shap is not None else []),
          "no benefit" if r["flagged"] else ""] for r in found["features"]),
    )  # fmt: skip
    if shap.get("status") == "skipped":
        typer.echo(f"SHAP importance was skipped: {shap.get('reason')}")
