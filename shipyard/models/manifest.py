"""The manifest ``shipyard-model.json``: what a model package is and how to load it.

The manifest is written deterministically (orjson, sorted keys, two-space indent), so the same
package always has the same bytes and the same content hash. A manifest written by a newer
format than this code knows is refused; one written by a different Shipyard major version, or
with different framework versions than are installed, loads with a :class:`ModelVersionWarning`.
"""

from __future__ import annotations

import platform
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeAlias, get_args

import orjson

from shipyard.core.clock import utcnow
from shipyard.core.errors import ArtifactMissingError, ModelError
from shipyard.core.hashing import is_sha256, sha256_bytes
from shipyard.core.version import shipyard_version

MANIFEST_NAME = "shipyard-model.json"
FORMAT_VERSION = 1

Serialization: TypeAlias = Literal[
    "skops",
    "joblib",
    "pickle",
    "reference",
    "xgboost-json",
    "xgboost-ubj",
    "lightgbm-text",
    "onnx",
    "torch-export",
    "torchscript",
    "state-dict",
]
SERIALIZATIONS: tuple[Serialization, ...] = get_args(Serialization)


class ModelVersionWarning(UserWarning):
    """A model package was written by a different Shipyard or framework version."""


def python_version() -> str:
    """The running Python version, e.g. ``3.11.7``."""
    return platform.python_version()


@dataclass(frozen=True)
class FileEntry:
    """One file of a package: its SHA-256 and size in bytes."""

    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """Everything needed to verify and load a model package."""

    flavor: str
    serialization: Serialization
    signature: dict[str, Any]
    files: dict[str, FileEntry]
    format_version: int = FORMAT_VERSION
    shipyard_version: str = field(default_factory=shipyard_version)
    python_version: str = field(default_factory=python_version)
    framework_versions: dict[str, str] = field(default_factory=dict)
    input_example: str | None = None
    source_run_id: str | None = None
    created_at: str = field(default_factory=lambda: utcnow().isoformat())
    extra: dict[str, Any] = field(default_factory=dict)

    def with_files(self, files: Mapping[str, FileEntry]) -> Manifest:
        """A copy listing ``files``."""
        return replace(self, files=dict(files))

    # -- JSON --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "shipyard_version": self.shipyard_version,
            "flavor": self.flavor,
            "serialization": self.serialization,
            "python_version": self.python_version,
            "framework_versions": dict(self.framework_versions),
            "signature": self.signature,
            "files": {path: entry.to_dict() for path, entry in self.files.items()},
            "input_example": self.input_example,
            "source_run_id": self.source_run_id,
            "created_at": self.created_at,
            "extra": self.extra,
        }

    @property
    def content_key(self) -> str:
        """A hash of what the package holds and does (flavor, signature, example, every
        file's hash, library versions), leaving out who made it and when
        (``source_run_id``, ``created_at``): two packages of the same model trained again
        have different package hashes but the same content key."""
        kept = {k: v for k, v in self.to_dict().items() if k not in ("source_run_id", "created_at")}
        return sha256_bytes(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS))

    def to_bytes(self) -> bytes:
        """The manifest as deterministic JSON bytes."""
        options = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
        try:
            return orjson.dumps(self.to_dict(), option=options)
        except TypeError as exc:
            raise ModelError(
                f"The model manifest cannot be written as JSON: {exc}.",
                hint="Keep signature and extra values to JSON types (text, numbers, lists, dicts).",
            ) from exc

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = MANIFEST_NAME) -> Manifest:
        """Parse manifest bytes; refuse a newer format, warn on a different major version."""
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ModelError(f"{source} is not valid JSON: {exc}.") from exc
        if not isinstance(raw, dict):
            raise ModelError(f"{source} must hold a JSON object.")
        return cls.from_dict(raw, source=source)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = MANIFEST_NAME) -> Manifest:
        version = raw.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ModelError(f"{source} has no valid format_version (got {version!r}).")
        if version > FORMAT_VERSION:
            raise ModelError(
                f"{source} uses model package format {version}, but this Shipyard "
                f"({shipyard_version()}) reads format {FORMAT_VERSION} at most.",
                hint="Upgrade Shipyard to load this model: pip install -U shipyard.",
            )
        written_by = _text(raw, "shipyard_version", source)
        _warn_on_major_change(written_by, source)
        serialization = _text(raw, "serialization", source)
        if serialization not in SERIALIZATIONS:
            raise ModelError(
                f"{source} names serialization {serialization!r}; "
                f"known ones are {', '.join(SERIALIZATIONS)}."
            )
        return cls(
            format_version=version,
            shipyard_version=written_by,
            flavor=_text(raw, "flavor", source),
            serialization=serialization,
            python_version=_text(raw, "python_version", source),
            framework_versions=_mapping(raw, "framework_versions", source),
            signature=_mapping(raw, "signature", source),
            files=_files(raw, source),
            input_example=_optional_text(raw, "input_example", source),
            source_run_id=_optional_text(raw, "source_run_id", source),
            created_at=_text(raw, "created_at", source),
            extra=_mapping(raw, "extra", source),
        )

    # -- files -------------------------------------------------------------------------------

    def write(self, directory: str | Path) -> Path:
        """Write ``shipyard-model.json`` into ``directory``."""
        path = Path(directory) / MANIFEST_NAME
        path.write_bytes(self.to_bytes())
        return path

    @classmethod
    def read(cls, directory: str | Path) -> Manifest:
        """Read ``shipyard-model.json`` from a package directory."""
        path = Path(directory) / MANIFEST_NAME
        return cls.from_bytes(read_manifest_bytes(directory), source=str(path))


