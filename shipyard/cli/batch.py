"""``shipyard batch``: score files with a registered model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from shipyard.cli.options import TrustedOption, TrustOption
from shipyard.cli.output import JsonOption, print_json, say
from shipyard.cli.state import state
from shipyard.core.settings import find_config_file
from shipyard.serving.batch import ENGINES, BatchResult, batch_score
from shipyard.serving.batch.config import load_batch_defaults


def batch(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model: NAME@ALIAS or NAME/VERSION.")],
    input: Annotated[
        str, typer.Option("--input", "-i", help="Parquet/CSV file, folder, glob or fsspec URL.")
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="Folder (or URL) for results.")],
    engine: Annotated[str, typer.Option(help=f"One of: {', '.join(ENGINES)}.")] = "local",
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Worker processes (local engine; default: one per core, and "
            "none for a job of one part).",
            show_default=False,
        ),
    ] = None,
    spark_master: Annotated[
        str | None, typer.Option(help="Spark master URL (default local[*]).")
    ] = None,
    batch_rows: Annotated[int, typer.Option(min=1, help="Rows per record batch.")] = 65_536,
    rows_per_part: Annotated[
        int, typer.Option(min=1, help="Rows per part (one task; parts resume independently).")
    ] = 1_000_000,
    memory_budget: Annotated[
        int | None, typer.Option(min=1, help="Memory for data, in MB (sets the batch size).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Name of the job's batch deployment (default MODEL-batch).")
    ] = None,
    log_predictions: Annotated[
        bool, typer.Option(help="Also write inputs and predictions to the prediction log.")
    ] = True,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            help="An input column to copy to the output and rejects (repeatable).",
            show_default=False,
        ),
    ] = None,
    challenger: Annotated[
        str | None,
        typer.Option(
            help="Another version (NAME/VERSION) to score every row with too; each "
            "output row's arm column says champion or challenger.",
            show_default=False,
        ),
    ] = None,
    trusted: TrustedOption = False,
    trust: TrustOption = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="A shipyard.yaml whose batch section sets --keep and "
            "--workers (default ./shipyard.yaml, when there is one).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Score every row of the input; rows that fail validation go to OUTPUT/_rejects.

    Re-running the same command resumes: finished parts are skipped.
    """
    ws = state(ctx).workspace()
    path = config or find_config_file()
    defaults = load_batch_defaults(path) if path is not None else {}
    keep = keep or defaults.get("keep")
    workers = workers if workers is not None else defaults.get("workers")
    columns = [
        TextColumn("[bold]scoring"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]} rows/s"), TimeElapsedColumn(), TimeRemainingColumn(),
    ]  # fmt: skip
    with Progress(*columns, disable=as_json, transient=False) as bar:
        task = bar.add_task("rows", total=None, rate="-")

        def advance(done: int, rejected: int, total: int | None) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}" if elapsed > 0 else "-"
            bar.update(task, completed=done, total=total, rate=rate)

        result = batch_score(
            model, input, output, engine=engine, workers=workers, batch_rows=batch_rows,
            rows_per_part=rows_per_part,
            spark_master=spark_master, memory_budget_mb=memory_budget,
            trusted=True if trusted else list(trust or ()), keep=keep or (),
            challenger=challenger, name=name, log_predictions=log_predictions,
            workspace=ws, progress=advance,
        )  # fmt: skip
    if as_json:
        print_json(result.to_dict())
        return
    resumed = f" ({result.parts_skipped} parts already done)" if result.parts_skipped else ""
    say(
        f"Scored {result.rows_scored:,} rows with {result.model}/{result.version} into "
        f"{result.output} in {result.seconds:.1f} s{resumed}{_ran_on(result)}; "
        f"{result.rows_rejected:,} rejected (see {result.output}/_rejects)."
    )
    if result.challenger is not None:
        say(
            f"The challenger {result.challenger} scored "
            f"{result.challenger_rows_scored:,} rows and rejected "
            f"{result.challenger_rows_rejected:,} (rows with arm = 'challenger')."
        )


def _ran_on(result: BatchResult) -> str:
    """How the job ran: its worker processes and each one's native threads."""
    threads = "default" if result.threads is None else str(result.threads)
    plural = "" if threads == "1" else "s"
    if result.workers:
        return f" on {result.workers} workers x {threads} native thread{plural}"
    if result.parts == result.parts_skipped:
        return ""
    return f" in this process ({threads} native thread{plural})"
