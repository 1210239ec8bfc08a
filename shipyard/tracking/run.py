"""An active run: what a training script records while it works."""

from __future__ import annotations

import atexit
import contextlib
import threading
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from shipyard._store.records import ArtifactRecord, ModelVersionRecord, RunRecord
from shipyard._store.runs import FAILED, FINISHED, KILLED
from shipyard._store.workspace import Workspace
from shipyard.core.clock import now_millis
from shipyard.core.errors import ConflictError, UsageError
from shipyard.core.names import check_key, check_model_name
from shipyard.registry.versions import register_version
from shipyard.tracking import capture
from shipyard.tracking.artifacts import log_file, log_folder
from shipyard.tracking.liveness import Heartbeat, staging_dir
from shipyard.tracking.metric_buffer import MetricBuffer


class ActiveRun:
    """A run in progress. Use it as a context manager (``with sy.start_run() as run:``); an
    exception inside the block ends the run as failed, with the error recorded."""

    def __init__(
        self, workspace: Workspace, record: RunRecord, *, parent: ActiveRun | None = None
    ) -> None:
        self.workspace = workspace
        self.id = record.id
        self.name = record.name
        self.project = record.project
        self.parent_run_id = record.parent_run_id
        self.seed: int | None = None
        self._ended = False
        self._keys: set[str] = set()
        settings = workspace.settings
        self._metrics = MetricBuffer(
            workspace.runs.log_metrics,
            interval=settings.metric_flush_interval,
            max_pending=settings.metric_buffer_size,
        )
        self._capture: dict[str, Any] = {}
        self._capture_from = (
            parent if parent is not None and parent.workspace is workspace else None
        )
        self._capture_thread = threading.Thread(
            target=self._capture_context, name="shipyard-capture", daemon=True
        )
        self._capture_thread.start()
        self._heartbeat = Heartbeat(workspace, record.id, settings.heartbeat_interval)
        _unended.add(self)

    def __repr__(self) -> str:
        return f"<ActiveRun {self.id} {self.name!r}>"

    # -- context captured off the caller's thread ------------------------------------------

    def _capture_context(self) -> None:
        """Git state, environment and package lock, off the caller's thread. A child run of
        a run active in this process records what its parent captured: same checkout, same
        interpreter, and no second round of ``git`` processes."""
        if self._capture_from is not None:
            self._capture_from._capture_thread.join()
            self._capture = dict(self._capture_from._capture)
            return
        settings = self.workspace.settings
        found: dict[str, Any] = {"environment": capture.environment()}
        try:
            if settings.capture_git:
                git = capture.capture_git()
                if git is not None:
                    found["git_commit"], found["git_dirty"] = git.commit, git.dirty
                    if git.diff:
                        found["git_diff_hash"] = self.workspace.artifacts.put_bytes(git.diff).hash
            if settings.capture_packages:
                lock_file = capture.package_lock(self.workspace.cache_dir)
                lock = self.workspace.artifacts.put_bytes(lock_file)
                found["environment_lock_hash"] = lock.hash
        except Exception as exc:  # capture is best effort; the run itself must not fail
            found["environment"] = {**found["environment"], "capture_error": str(exc)}
        self._capture = found

    # -- params, tags, metrics -------------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record how the run is configured. A param keeps its first value."""
        self._check_open()
        clean = {check_key(str(k), "param key"): _text(v) for k, v in params.items()}
        self.workspace.runs.log_params(self.id, clean)

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Label the run; a tag can be changed later."""
        self._check_open()
        clean = {check_key(str(k), "tag key"): _text(v) for k, v in tags.items()}
        self.workspace.runs.set_tags(self.id, clean)

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """Record one value of a metric. Buffered: it reaches the store within the flush
        interval, and for certain when the run ends or :meth:`flush` is called."""
        if self._ended:
            self._check_open()
        if key not in self._keys:
            self._keys.add(check_key(key, "metric key"))
        self._metrics.add((self.id, key, _number(key, value), int(step or 0), now_millis()))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self._check_open()
        stamp = now_millis()
        rows = []
        for key, value in metrics.items():
            if key not in self._keys:
                self._keys.add(check_key(key, "metric key"))
            rows.append((self.id, key, _number(key, value), int(step or 0), stamp))
        self._metrics.extend(rows)

    def flush(self) -> None:
        """Write buffered metrics now."""
        self._metrics.flush()

    # -- artifacts and models --------------------------------------------------------------

    def log_artifact(self, path: str | Path, name: str | None = None) -> ArtifactRecord:
        """Store a file (or a whole folder) as an artifact of this run."""
        self._check_open()
        source = Path(path)
        runs, store = self.workspace.runs, self.workspace.artifacts
        if source.is_dir():
            return log_folder(runs, store, self.id, source, name)
        return log_file(runs, store, self.id, source, name)

    def log_model(
        self,
        model: Any,
        name: str,
        *,
        input_example: Any,
        signature: Any = None,
        flavor: str | None = None,
        serialization: str | None = None,
        trusted: bool = False,
        description: str | None = None,
        as_onnx: bool = False,
        onnx_tolerance: float | None = None,
        evaluation_data: Any = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ModelVersionRecord:
        """Package ``model``, store it, and register it as a new version of model ``name``.

        ``extra`` is kept in the manifest (e.g. where an imported model came from).

        ``as_onnx=True`` registers a scikit-learn model's ONNX conversion, checked to predict
        as the model does on the input example and ``evaluation_data`` (see ``save_package``).
        """
        # Imported here: packaging needs pandas and NumPy, which a run that logs no model
        # (and every cached pipeline step) should not pay for at start-up.
        from shipyard.models.package import save_package
        from shipyard.models.storage import store_package

        self._check_open()
        check_model_name(name)
        tolerance: dict[str, Any] = (
            {} if onnx_tolerance is None else {"onnx_tolerance": onnx_tolerance}
        )
        with staging_dir(self.id, "package") as temporary:
            directory = Path(temporary) / "package"
            manifest = save_package(
                model,
                directory,
                input_example=input_example,
                signature=signature,
                flavor=flavor,
                serialization=serialization,
                trusted=trusted,
                source_run_id=self.id,
                as_onnx=as_onnx,
                evaluation_data=evaluation_data,
                extra=extra,
                **tolerance,
            )
            package_hash = store_package(directory, self.workspace.artifacts)
            size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
        self.workspace.runs.add_artifact(
            self.id,
            name=f"models/{name}",
            hash=package_hash,
            uri=self.workspace.artifacts.uri(package_hash),
            size=size,
            kind="model",
        )
        return register_version(
            name,
            package_hash=package_hash,
            flavor=manifest.flavor,
            signature=manifest.signature,
            source_run_id=self.id,
            description=description,
            workspace=self.workspace,
        )

    def record_seed(self, seed: int) -> None:
        self._check_open()
        self.seed = seed
        self.workspace.runs.record_capture(self.id, seed=seed)

    # -- ending ----------------------------------------------------------------------------

    def end(self, status: str = FINISHED, *, error: str | None = None) -> RunRecord:
        """Write buffered metrics and captured context, and close the run with ``status``
        (``finished``, ``failed`` or ``killed``)."""
        if status not in (FINISHED, FAILED, KILLED):
            raise UsageError(
                f"A run ends as finished, failed or killed, not {str(status)[:40]!r}.",
                hint='For example run.end("finished"), or run.end("failed", error="...").',
            )
        if self._ended:
            raise ConflictError(f"Run {self.id} has already ended.")
        self._ended = True
        self._heartbeat.stop()
        _unended.discard(self)
        try:
            self._metrics.close()
        except Exception as exc:
            self._capture_thread.join()
            unwritten = f"{self._metrics.pending} buffered metric values could not be written"
            self.workspace.runs.finish(
                self.id, FAILED, error=f"{unwritten}: {exc}", capture=self._capture
            )
            raise
        self._capture_thread.join()
        return self.workspace.runs.finish(self.id, status, error=error, capture=self._capture)

    @property
    def ended(self) -> bool:
        return self._ended

    def _check_open(self) -> None:
        if self._ended:
            raise ConflictError(
                f"Run {self.id} has ended; nothing more can be logged to it.",
                hint="Start a new run with sy.start_run().",
            )

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ended:
            return
        if exc is None:
            self.end(FINISHED)
        elif isinstance(exc, KeyboardInterrupt):
            self.end(KILLED, error="interrupted (KeyboardInterrupt)")
        else:
            detail = "".join(traceback.format_exception(exc_type, exc, tb))
            self.end(FAILED, error=detail[-20_000:])


_unended: set[ActiveRun] = set()  # strong references: a forgotten run is still ended at exit


@atexit.register
def _end_runs_left_open() -> None:
    """A script that exits without ending its run still gets its metrics written and the run
    closed (as finished, the way the process ended); a killed process leaves it running."""
    for run in list(_unended):
        with contextlib.suppress(Exception):
            run.end(FINISHED)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > 6000:
        raise UsageError("A param or tag value is longer than 6000 characters.",
                         hint="Log long content as an artifact instead.")  # fmt: skip
    return text


def _number(key: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UsageError(f"Metric {key!r} got {value!r}, which is not a number.") from None
