"""The output folder of a batch job: part files, rejects, and a manifest of finished parts.

The manifest (``_shipyard_job.json``) names the job (model package, inputs, engine) and the
parts already written. A re-run of the same job skips those parts; a part written but not yet
recorded is simply written again (its file is replaced), so every input row ends up in exactly
one output row or one reject. A folder holding anything else is refused, untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import fsspec
import numpy as np
import orjson

from shipyard.core.errors import NotFoundError, UsageError
from shipyard.core.hashing import sha256_bytes
from shipyard.core.ids import new_id
from shipyard.serving.batch.errors import OutputInUseError
from shipyard.serving.batch.inputs import ROW_BITS, InputFile

MANIFEST = "_shipyard_job.json"
REJECTS = "_rejects"
"""Underscored: Parquet readers (pyarrow, pandas, Spark) skip it when reading the output."""


@dataclass
class JobIdentity:
    model: str
    version: int
    package_hash: str
    engine: str
    rows_per_part: int
    inputs: list[dict[str, Any]]
    keep: list[str] = field(default_factory=list)
    challenger: str | None = None
    """The challenger's package hash, when the job scores one."""

    @classmethod
    def of(
        cls, model: str, version: int, package_hash: str, engine: str, rows_per_part: int,
        files: list[InputFile], *, keep: Sequence[str] = (), challenger: str | None = None,
    ) -> JobIdentity:  # fmt: skip
        inputs = [{"url": f.url, "size": f.size, "rows": f.rows} for f in files]
        return cls(model, version, package_hash, engine, rows_per_part, inputs, list(keep),
                   challenger)  # fmt: skip

    @property
    def document(self) -> dict[str, Any]:
        """What names the job (the options left unset are left out, so a job's key stays
        what it was before they existed)."""
        return {k: v for k, v in self.__dict__.items() if v or k not in ("keep", "challenger")}

    @property
    def key(self) -> str:
        return sha256_bytes(orjson.dumps(self.document, option=orjson.OPT_SORT_KEYS))


@dataclass
class JobFolder:
    url: str
    identity: JobIdentity
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    fs: Any = None
    root: str = ""

    @classmethod
    def open(cls, url: str, identity: JobIdentity) -> JobFolder:
        """Open the output folder for this job: new, or holding this same job's parts."""
        fs, root = fsspec.core.url_to_fs(url)
        folder = cls(url, identity, fs=fs, root=root.rstrip("/"))
        manifest_path = f"{folder.root}/{MANIFEST}"
        if fs.exists(manifest_path):
            recorded = orjson.loads(fs.cat_file(manifest_path))
            if recorded.get("job_key") != identity.key:
                other = recorded.get("job", {})
                raise OutputInUseError(
                    f"{url} holds the results of another job (model {other.get('model')} "
                    f"version {other.get('version')}, {len(recorded.get('parts', {}))} parts).",
                    hint="Write to a new folder, or delete that one if its results are not needed.",
                )
            folder.parts = recorded.get("parts", {})
            folder.started_at = recorded.get("started_at", folder.started_at)
            folder._remove_leftovers()
        elif fs.exists(folder.root) and fs.ls(folder.root):
            raise OutputInUseError(
                f"{url} is not empty and holds no Shipyard batch job.",
                hint="Write to a new or empty folder; nothing in that one was touched.",
            )
        else:
            fs.makedirs(folder.root, exist_ok=True)
            folder._write_manifest()
        return folder

    def _remove_leftovers(self) -> None:
        """Temporary files of parts an interrupted run was writing (they are redone)."""
        for path in self.fs.find(self.root):
            if path.rpartition("/")[2].startswith(".tmp-"):
                self.fs.rm(path)

    def done(self, part_id: str) -> bool:
        return part_id in self.parts

    def record(self, part_id: str, info: dict[str, Any]) -> None:
        """Mark a part finished (its files are already in place)."""
        self.parts[part_id] = info
        self._write_manifest()

    def finish(self, summary: dict[str, Any]) -> None:
        self._write_manifest(finished=summary)

    def _write_manifest(self, finished: dict[str, Any] | None = None) -> None:
        document = {
            "format": 1,
            "job_key": self.identity.key,
            "job": self.identity.document,
            "started_at": self.started_at,
            "parts": self.parts,
            "finished": finished,
        }
        write_atomically(self.fs, f"{self.root}/{MANIFEST}",
                         orjson.dumps(document, option=orjson.OPT_INDENT_2))  # fmt: skip

    @property
    def rows_scored(self) -> int:
        return sum(int(p["rows"]) for p in self.parts.values())

    @property
    def rows_rejected(self) -> int:
        return self.total("rejected")

    def total(self, count: str) -> int:
        """A count (``rows``, ``rejected``, ``challenger_rows``…) summed over finished parts."""
        return sum(int(p.get(count, 0)) for p in self.parts.values())


class RowPosition(NamedTuple):
    """Where an output row came from: the input file's index and the row within the file
    (from 0), and the file itself when the job's output folder was given."""

    file_index: int
    row: int
    file: str | None = None


def batch_row_position(row_id: int, output: str | None = None) -> RowPosition:
    """Decode a batch ``row_id`` into its input file's index and its row in that file.

    A row id is ``file_index << 40 | row``. ``file_index`` counts the job's input files in
    path order (a folder's files found recursively, or a glob's matches, sorted). With the
    job's ``output`` folder, the file's URL is read from the job's manifest too.
    """
    if isinstance(row_id, bool) or not isinstance(row_id, int | np.integer) or row_id < 0:
        raise UsageError(
            f"{row_id!r} is not a batch row id.",
            hint="Row ids are the non-negative integers in the row_id column of a batch output.",
        )
    position = RowPosition(int(row_id) >> ROW_BITS, int(row_id) & ((1 << ROW_BITS) - 1))
    if output is None:
        return position
    fs, root = fsspec.core.url_to_fs(output)
    path = f"{root.rstrip('/')}/{MANIFEST}"
    if not fs.exists(path):
        raise NotFoundError(
            f"{output} holds no batch job manifest ({MANIFEST}).",
            hint="Give the output folder of a `shipyard batch` job, or leave it out.",
        )
    inputs = orjson.loads(fs.cat_file(path)).get("job", {}).get("inputs", [])
    if position.file_index >= len(inputs):
        raise NotFoundError(
            f"Row id {row_id} names input file {position.file_index}, but the job read "
            f"{len(inputs)} file(s).",
            hint="Give the output folder of the job that wrote this row id.",
        )
    return position._replace(file=inputs[position.file_index]["url"])


def part_paths(root: str, part_id: str) -> tuple[str, str]:
    """Where a part's output and its rejects go."""
    return f"{root}/part-{part_id}.parquet", f"{root}/{REJECTS}/part-{part_id}.parquet"


def temporary_path(path: str) -> str:
    head, _, tail = path.rpartition("/")
    return f"{head}/.tmp-{new_id()}-{tail}"


def write_atomically(fs: Any, path: str, data: bytes) -> None:
    temporary = temporary_path(path)
    fs.pipe_file(temporary, data)
    fs.mv(temporary, path)
