"""Model packages in the artifact store: every file a content-addressed blob.

The package's identity is the SHA-256 of its manifest bytes, and the manifest lists the hash of
every other file, so one hash pins the whole package. Fetching downloads into a temporary
directory beside the cache entry and renames it into place only when every blob has been
verified, so a cache directory is always complete.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.errors import ArtifactError, ArtifactIntegrityError
from shipyard.core.hashing import is_sha256, sha256_file
from shipyard.core.ids import new_id
from shipyard.models.integrity import verify_files
from shipyard.models.manifest import MANIFEST_NAME, Manifest, read_manifest_bytes

__all__ = ["cache_package", "fetch_package", "store_package", "verify_package"]


def store_package(directory: str | Path, artifacts: ArtifactStore) -> str:
    """Store every file of the package at ``directory`` and its manifest; return its hash.

    The files are verified against the manifest first, so a changed package is never stored.
    """
    root = Path(directory)
    manifest_bytes = read_manifest_bytes(root)
    manifest = Manifest.from_bytes(manifest_bytes, source=str(root / MANIFEST_NAME))
    verify_files(root, manifest)
    for member, entry in sorted(manifest.files.items()):
        blob = artifacts.put_file(root / member)
        if blob.hash != entry.sha256:
            raise ArtifactIntegrityError(
                f"The model package file {member} changed while it was being stored.",
                hint="Do not modify a package directory while storing it; store it again.",
            )
    return artifacts.put_bytes(manifest_bytes).hash


def fetch_package(package_hash: str, artifacts: ArtifactStore, cache_dir: str | Path) -> Path:
    """The package ``package_hash`` as a local directory ``cache_dir/<package_hash>``.

    The manifest and every file are downloaded and verified against their hashes; a corrupted
    or missing blob raises ArtifactIntegrityError or ArtifactMissingError naming the file, and
    leaves no cache directory behind. An existing, complete cache entry is reused (its file
    hashes are verified again by ``load_package``).
    """
    if not is_sha256(package_hash):
        raise ArtifactError(f"{package_hash!r} is not a model package hash (a SHA-256).")
    cache = Path(cache_dir)
    target = cache / package_hash
    if _is_complete(target, package_hash):
        return target
    label = f"{MANIFEST_NAME} of model package {package_hash[:12]}"
    manifest_bytes = artifacts.get_bytes(package_hash, name=label)
    manifest = Manifest.from_bytes(manifest_bytes, source=label)
    cache.mkdir(parents=True, exist_ok=True)
    staging = cache / f".{package_hash[:12]}.tmp-{new_id()}"
    staging.mkdir()
    try:
        for member, entry in sorted(manifest.files.items()):
            artifacts.download(
                entry.sha256,
                staging / member,
                name=f"{member} of model package {package_hash[:12]}",
            )
        (staging / MANIFEST_NAME).write_bytes(manifest_bytes)
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def verify_package(package_hash: str, artifacts: ArtifactStore) -> None:
    """Read the stored manifest and every blob it lists, and check each against its hash,
    without keeping a copy: ArtifactIntegrityError or ArtifactMissingError names the first
    file that is changed or gone."""
    if not is_sha256(package_hash):
        raise ArtifactError(f"{package_hash!r} is not a model package hash (a SHA-256).")
    label = f"{MANIFEST_NAME} of model package {package_hash[:12]}"
    manifest = Manifest.from_bytes(artifacts.get_bytes(package_hash, name=label), source=label)
    for member, entry in sorted(manifest.files.items()):
        artifacts.verify(entry.sha256, name=f"{member} of model package {package_hash[:12]}")


def cache_package(directory: str | Path, package_hash: str, cache_dir: str | Path) -> Path:
    """Move the package just stored from ``directory`` into the cache as
    ``cache_dir/<package_hash>`` (on the same file system), so that loading it needs no
    download; the same path :func:`fetch_package` then returns. ``directory`` must hold the
    package ``package_hash`` (its manifest is checked)."""
    root, cache = Path(directory), Path(cache_dir)
    digest, _ = sha256_file(root / MANIFEST_NAME)
    if digest != package_hash:
        raise ArtifactIntegrityError(
            f"The package at {root} is not model package {package_hash[:12]}.",
            hint="Cache the directory that was stored under that hash.",
        )
    target = cache / package_hash
    if not _is_complete(target, package_hash):
        cache.mkdir(parents=True, exist_ok=True)
        _move_into_place(root, target)
    return target


def _is_complete(target: Path, package_hash: str) -> bool:
    """A cache entry is reused when its manifest is the right one and every file is there."""
    manifest_path = target / MANIFEST_NAME
    if not manifest_path.is_file():
        if target.exists():
            _discard(target)
        return False
    digest, _ = sha256_file(manifest_path)
    if digest == package_hash:
        manifest = Manifest.read(target)
        if all(
            (target / member).is_file() and (target / member).stat().st_size == entry.size
            for member, entry in manifest.files.items()
        ):
            return True
    _discard(target)
    return False


def _move_into_place(staging: Path, target: Path) -> None:
    try:
        staging.rename(target)
    except OSError:
        # another process finished the same package first: keep theirs if it is complete
        if not (target / MANIFEST_NAME).is_file():
            raise


def _discard(target: Path) -> None:
    """Move a broken cache entry aside, then delete it, so no reader sees it half-deleted."""
    doomed = target.with_name(f".{target.name[:12]}.broken-{new_id()}")
    try:
        target.replace(doomed)
    except FileNotFoundError:
        return
    shutil.rmtree(doomed, ignore_errors=True)
