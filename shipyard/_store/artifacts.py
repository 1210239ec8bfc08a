"""The artifact store: content-addressed blobs under any fsspec URL.

A blob lives at ``<root>/blobs/<h[:2]>/<h>`` where ``h`` is the SHA-256 of its content. Writes
are atomic: a local write goes to a temporary file and is renamed into place, a remote write is a
single put of the finished object (S3 shows an object, multipart or not, only once it is
complete). Every read of a blob can verify its hash and fails loudly, naming the artifact, when
the content does not match or the blob is gone. Object storage that is down or refuses the
credentials is one ``StorageUnavailableError`` naming the store's URL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import fsspec
from fsspec.implementations.local import LocalFileSystem

from shipyard.core.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactMissingError,
    ConfigurationError,
)
from shipyard.core.hashing import CHUNK_SIZE, is_sha256, sha256_bytes, sha256_file
from shipyard.core.ids import new_id
from shipyard.core.storage_errors import storage_errors


@dataclass(frozen=True)
class Blob:
    """A stored blob: its hash, size and URI."""

    hash: str
    size: int
    uri: str


class ArtifactStore:
    """Content-addressed, verified blob storage over fsspec."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/") or url
        try:
            fs, root = fsspec.core.url_to_fs(self.url, **storage_options)
        except (ImportError, ValueError) as exc:
            raise ConfigurationError(
                f"Cannot open the artifact store at {url!r}: {exc}",
                hint="For s3:// install the extra: pip install 'shipyard[s3]'.",
            ) from exc
        self.fs: fsspec.AbstractFileSystem = fs
        self.root: str = root.rstrip("/")
        self._local = isinstance(fs, LocalFileSystem)

    @property
    def is_local(self) -> bool:
        """Whether the store is a folder of this machine (not object storage)."""
        return self._local

    # -- locations -------------------------------------------------------------------------

    def _path(self, digest: str) -> str:
        if not is_sha256(digest):
            raise ArtifactError(f"{digest!r} is not a SHA-256 hash.")
        return f"{self.root}/blobs/{digest[:2]}/{digest}"

    def uri(self, digest: str) -> str:
        """The full URI of the blob with this hash."""
        path = self._path(digest)
        return path if self._local else self.fs.unstrip_protocol(path)

    def glob(self, pattern: str) -> list[str]:
        """Paths matching ``pattern`` (a path under the root), listed afresh: other processes
        write under the root too, and object-store clients cache listings forever."""
        with storage_errors(self.url):
            self.fs.invalidate_cache()
            return sorted(self.fs.glob(pattern))

    def exists(self, digest: str) -> bool:
        with storage_errors(self.url):
            return bool(self.fs.exists(self._path(digest)))

    # -- writing ---------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> Blob:
        """Store ``data``; storing the same content twice is free."""
        digest = sha256_bytes(data)
        path = self._path(digest)
        with storage_errors(self.url):
            if not self.fs.exists(path):
                if self._local:
                    self._atomic_local_write(path, lambda handle: handle.write(data))
                else:
                    self.fs.pipe_file(path, data)
        return Blob(digest, len(data), self.uri(digest))

    def put_file(self, source: str | Path) -> Blob:
        """Store the file at ``source`` (streamed, never read whole into memory)."""
        digest, size = sha256_file(source)
        path = self._path(digest)
        with storage_errors(self.url):
            if not self.fs.exists(path):
                if self._local:
                    self._atomic_local_write(path, lambda handle: _copy(Path(source), handle))
                else:
                    self.fs.put_file(str(source), path)
        return Blob(digest, size, self.uri(digest))

    def _atomic_local_write(self, path: str, write: Any) -> None:
        directory = Path(path).parent
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".tmp-{new_id()}"
        try:
            with temporary.open("wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ArtifactError(f"Cannot write blob {Path(path).name}: {exc}") from exc

    # -- reading ---------------------------------------------------------------------------

    def get_bytes(self, digest: str, *, name: str | None = None, verify: bool = True) -> bytes:
        """The content of a blob; with ``verify`` its hash is checked first."""
        label = name or digest
        with storage_errors(self.url):
            try:
                data: bytes = self.fs.cat_file(self._path(digest))
            except FileNotFoundError as exc:
                raise _missing(label, digest) from exc
        if verify and sha256_bytes(data) != digest:
            raise _corrupt(label, digest)
        return data

    def download(self, digest: str, target: str | Path, *, name: str | None = None) -> Path:
        """Copy a blob to ``target``, verifying its hash; the target appears only if it is good."""
        label = name or digest
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary_name = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        temporary = Path(temporary_name)
        try:
            with (
                os.fdopen(fd, "wb") as out,
                self._open(digest, label) as source,
                storage_errors(self.url),
            ):
                found = _copy_hashing(source, out)
            if found != digest:
                raise _corrupt(label, digest)
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)
        return target

    @contextmanager
    def _open(self, digest: str, label: str) -> Iterator[BinaryIO]:
        with storage_errors(self.url):
            try:
                handle = self.fs.open(self._path(digest), "rb")
            except FileNotFoundError as exc:
                raise _missing(label, digest) from exc
        with handle:
            yield handle

    def verify(self, digest: str, *, name: str | None = None) -> None:
        """Raise unless the blob is present and its content matches its hash."""
        label = name or digest
        with self._open(digest, label) as source, storage_errors(self.url):
            found = _copy_hashing(source, None)
        if found != digest:
            raise _corrupt(label, digest)


def _copy(source: Path, handle: BinaryIO) -> None:
    with source.open("rb") as stream:
        shutil.copyfileobj(stream, handle, CHUNK_SIZE)


def _copy_hashing(source: BinaryIO, out: BinaryIO | None) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest()


def _missing(label: str, digest: str) -> ArtifactMissingError:
    return ArtifactMissingError(
        f"Artifact {label} is missing from the artifact store (blob {digest[:12]}…).",
        hint="Check SHIPYARD_ARTIFACTS_URL points at the store the metadata was written with.",
    )


def _corrupt(label: str, digest: str) -> ArtifactIntegrityError:
    return ArtifactIntegrityError(
        f"Artifact {label} is corrupted: its content does not match SHA-256 {digest[:12]}….",
        hint="Restore the blob from a backup or log the artifact again; it was not loaded.",
    )
