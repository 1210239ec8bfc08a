"""``shipyard data``: dataset versions, their validation, schema inference and diffs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard import (
    DatasetVersionRecord,
    dataset_usage,
    get_dataset,
    list_dataset_versions,
    list_datasets as stored_datasets,
    list_validations,
)
from shipyard.cli.output import JsonOption, print_fields, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.core.errors import ConflictError, UsageError
from shipyard.data.api import diff_datasets
from shipyard.data.config import configured_expectations, read_expectations_file
from shipyard.data.errors import DataValidationError
from shipyard.data.expectations import Expectations
from shipyard.data.infer import infer_expectations, render_yaml
from shipyard.data.profile import profile_table
from shipyard.data.readers import read_table
from shipyard.data.refs import is_path_like, parse_dataset_ref
from shipyard.data.report import ValidationReport
from shipyard.data.schema import DatasetSchema, schema_of
from shipyard.data.validate import validate
from shipyard.data.versions import validate_version
from shipyard.tracking.datasets import log_dataset

app = typer.Typer(help="Version, validate and compare datasets.", no_args_is_help=True)

TargetArgument = Annotated[
    str, typer.Argument(help="NAME/VERSION (or NAME for the latest), or a Parquet/CSV path.")
]


@app.command("list")
def list_datasets(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List datasets with their latest version."""
    found = stored_datasets(workspace=state(ctx).workspace())
    if as_json:
        print_json([d.to_dict() for d in found])
        return
    print_table(
        "Datasets",
        ["name", "latest", "versions", "rows", "updated"],
        ([d.name, d.latest_version, d.versions, d.latest_rows, d.updated_at] for d in found),
    )


