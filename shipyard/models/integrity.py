"""Hash the files of a package directory, and verify them against its manifest."""

from __future__ import annotations

from pathlib import Path

from shipyard.core.errors import ArtifactIntegrityError, ArtifactMissingError
from shipyard.core.hashing import sha256_file
from shipyard.models.manifest import MANIFEST_NAME, FileEntry, Manifest


def member_files(directory: str | Path) -> list[str]:
    """Every file under ``directory`` except the manifest, as sorted relative POSIX paths."""
    root = Path(directory)
    members = (
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() or path.is_symlink()
    )
    return sorted(member for member in members if member != MANIFEST_NAME)


def hash_files(directory: str | Path) -> dict[str, FileEntry]:
    """The SHA-256 and size of every file under ``directory`` except the manifest."""
    root = Path(directory)
    entries: dict[str, FileEntry] = {}
    for member in member_files(root):
        path = root / member
        if path.is_symlink():
            raise ArtifactIntegrityError(
                f"The model package file {member} is a symbolic link.",
                hint="Write real files into the package directory; links are not packaged.",
            )
        entries[member] = FileEntry(*sha256_file(path))
    return entries


def verify_files(directory: str | Path, manifest: Manifest) -> None:
    """Raise unless every file the manifest lists is present, unchanged, and nothing else is.

    A missing file raises ArtifactMissingError and a changed, extra or linked file raises
    ArtifactIntegrityError; each names the file. Nothing in the package is read beyond hashing.
    """
    root = Path(directory)
    for member, entry in sorted(manifest.files.items()):
        path = root / member
        if path.is_symlink():
            raise ArtifactIntegrityError(
                f"The model package file {member} in {root} is a symbolic link; it was not loaded.",
                hint="Fetch or save the package again.",
            )
        if not path.is_file():
            raise ArtifactMissingError(
                f"The model package file {member} is missing from {root}.",
                hint="Fetch or save the package again; a package is only usable whole.",
            )
        digest, size = sha256_file(path)
        if digest != entry.sha256 or size != entry.size:
            raise ArtifactIntegrityError(
                f"The model package file {member} does not match its manifest: SHA-256 "
                f"{digest[:12]}… ({size} bytes) instead of {entry.sha256[:12]}… "
                f"({entry.size} bytes).",
                hint="The package was changed or corrupted after it was saved, so it was not "
                "loaded. Fetch or save it again.",
            )
    unlisted = [member for member in member_files(root) if member not in manifest.files]
    if unlisted:
        raise ArtifactIntegrityError(
            f"The model package in {root} holds files its manifest does not list: "
            f"{', '.join(unlisted[:5])}.",
            hint="Remove them, or save the package again; only listed files are trusted.",
        )
