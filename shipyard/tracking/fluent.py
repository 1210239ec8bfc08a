"""The module-level tracking API: ``sy.start_run`` and helpers that log to the active run.

The active run lives in a :class:`contextvars.ContextVar`, so threads and asyncio tasks each
see their own, and a run started inside another becomes its child.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from shipyard._store.records import ArtifactRecord, ModelVersionRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings
from shipyard.tracking import capture
from shipyard.tracking.liveness import reap_runs, this_process
from shipyard.tracking.run import ActiveRun
from shipyard.tracking.seed import seed_generators

_active: ContextVar[ActiveRun | None] = ContextVar("shipyard_active_run", default=None)
_pending_seed: ContextVar[int | None] = ContextVar("shipyard_pending_seed", default=None)


def start_run(
    name: str | None = None,
    *,
    project: str | None = None,
    kind: str = "train",
    parent: ActiveRun | str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> _RunContext:
    """Start a run. Use it as ``with sy.start_run("baseline") as run: ...``.

    A run started while another is active becomes its child unless ``parent`` says otherwise.
    The workspace comes from ``workspace``, else ``settings``, else the environment.
    """
    current = _active.get()
    if parent is None and current is not None:
        parent = current
    ws = workspace or (current.workspace if current else None) or workspace_for(settings)
    reap_runs(local_only=True, workspace=ws)  # runs of this host whose process was killed
    record = ws.runs.create(
        project=project or ws.settings.project,
        name=name,
        kind=kind,
        parent_run_id=parent.id if isinstance(parent, ActiveRun) else parent,
        entrypoint=capture.entrypoint(),
        process=this_process(),
    )
    run = ActiveRun(ws, record, parent=parent if isinstance(parent, ActiveRun) else None)
    try:
        if params:
            run.log_params(params)
        if tags:
            run.set_tags(tags)
        seed = _pending_seed.get()
        if seed is not None:
            run.record_seed(seed)
    except BaseException:
        run.end("failed", error="could not record the run's params or tags")
        raise
    return _RunContext(run)


class _RunContext:
    """What :func:`start_run` returns: the run, activated for the ``with`` block."""

    def __init__(self, run: ActiveRun) -> None:
        self.run = run
        self._token = _active.set(run)

    def __enter__(self) -> ActiveRun:
        return self.run

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.run.__exit__(*exc_info)
        finally:
            _active.reset(self._token)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.run, name)

    def end(self, status: str = "finished") -> Any:
        """End a run started without ``with``."""
        try:
            return self.run.end(status)
        finally:
            if _active.get() is self.run:
                _active.reset(self._token)


def active_run() -> ActiveRun | None:
    """The run active in this context, if any."""
    return _active.get()


def _require_run() -> ActiveRun:
    run = _active.get()
    if run is None:
        raise UsageError("No run is active.", hint="Wrap the code in `with sy.start_run():`.")
    return run


def log_param(key: str, value: Any) -> None:
    """Record a param of the active run (it keeps its first value; a different one conflicts)."""
    _require_run().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    """Record several params of the active run at once."""
    _require_run().log_params(params)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Record a metric point of the active run (buffered; ``step`` counts up when omitted)."""
    _require_run().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Record several metric points of the active run at one step."""
    _require_run().log_metrics(metrics, step)


def set_tag(key: str, value: Any) -> None:
    """Set a tag of the active run (tags, unlike params, may change)."""
    _require_run().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags of the active run at once."""
    _require_run().set_tags(tags)


def log_artifact(path: str | Path, name: str | None = None) -> ArtifactRecord:
    """Store a file or folder as an artifact of the active run, content-addressed."""
    return _require_run().log_artifact(path, name)


def log_model(model: Any, name: str, **options: Any) -> ModelVersionRecord:
    """Package ``model`` and register it as the next version of ``name``, trained by the
    active run (options as :meth:`ActiveRun.log_model`)."""
    return _require_run().log_model(model, name, **options)


def seed_everything(seed: int, *, import_frameworks: bool = True) -> int:
    """Seed Python, NumPy and installed frameworks, and record the seed on the active run
    (or on the next run started in this context). ``import_frameworks=False`` seeds only the
    frameworks imported already."""
    seed_generators(seed, import_frameworks=import_frameworks)
    run = _active.get()
    if run is not None:
        run.record_seed(seed)
    else:
        _pending_seed.set(seed)
    return seed