def read_manifest_bytes(directory: str | Path) -> bytes:
    """The raw bytes of a package's manifest; ArtifactMissingError when there is none."""
    try:
        return (Path(directory) / MANIFEST_NAME).read_bytes()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ArtifactMissingError(
            f"{directory} is not a Shipyard model package: it has no {MANIFEST_NAME}.",
            hint="Point at the directory save_package wrote, or fetch the package again.",
        ) from exc


def _warn_on_major_change(written_by: str, source: str) -> None:
    ours = shipyard_version()
    if written_by.split(".", 1)[0] != ours.split(".", 1)[0]:
        warnings.warn(
            f"{source} was written by Shipyard {written_by}; this is Shipyard {ours}. "
            "A different major version may package models differently.",
            ModelVersionWarning,
            stacklevel=3,
        )


def _text(raw: Mapping[str, Any], key: str, source: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ModelError(f"{source} needs a non-empty string {key!r}, got {value!r}.")
    return value


def _optional_text(raw: Mapping[str, Any], key: str, source: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ModelError(f"{source} has {key!r} = {value!r}; expected a string or null.")
    return value


def _mapping(raw: Mapping[str, Any], key: str, source: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ModelError(f"{source} has {key!r} = {value!r}; expected an object.")
    return value


def is_safe_member(path: str) -> bool:
    """Whether ``path`` is a plain relative POSIX path that stays inside the package."""
    if not path or "\\" in path or path == MANIFEST_NAME:
        return False
    pure = PurePosixPath(path)
    return not pure.is_absolute() and all(part not in ("", ".", "..") for part in path.split("/"))


def _files(raw: Mapping[str, Any], source: str) -> dict[str, FileEntry]:
    files: dict[str, FileEntry] = {}
    for path, entry in _mapping(raw, "files", source).items():
        if not is_safe_member(path):
            raise ModelError(
                f"{source} lists file {path!r}, which is not a relative path inside the package.",
                hint="The manifest was tampered with or written by a broken tool; do not load it.",
            )
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not is_sha256(digest) or not isinstance(size, int):
            raise ModelError(f"{source} lists file {path!r} without a valid sha256 and size.")
        files[path] = FileEntry(digest, size)
    return files
