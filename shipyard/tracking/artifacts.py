"""Files and folders logged against a run, stored content-addressed in the artifact store."""

from __future__ import annotations

from pathlib import Path

import orjson

from shipyard._store.artifacts import ArtifactStore
from shipyard._store.records import ArtifactRecord
from shipyard._store.runs import RunRepository
from shipyard.core.errors import UsageError


def log_file(
    runs: RunRepository, artifacts: ArtifactStore, run_id: str, path: Path, name: str | None
) -> ArtifactRecord:
    if not path.is_file():
        raise UsageError(f"{path} is not a file.", hint="Pass the path of an existing file.")
    blob = artifacts.put_file(path)
    return runs.add_artifact(
        run_id, name=name or path.name, hash=blob.hash, uri=blob.uri, size=blob.size
    )


def log_folder(
    runs: RunRepository, artifacts: ArtifactStore, run_id: str, path: Path, name: str | None
) -> ArtifactRecord:
    """Store every file under ``path``, then a listing (relative path → hash) as the artifact."""
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder.", hint="Pass the path of an existing folder.")
    listing: dict[str, dict[str, int | str]] = {}
    total = 0
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        blob = artifacts.put_file(file)
        listing[file.relative_to(path).as_posix()] = {"sha256": blob.hash, "size": blob.size}
        total += blob.size
    index = artifacts.put_bytes(orjson.dumps({"files": listing}, option=orjson.OPT_SORT_KEYS))
    return runs.add_artifact(
        run_id, name=name or path.name, hash=index.hash, uri=index.uri, size=total, kind="folder"
    )


def download_artifact(artifacts: ArtifactStore, record: ArtifactRecord, target: Path) -> Path:
    """Copy an artifact (file or folder) to ``target``, verifying every hash."""
    if record.kind != "folder":
        return artifacts.download(record.hash, target, name=record.name)
    index = orjson.loads(artifacts.get_bytes(record.hash, name=record.name))
    for relative, entry in index["files"].items():
        artifacts.download(entry["sha256"], target / relative, name=f"{record.name}/{relative}")
    return target
