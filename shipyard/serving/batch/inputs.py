"""What a batch job reads: input files found from a path, glob, folder or fsspec URL, cut
into parts that can be scored (and resumed) independently."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shipyard.core.errors import NotFoundError, UsageError
from shipyard.serving.batch.errors import BatchInputError

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
ROW_BITS = 40
"""A row id is ``file_index << 40 | row_in_file``: unique, stable across runs and engines.
``file_index`` is the file's place among the job's input files, sorted by path (a folder's
Parquet and CSV files, found recursively, or a glob's matches), counted from 0."""


@dataclass(frozen=True)
class InputFile:
    index: int
    url: str
    format: str
    size: int
    rows: int | None  # known up front for Parquet


@dataclass(frozen=True)
class Part:
    """A slice of one input file: Parquet row groups [first_group, end_group), or a CSV file."""

    file: InputFile
    first_group: int
    end_group: int
    first_row: int
    rows: int | None

    @property
    def id(self) -> str:
        return f"{self.file.index:05d}-{self.first_group:05d}"


def find_inputs(spec: str, **storage_options: Any) -> list[InputFile]:
    """The files ``spec`` names, sorted, each readable as Parquet or CSV."""
    fs, _, paths = fsspec.get_fs_token_paths(spec, storage_options=storage_options)
    files: list[str] = []
    for path in sorted(paths):
        if fs.isdir(path):
            files += sorted(p for p in fs.find(path) if _format(p) is not None)
        elif fs.exists(path):
            files.append(path)
    if not files:
        raise NotFoundError(
            f"No input files match {spec!r}.",
            hint="Give a Parquet or CSV file, a folder of them, or a glob such as data/*.parquet.",
        )
    found = []
    for index, path in enumerate(files):
        kind = _format(path)
        if kind is None:
            raise UsageError(
                f"{path} is neither Parquet nor CSV.",
                hint="Batch scoring reads .parquet and .csv files.",
            )
        url = path if _is_local(fs) else fs.unstrip_protocol(path)
        rows = _parquet_rows(fs, path) if kind == "parquet" else None
        found.append(InputFile(index, url, kind, int(fs.size(path) or 0), rows))
    return found


def plan_parts(files: list[InputFile], rows_per_part: int) -> list[Part]:
    """Cut Parquet files at row-group boundaries into parts of about ``rows_per_part`` rows;
    a CSV file is one part (it is still read in bounded batches)."""
    parts: list[Part] = []
    for file in files:
        if file.format != "parquet":
            parts.append(Part(file, 0, 1, 0, None))
            continue
        with fsspec.open(file.url, "rb") as handle:
            metadata = pq.ParquetFile(handle).metadata
        group, row = 0, 0
        while group < metadata.num_row_groups:
            start_group, start_row, rows = group, row, 0
            while group < metadata.num_row_groups and (rows == 0 or rows < rows_per_part):
                rows += metadata.row_group(group).num_rows
                group += 1
            parts.append(Part(file, start_group, group, start_row, rows))
            row += rows
    return parts


def read_part(part: Part, batch_rows: int, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The part's rows in record batches of at most ``batch_rows`` (memory stays bounded)."""
    try:
        with fsspec.open(part.file.url, "rb") as handle:
            if part.file.format == "parquet":
                reader = pq.ParquetFile(handle)
                groups = list(range(part.first_group, part.end_group))
                present = set(reader.schema_arrow.names)
                wanted = [c for c in columns if c in present]
                yield from reader.iter_batches(batch_rows, row_groups=groups, columns=wanted)
            else:
                options = pacsv.ReadOptions(block_size=max(1 << 20, batch_rows * 64))
                for batch in pacsv.open_csv(handle, read_options=options):
                    for start in range(0, batch.num_rows, batch_rows):
                        yield batch.slice(start, batch_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BatchInputError(
            f"Cannot read {part.file.url}: {exc}",
            hint="Check the file is a complete Parquet or CSV file.",
        ) from exc


def input_schema(file: InputFile) -> pa.Schema:
    """The columns of an input file, read from its footer (Parquet) or first block (CSV)."""
    try:
        with fsspec.open(file.url, "rb") as handle:
            if file.format == "parquet":
                return pq.ParquetFile(handle).schema_arrow
            first = next(iter(pacsv.open_csv(handle)), None)
            return pa.schema([]) if first is None else first.schema
    except (pa.ArrowInvalid, OSError, StopIteration) as exc:
        raise BatchInputError(
            f"Cannot read {file.url}: {exc}", hint="Check the file is a complete Parquet or CSV."
        ) from exc


def _format(path: str) -> str | None:
    lowered = path.lower()
    return next((kind for suffix, kind in FORMATS.items() if lowered.endswith(suffix)), None)


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def _parquet_rows(fs: fsspec.AbstractFileSystem, path: str) -> int:
    try:
        with fs.open(path, "rb") as handle:
            return int(pq.ParquetFile(handle).metadata.num_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BatchInputError(
            f"Cannot read {path} as Parquet: {exc}",
            hint="Check the file is a complete Parquet file (not truncated or another format).",
        ) from exc