@app.command("log")
def log(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="A Parquet/CSV file, folder, glob or URL.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The dataset's name.")],
    description: Annotated[str | None, typer.Option(help="What the dataset is.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Store files as a new version of a dataset (unchanged content keeps its version)."""
    ws = state(ctx).workspace()
    record = log_dataset(path, name, description=description, workspace=ws)
    if as_json:
        print_json(record.to_dict(profile=False))
        return
    say(f"{record.ref}: {record.row_count:,} rows, content {record.content_hash[:12]}…")


@app.command("show")
def show(ctx: typer.Context, ref: Annotated[str, typer.Argument(help="NAME or NAME/VERSION.")],
         as_json: JsonOption = False) -> None:  # fmt: skip
    """Show a dataset's versions, or one version: schema, profile, lineage, validations."""
    ws = state(ctx).workspace()
    parsed = parse_dataset_ref(ref)
    if parsed.version is None and "@" not in ref:
        versions = list_dataset_versions(parsed.name, workspace=ws)
        if as_json:
            print_json([v.to_dict(profile=False) for v in versions])
            return
        print_table(
            f"Dataset {parsed.name}",
            ["version", "rows", "columns", "content", "source", "run", "created"],
            ([v.version, v.row_count, len(v.schema.get("columns", [])), v.content_hash,
              v.source, v.created_by_run_id, v.created_at] for v in versions),
        )  # fmt: skip
        return
    record = get_dataset(ref, workspace=ws)
    usages = dataset_usage(record.ref, workspace=ws)
    validations = list_validations(record.ref, workspace=ws)
    if as_json:
        print_json({**record.to_dict(), "runs": [u.to_dict() for u in usages],
                    "validations": [v.to_dict() for v in validations]})  # fmt: skip
        return
    print_fields(
        f"Dataset {record.ref}",
        [
            ("rows", f"{record.row_count:,}"), ("content sha256", record.content_hash),
            ("file sha256", record.artifact_hash), ("size", f"{record.size:,} bytes"),
            ("source", record.source), ("parents", list(record.parents)),
            ("created by run", record.created_by_run_id), ("created", record.created_at),
            ("used by runs", [f"{u.run_id} ({u.role})" for u in usages]),
            ("validations", [f"{'passed' if v.passed else 'FAILED'} "
                             f"{v.created_at:%Y-%m-%d %H:%M}" for v in validations[:5]]),
        ],
    )  # fmt: skip
    _print_columns(record)


def _print_columns(record: DatasetVersionRecord) -> None:
    columns = (record.profile or {}).get("columns", {})
    rows = []
    for column in DatasetSchema.from_dict(record.schema).columns:
        stats = columns.get(column.name, {})
        rows.append([column.name, column.dtype, column.type,
                     f"{100 * stats.get('null_rate', 0):.1f}%", _summary(stats)])  # fmt: skip
    print_table("Columns", ["column", "dtype", "type", "nulls", "values"], rows)


def _summary(stats: dict[str, Any]) -> str:
    if stats.get("kind") == "numeric" and stats.get("min") is not None:
        return (f"min {stats['min']:.4g}, median {_median(stats):.4g}, max {stats['max']:.4g}, "
                f"mean {stats['mean']:.4g}, std {stats['std']:.4g}")  # fmt: skip
    if stats.get("kind") == "categorical":
        top = stats.get("frequencies") or {}
        shown = ", ".join(
            f"{v} ({c:,})" for v, c in zip(top.get("values", [])[:4], top.get("counts", [])[:4],
                                            strict=False)
        )  # fmt: skip
        return f"{stats.get('distinct', '?')} distinct: {shown}"
    if stats.get("kind") == "datetime" and stats.get("min"):
        return f"{stats['min']} to {stats['max']}"
    return ""


def _median(stats: dict[str, Any]) -> float:
    quantiles = stats.get("quantiles") or [float("nan")]
    return float(quantiles[len(quantiles) // 2])


@app.command("diff")
def diff(
    ctx: typer.Context,
    before: Annotated[str, typer.Argument(help="NAME/VERSION to compare from.")],
    after: Annotated[str, typer.Argument(help="NAME/VERSION (or /VERSION of the same name).")],
    as_json: JsonOption = False,
) -> None:
    """Compare two versions: schema changes, row counts and each column's distribution shift."""
    if after.startswith(("/", "@")):
        after = parse_dataset_ref(before).name + after
    found = diff_datasets(before, after, workspace=state(ctx).workspace())
    if as_json:
        print_json(found.to_dict())
        return
    change = found.rows_after - found.rows_before
    say(f"{found.before} -> {found.after}: {found.rows_before:,} -> {found.rows_after:,} rows "
        f"({change:+,})" + ("; identical content" if found.same_content else ""))  # fmt: skip
    print_table("Schema changes", ["column", "change"],
                ([c.column, c.describe()] for c in found.schema_changes))  # fmt: skip
    if found.drift is None:
        return
    print_table(
        "Distribution shift",
        ["column", "kind", "verdict", "statistic", "score", "psi", "other"],
        ([f.column, f.kind, f.verdict, f.method, _number(f.score),
          _number(f.statistics.get("psi")), _others(f.statistics, f.method) or f.reason]
         for f in found.drift.features),
    )  # fmt: skip
    say(found.drift.headline())


def _number(value: float | None) -> str | None:
    return None if value is None else f"{value:.3g}"


def _others(statistics: dict[str, float], method: str | None) -> str:
    keys = ("ks", "wasserstein_norm", "jensen_shannon", "cramers_v")
    return ", ".join(f"{k}={statistics[k]:.3g}" for k in keys if k in statistics and k != method)


@app.command("validate")
def validate_command(
    ctx: typer.Context,
    target: TargetArgument,
    expectations: Annotated[
        Path | None, typer.Option(help="A YAML file of expectations (default: shipyard.yaml).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Whose expectations to use (default: the dataset's).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a version or files against expectations; exit 1 when any check fails.

    The report of a stored version is kept with it (see `shipyard data show NAME/VERSION`).
    """
    cli = state(ctx)
    if is_path_like(target):
        if name is None and expectations is None:
            raise UsageError(f"Which expectations apply to {target}?",
                             hint="Pass --name DATASET (declared in shipyard.yaml) or "
                                  "--expectations FILE.")  # fmt: skip
        rules = _expectations(cli.settings(), name or "", expectations)
        report = validate(target, rules, dataset=target)
    else:
        ws = cli.workspace()
        record = get_dataset(target, workspace=ws)
        rules = _expectations(ws.settings, name or record.dataset_name, expectations)
        report, _ = validate_version(ws, record, rules)
    _print_report(report, as_json)
    if not report.passed:
        raise DataValidationError(report)


def _expectations(settings: Any, name: str, path: Path | None) -> Expectations:
    if path is not None:
        declared = read_expectations_file(path)
        if name in declared:
            return declared[name]
        if len(declared) == 1:
            return next(iter(declared.values()))
    return configured_expectations(name, settings=settings, path=path)


def _print_report(report: ValidationReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    say(("PASSED: " if report.passed else "FAILED: ") + report.headline())
    print_table(
        None,
        ["column", "rule", "failing rows", "expected", "examples"],
        ([f.column or "(table)", f.rule, f.failing_rows, f.expected, f.examples_text()]
         for f in report.failures),
    )  # fmt: skip


@app.command("infer-schema")
def infer_schema(
    ctx: typer.Context,
    target: TargetArgument,
    name: Annotated[str | None, typer.Option(help="Dataset name to write the rules under.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: print).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite --output if it exists.")] = False,
) -> None:
    """Write starting expectations (dtypes, nulls, ranges, levels) inferred from data."""
    profile: dict[str, Any] | None
    if is_path_like(target):
        table = read_table(target)
        schema, profile, source = schema_of(table), profile_table(table), target
        dataset = name or Path(target.rstrip("/")).name.split(".")[0].replace("*", "") or "data"
    else:
        record = get_dataset(target, workspace=state(ctx).workspace())
        schema, profile = DatasetSchema.from_dict(record.schema), record.profile
        dataset, source = name or record.dataset_name, record.ref
    text = render_yaml(dataset, infer_expectations(schema, profile), source=source)
    if output is None:
        typer.echo(text, nl=False)
        return
    if output.exists() and not force:
        raise ConflictError(f"{output} already exists.", hint="Pass --force to overwrite it.")
    output.write_text(text, encoding="utf-8")
    say(f"Wrote expectations for {dataset!r} ({len(schema.columns)} columns) to {output}.")
