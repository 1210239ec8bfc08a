"""``shipyard stream``: score a Kafka topic or Redis stream with a deployment or a model."""

from __future__ import annotations

import logging.config
from typing import Annotated, Any

import typer

from shipyard.cli.options import TrustedOption, TrustOption
from shipyard.cli.output import JsonOption, print_json, say
from shipyard.cli.state import state
from shipyard.core.errors import UsageError
from shipyard.serving.online.logs import logging_config
from shipyard.serving.stream import StreamWorker, stream as run_stream


def stream(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="A deployment's name (its routes are honoured), NAME@ALIAS or NAME/VERSION."
        ),
    ],
    source: Annotated[
        str, typer.Option(help="kafka://HOST:PORT/TOPIC or redis://HOST:PORT/STREAM to read.")
    ],
    sink: Annotated[str, typer.Option(help="Where results go (same URL forms).")],
    group: Annotated[str, typer.Option(help="Consumer group; workers of a group share work.")],
    dead_letter: Annotated[
        str | None,
        typer.Option(help="Where invalid events go (default SOURCE-NAME.dead-letter on the sink)."),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Serve /metrics on 127.0.0.1:PORT.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The stream deployment's name (default MODEL-stream).")
    ] = None,
    max_batch: Annotated[int, typer.Option(min=1, help="Most events scored together.")] = 500,
    batch_growth: Annotated[
        int,
        typer.Option(
            min=1,
            help="While the source is backlogged, batches grow up to this many "
            "times --max-batch (1: never); they shrink back once it keeps up.",
        ),
    ] = 4,
    max_wait_ms: Annotated[
        float, typer.Option(min=0, help="Longest wait for a batch to fill (ms).")
    ] = 20.0,
    start: Annotated[
        str, typer.Option(help="Where a new group starts: earliest or latest.")
    ] = "earliest",
    extra: Annotated[
        str, typer.Option(help="Fields the signature lacks: ignore (default) or reject.")
    ] = "ignore",
    poll_interval: Annotated[
        float, typer.Option(min=0.05, help="Seconds between checks for a moved alias.")
    ] = 2.0,
    claim_idle_ms: Annotated[
        int, typer.Option(min=100, help="Redis: take over events a dead worker left this long.")
    ] = 30_000,
    consumer_option: Annotated[
        list[str] | None, typer.Option(help="librdkafka consumer setting KEY=VALUE (repeatable).")
    ] = None,
    producer_option: Annotated[
        list[str] | None, typer.Option(help="librdkafka producer setting KEY=VALUE (repeatable).")
    ] = None,
    connect_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for each broker at start.")
    ] = 10.0,
    log_predictions: Annotated[
        bool, typer.Option("--log/--no-log", help="Write the prediction log.")
    ] = True,
    trusted: TrustedOption = False,
    trust: TrustOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score events as they arrive until SIGTERM or Ctrl-C, then drain.

    A deployment's routes are honoured as online servers honour them: events are split by
    weight, sticky by message key; shadows are scored and logged, never answered; route
    changes and alias moves are followed while the worker runs.

    At least once: a batch is acknowledged only after its results are delivered. Invalid
    events go to the dead-letter topic or stream with their error and original payload.
    """
    ws = state(ctx).workspace()
    logging.config.dictConfig(logging_config())

    def ready(worker: StreamWorker) -> None:
        where = f"; metrics on :{worker.metrics_port}" if worker.metrics_port else ""
        say(f"Streaming {source} -> {sink} with {target} (group {group}){where}…")

    summary = run_stream(
        target, source=source, sink=sink, group=group, dead_letter=dead_letter,
        metrics_port=metrics_port, name=name, max_batch=max_batch, max_wait_ms=max_wait_ms,
        batch_growth=batch_growth,
        start=start, extra=extra, poll_interval=poll_interval, claim_idle_ms=claim_idle_ms,
        consumer_options=_pairs(consumer_option, "--consumer-option"),
        producer_options=_pairs(producer_option, "--producer-option"),
        connect_timeout=connect_timeout, log_predictions=log_predictions, trusted=trusted,
        trusted_types=tuple(trust or ()),
        workspace=ws, on_ready=None if as_json else ready,
    )  # fmt: skip
    if as_json:
        print_json(summary.to_dict())
        return
    versions = ", ".join(summary.versions) or "no version"
    say(f"Stopped after {summary.events_in:,} events: {summary.events_out:,} scored by "
        f"{versions}, {summary.dead_letters:,} dead letters.")  # fmt: skip


def _pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {pair!r} is not KEY=VALUE.",
                             hint=f"For example {option} session.timeout.ms=10000.")  # fmt: skip
        values[key.strip()] = value.strip()
    return values
