"""Functions the concurrency tests run in separate processes (importable by spawn)."""

from __future__ import annotations

import shipyard as sy
from shipyard._store.workspace import Workspace


def log_many_metrics(store_url: str, home: str, count: int) -> str:
    settings = sy.load_settings(
        store_url=store_url, home=home, metric_buffer_size=250, metric_flush_interval=0.01,
        capture_git=False, capture_packages=False,
    )  # fmt: skip
    workspace = Workspace(settings)
    with sy.start_run("worker", workspace=workspace) as run:
        for step in range(count):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("acc", step / count, step=step)
    workspace.close()
    return run.id


def promote_once(
    store_url: str, home: str, name: str, version: int, actor: str, artifacts_url: str | None = None
) -> int | None:
    settings = sy.load_settings(
        store_url=store_url, home=home, actor=actor, artifacts_url=artifacts_url
    )
    workspace = Workspace(settings)
    move = sy.promote(name, version, "production", reason=f"by {actor}", workspace=workspace)
    workspace.close()
    return move.before
