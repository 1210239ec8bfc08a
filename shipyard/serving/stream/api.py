"""``stream``: the one call behind ``shipyard stream``."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import threadpoolctl

from shipyard._store.deployments import DeploymentRecord, DeploymentRepository
from shipyard._store.workspace import Workspace, open_workspace
from shipyard.core.clock import utcnow
from shipyard.core.errors import ConflictError, NotFoundError, UsageError
from shipyard.core.ids import new_id
from shipyard.core.logging import get_logger
from shipyard.registry import parse_ref, resolve, trust_for
from shipyard.serving.deploy import deployments_of
from shipyard.serving.prediction_log import PredictionLog
from shipyard.serving.stream.delivery import Sink, Source
from shipyard.serving.stream.endpoints import Endpoint
from shipyard.serving.stream.follow import ModelFollower
from shipyard.serving.stream.kafka import KafkaSink, KafkaSource
from shipyard.serving.stream.metrics import MetricsServer, StreamMetrics
from shipyard.serving.stream.options import StreamOptions
from shipyard.serving.stream.presence import Heartbeat, gone_workers
from shipyard.serving.stream.redis import RedisSink, RedisSource
from shipyard.serving.stream.worker import StreamSummary, StreamWorker

log = get_logger(__name__)
_FIELDS = {f.name for f in dataclasses.fields(StreamOptions)}


def stream(
    target: str,
    *,
    source: str,
    sink: str,
    group: str,
    name: str | None = None,
    workspace: Workspace | None = None,
    stop: threading.Event | None = None,
    on_ready: Callable[[StreamWorker], None] | None = None,
    **options: Any,
) -> StreamSummary:
    """Score the events of ``source`` with ``target`` and write the results to ``sink``,
    until SIGTERM/SIGINT (or ``stop`` is set); then drain.

    ``target`` is a deployment's name, or ``NAME@ALIAS`` / ``NAME/VERSION``, recorded as the
    stream deployment ``name`` (default ``NAME-stream``). The worker honours the deployment's
    routes as an online server does: events are split between the routed versions by weight,
    sticky by message key; shadow versions score every event, logged but never answered;
    each result names its version. When an alias moves or the routes change, the new versions
    are loaded, warmed and swapped in between batches. Several workers started with the same
    ``group`` share the events. Keyword arguments are :class:`StreamOptions` fields
    (``dead_letter``, ``metrics_port``, ``max_batch``, ``trusted_types``, …). ``on_ready`` is
    called once the worker is about to read its first batch.
    """
    unknown = sorted(set(options) - _FIELDS)
    if unknown:
        raise UsageError(f"Unknown stream option(s): {', '.join(unknown)}.",
                         hint=f"Known: {', '.join(sorted(_FIELDS))}.")  # fmt: skip
    resolved = StreamOptions(source=source, sink=sink, group=group, **options)
    ws = workspace or open_workspace()
    try:
        record = record_stream(target, name, resolved, ws)
        return _run(record, resolved, ws, stop or threading.Event(), on_ready)
    finally:
        if workspace is None:
            ws.close()


def record_stream(
    target: str, name: str | None, options: StreamOptions, workspace: Workspace
) -> DeploymentRecord:
    """The deployment a stream worker serves.

    ``NAME@ALIAS`` or ``NAME/VERSION`` is recorded as the stream deployment ``name`` (default
    ``NAME-stream``, mode ``stream``) that follows it; audited when created or changed. Any
    other ``target`` names a stored online or stream deployment, served with its routes
    (weights, shadows) as they are and as they change."""
    repository = deployments_of(workspace)
    if "@" not in target and "/" not in target:
        found = repository.find(target)
        if found is None and _is_model(target, workspace):
            raise UsageError(
                f"{target!r} is a model, not a deployment: say which version to stream.",
                hint=f"Write {target}@ALIAS (e.g. {target}@production) or {target}/VERSION, "
                "or give a deployment's name.",
            )
        if found is None:
            raise NotFoundError(
                f"There is no deployment called {target!r}.",
                hint=f"Stream a model with `shipyard stream {target}@production …`, or create "
                f"the deployment with `shipyard deploy online {target} --route MODEL/VERSION=W`.",
            )
        if found.mode == "batch":
            raise ConflictError(f"Deployment {target!r} is a batch deployment.",
                                hint="Stream an online or stream deployment, or a model "
                                "reference NAME@ALIAS.")  # fmt: skip
        if name is not None and name != target:
            raise UsageError(
                f"--name {name!r} does not apply to the deployment {target!r}.",
                hint="Leave out --name: the worker serves that deployment.",
            )
        return found
    ref = parse_ref(target)
    if ref.alias is None and ref.version is None:
        raise UsageError(f"The model reference {target!r} names no version or alias.",
                         hint=f"Write {ref.name}@ALIAS or {ref.name}/VERSION.")  # fmt: skip
    resolve(ref, workspace=workspace)  # an unknown model, alias or version fails clearly
    route: dict[str, Any] = (
        {"alias": ref.alias} if ref.alias is not None else {"version": ref.version}
    )
    route["weight"] = 100
    deployment = name or f"{ref.name}-stream"
    existing = repository.find(deployment)
    if existing is not None and existing.mode != "stream":
        raise ConflictError(
            f"Deployment {deployment!r} is a {existing.mode} deployment.",
            hint=f"Stream it by its name (`shipyard stream {deployment}`), or give this stream "
            "its own name with --name.",
        )
    return repository.apply(deployment, model=ref.name, routes=[route], mode="stream",
                            config=options.config(), actor=workspace.actor,
                            reason=f"shipyard stream {target}")  # fmt: skip


def _is_model(name: str, workspace: Workspace) -> bool:
    try:
        workspace.models.get_model(name)
    except (NotFoundError, UsageError):
        return False
    return True


def _clients(
    options: StreamOptions, before_revoke: Callable[[], None]
) -> tuple[Source, dict[Endpoint, Sink]]:
    source_at, results_at, dead_at = options.endpoints()
    source: Source
    if source_at.scheme == "kafka":
        source = KafkaSource(source_at, options.group, start=options.start,
                             options=options.consumer_options,
                             before_revoke=before_revoke)  # fmt: skip
    else:
        source = RedisSource(source_at, options.group, start=options.start,
                             claim_idle_ms=options.claim_idle_ms,
                             connect_timeout=options.connect_timeout)  # fmt: skip
    by_broker: dict[Any, Sink] = {}
    sinks: dict[Endpoint, Sink] = {}
    for endpoint in (results_at, dead_at):
        sink = by_broker.get(endpoint.broker)
        if sink is None:
            sink = by_broker[endpoint.broker] = (
                KafkaSink(endpoint, options.producer_options)
                if endpoint.scheme == "kafka"
                else RedisSink(endpoint, connect_timeout=options.connect_timeout)
            )
        sinks[endpoint] = sink
    return source, sinks


@contextlib.contextmanager
def _signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (only the main thread can install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: draining", signum)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _recorder(
    repository: DeploymentRepository, deployment: str, worker: str
) -> Callable[[dict[str, Any] | None], None]:
    """Record on the deployment (``stats["load_failure"]``) that this worker cannot load the
    deployment's newest plan (and why: ``trust`` or ``load``), or that it can again (None).
    A monitoring rule on the metric ``load_failures`` turns it into an alert."""

    def record(failure: dict[str, Any] | None) -> None:
        entry = failure and {**failure, "worker": worker, "at": utcnow().isoformat()}
        repository.update_stats(deployment, {"load_failure": entry})
        if failure is not None:
            log.error("the stream worker cannot load %s (%s): it goes on scoring with the "
                      "versions it has", failure["plan"], failure["kind"],
                      extra={"deployment": deployment})  # fmt: skip

    return record


def _health(deployment: str, follower: ModelFollower) -> dict[str, Any]:
    return {"deployment": deployment, **follower.current.describe(),
            "load_failure": follower.failure}  # fmt: skip


def _run(
    record: DeploymentRecord,
    options: StreamOptions,
    workspace: Workspace,
    stop: threading.Event,
    on_ready: Callable[[StreamWorker], None] | None,
) -> StreamSummary:
    repository = deployments_of(workspace)
    worker_id = new_id()  # the deployment is stopped when its last worker stops
    metrics = StreamMetrics(str(options.endpoints()[0]))
    trust = True if options.trusted else trust_for(options.trusted_types, workspace)
    worker: StreamWorker | None = None
    source, sinks = _clients(options, lambda: worker.deliver_in_flight() if worker else None)
    closing: list[Callable[[], None]] = []
    try:
        source.check(options.connect_timeout)
        closing.append(source.close)
        for sink in {id(s): s for s in sinks.values()}.values():
            sink.check(options.connect_timeout)
            closing.append(sink.close)
        follower = ModelFollower(record.name, workspace, metrics,
                                 poll_interval=options.poll_interval,
                                 unknown_categories=options.unknown_categories,
                                 trusted=trust,
                                 on_failure=_recorder(repository, record.name,
                                                      worker_id))  # fmt: skip
        metrics.gauges["shipyard_stream_load_failing"] = lambda: int(follower.failure is not None)
        threadpoolctl.threadpool_limits(limits=1)  # small batches: one native thread is fastest
        prediction_log = None
        if options.log_predictions:
            prediction_log = PredictionLog(workspace.artifacts,
                                           flush_interval=options.log_flush_interval)  # fmt: skip
            closing.append(prediction_log.close)
            metrics.gauges["shipyard_prediction_log_pending_rows"] = lambda: (
                prediction_log.stats.pending if prediction_log else 0
            )
        worker = StreamWorker(record.name, options, source=source, sinks=sinks,
                              follower=follower, metrics=metrics,
                              prediction_log=prediction_log, stop=stop)  # fmt: skip
        running = worker
        if options.metrics_port is not None:
            server = MetricsServer(metrics, options.metrics_port, lambda: running.ready,
                                   lambda: _health(record.name, follower))  # fmt: skip
            server.start()
            closing.append(server.close)
            worker.metrics_port = server.port
            log.info("metrics on http://127.0.0.1:%d/metrics", server.port)
        follower.start()
        closing.append(follower.close)
        host = socket.gethostname()
        about: dict[str, Any] = {"host": host, "pid": os.getpid(), "group": options.group}
        if worker.metrics_port:  # where a rollout reads this worker's readiness and errors
            about["metrics_url"] = f"http://127.0.0.1:{worker.metrics_port}"
        stats = repository.get(record.name).stats or {}
        gone = gone_workers(stats.get("workers") or {}, host)
        repository.worker_started(record.name, worker_id, about, actor=workspace.actor,
                                  reason=f"stream worker, group {options.group}",
                                  forget=gone)  # fmt: skip
        if (stats.get("load_failure") or {}).get("worker") in gone:
            repository.update_stats(record.name, {"load_failure": None})  # a dead worker's
        heartbeat = Heartbeat(repository, record.name, worker_id, about)
        heartbeat.start()
        closing.append(heartbeat.close)
        if on_ready is not None:
            on_ready(worker)
        with _signals(stop):
            summary = worker.run()
        repository.update_stats(record.name, summary.to_dict())
        return summary
    finally:
        for close in reversed(closing):
            try:
                close()
            except Exception:
                log.exception("closing the stream worker failed")
        after = repository.worker_stopped(record.name, worker_id, actor=workspace.actor)
        if ((after.stats or {}).get("load_failure") or {}).get("worker") == worker_id:
            repository.update_stats(record.name, {"load_failure": None})  # it no longer runs
