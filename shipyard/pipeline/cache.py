"""Step caching: a step whose code, inputs and params are unchanged is taken from an earlier
run instead of being computed again.

A step's cache key is the SHA-256 of a canonical JSON of what it depends on: the step name,
the Shipyard version, the hash of the code it runs (the entrypoint module's source for
training), the content hashes of its inputs and its params. A finished step run keeps the key
as its ``shipyard.cache_key`` tag and its outputs as the ``step-outputs.json`` artifact. On a
later run, the newest finished step run with the same key is reused once its outputs are
verified (every blob and record they name still exists with the same hash).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from shipyard._store.records import ArtifactRecord
from shipyard._store.runs import FINISHED
from shipyard._store.workspace import Workspace
from shipyard.core.errors import ArtifactError, NotFoundError
from shipyard.core.hashing import sha256_bytes, sha256_file
from shipyard.core.version import shipyard_version
from shipyard.pipeline.entrypoint import module_file

CACHE_KEY_TAG = "shipyard.cache_key"
CACHED_FROM_TAG = "shipyard.cached_from"
STEP_TAG = "shipyard.step"
OUTPUTS_ARTIFACT = "step-outputs.json"
STEP_KIND, PIPELINE_KIND = "step", "pipeline"


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no spaces: equal values give equal bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


def cache_key(step: str, parts: Mapping[str, Any]) -> str:
    """The cache key of ``step`` given what it depends on."""
    return sha256_bytes(canonical_json({"step": step, "shipyard": shipyard_version(), **parts}))


@dataclass(frozen=True)
class CacheHit:
    """An earlier step run whose outputs can stand in for computing the step again."""

    run_id: str
    outputs: dict[str, Any]
    artifact: ArtifactRecord


def find_cached(workspace: Workspace, step: str, key: str) -> CacheHit | None:
    """The newest finished run of ``step`` with cache key ``key`` whose outputs can be read,
    or None."""
    candidates = workspace.runs.ids_with_tag(
        CACHE_KEY_TAG, key, kind=STEP_KIND, status=FINISHED, limit=5
    )
    for run_id in candidates:
        found = step_outputs(workspace, run_id)
        if found is not None:
            outputs, artifact = found
            if outputs.get("step") == step:
                return CacheHit(run_id, outputs, artifact)
    return None


def step_outputs(workspace: Workspace, run_id: str) -> tuple[dict[str, Any], ArtifactRecord] | None:
    for artifact in workspace.runs.artifacts(run_id):
        if artifact.name == OUTPUTS_ARTIFACT:
            try:
                data = orjson.loads(workspace.artifacts.get_bytes(artifact.hash))
            except (ArtifactError, orjson.JSONDecodeError):
                return None  # a damaged or missing record is a miss, never an error
            return (data, artifact) if isinstance(data, dict) else None
    return None


def store_outputs(workspace: Workspace, run_id: str, outputs: Mapping[str, Any]) -> str:
    """Keep ``outputs`` as the run's ``step-outputs.json`` artifact; returns its hash."""
    blob = workspace.artifacts.put_bytes(canonical_json(dict(outputs)))
    workspace.runs.add_artifact(
        run_id, name=OUTPUTS_ARTIFACT, hash=blob.hash, uri=blob.uri, size=blob.size
    )
    return blob.hash


def blobs_exist(workspace: Workspace, *hashes: str | None) -> bool:
    """Whether every blob named is still in the artifact store."""
    return all(h is not None and workspace.artifacts.exists(h) for h in hashes)


def dataset_exists(workspace: Workspace, entry: Mapping[str, Any]) -> bool:
    """Whether a dataset version an output names still exists with the same content."""
    try:
        record = workspace.datasets.get_version(str(entry["name"]), int(entry["version"]))
    except (NotFoundError, KeyError, ValueError):
        return False
    return record.content_hash == entry.get("content_hash") and blobs_exist(
        workspace, record.artifact_hash
    )


def module_source_hash(entrypoint: str, search_path: Path) -> tuple[str, Path]:
    """The SHA-256 of the source file of the entrypoint's module (found as
    :func:`~shipyard.pipeline.entrypoint.module_file` finds it, without running it)."""
    origin = module_file(entrypoint.partition(":")[0], search_path)
    return sha256_file(origin)[0], origin
