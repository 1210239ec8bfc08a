"""The checks and the tests are taken from cache when the code has not changed: keyed by the
git commit, the diff of tracked files, what the stage runs and the Shipyard version, through
the pipeline's step cache (each passing stage is a finished step run of the CI run holding its
outputs). The package checks are keyed by the package's content hash instead: they judge the
package and nothing else. A failure is never cached; outside a git work tree the code stages
are not."""

from __future__ import annotations

from typing import Any

from shipyard._store.workspace import Workspace
from shipyard.core.hashing import sha256_bytes
from shipyard.pipeline.cache import (
    CACHE_KEY_TAG,
    STEP_KIND,
    STEP_TAG,
    cache_key,
    find_cached,
    store_outputs,
)
from shipyard.tracking.capture import GitState
from shipyard.tracking.fluent import start_run
from shipyard.tracking.run import ActiveRun


def code_key(stage: str, git: GitState | None, what: Any) -> str | None:
    """The cache key of ``stage`` on this tree, or None when the tree is not a git one."""
    if git is None:
        return None
    diff = sha256_bytes(git.diff or b"")
    return cache_key(f"ci-{stage}", {"commit": git.commit, "diff": diff, "what": what})


def package_key(package_hash: str, what: Any) -> str:
    """The cache key of the package checks of the package with ``package_hash``."""
    return cache_key("ci-package", {"package": package_hash, "what": what})


def cached(workspace: Workspace, stage: str, key: str) -> tuple[str, dict[str, Any]] | None:
    """(the run it came from, the outputs) of an earlier pass of ``stage`` with ``key``."""
    hit = find_cached(workspace, f"ci-{stage}", key)
    return None if hit is None else (hit.run_id, hit.outputs)


def remember(
    workspace: Workspace, stage: str, key: str, parent: ActiveRun, outputs: dict[str, Any]
) -> None:
    """Record a passing ``stage`` as a finished step run of the CI run ``parent``."""
    step = f"ci-{stage}"
    tags = {STEP_TAG: step, CACHE_KEY_TAG: key}
    with start_run(step, kind=STEP_KIND, parent=parent, workspace=workspace, tags=tags) as run:
        store_outputs(workspace, run.id, {**outputs, "step": step})
