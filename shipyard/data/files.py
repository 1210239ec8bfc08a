"""Parquet and CSV files, one file, a folder, a glob or any fsspec URL, as Arrow batches.

Several files make one dataset only when their schemas agree: Parquet schemas are unified
from the files' footers before any data is read (an integer column may widen to float; a
column missing from one file, or a string where another file has numbers, is an error naming
both files); CSV files after the first are parsed with the column types of the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shipyard.core.errors import NotFoundError
from shipyard.core.storage_errors import storage_errors
from shipyard.data.errors import DataError

PARQUET, CSV = "parquet", "csv"
_SUFFIXES = {
    ".parquet": PARQUET, ".pq": PARQUET, ".parq": PARQUET,
    ".csv": CSV, ".tsv": CSV, ".csv.gz": CSV, ".tsv.gz": CSV, ".csv.bz2": CSV,
}  # fmt: skip
BATCH_ROWS = 131_072

Read = tuple[str, pa.Schema, Iterator[pa.RecordBatch]]


def file_format(path: str) -> str | None:
    lower = path.lower()
    for suffix, kind in _SUFFIXES.items():
        if lower.endswith(suffix):
            return kind
    return None


def find_files(spec: str, storage_options: dict[str, Any]) -> tuple[Any, list[str]]:
    """The file system and the sorted data files ``spec`` names (a file, folder or glob)."""
    try:
        fs, _, paths = fsspec.get_fs_token_paths(spec, storage_options=storage_options)
    except (ImportError, ValueError) as exc:
        raise DataError(f"Cannot open {spec!r}: {exc}",
                        hint="For s3:// or gs:// install s3fs or gcsfs.") from exc  # fmt: skip
    files: list[str] = []
    with storage_errors(spec):
        for path in sorted(paths):
            if fs.isdir(path):
                files += sorted(p for p in fs.find(path) if file_format(p) is not None)
            elif fs.exists(path):
                files.append(path)
    if not files:
        raise NotFoundError(
            f"No data file matches {spec!r}.",
            hint="Give a Parquet or CSV file, a folder of them, or a glob such as data/*.parquet.",
        )
    return fs, files


def read_files(spec: str, storage_options: dict[str, Any]) -> Read:
    fs, files = find_files(spec, storage_options)
    kinds = {file_format(f) or PARQUET for f in files}
    if len(kinds) > 1:
        raise DataError(f"{spec!r} mixes Parquet and CSV files.",
                        hint="Point at files of one format.")  # fmt: skip
    description = files[0] if len(files) == 1 else f"{spec} ({len(files)} files)"
    if kinds == {CSV}:
        return description, *_read_csv_files(fs, files)
    return description, *_read_parquet_files(fs, files)


# -- Parquet ----------------------------------------------------------------------------------


def _parquet_file(handle: Any, path: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(handle)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(
            f"Cannot read {path} as Parquet: {exc}",
            hint="Check that the file is a complete Parquet file (or name CSV files *.csv).",
        ) from exc


def _schema(fs: Any, path: str) -> pa.Schema:
    with fs.open(path, "rb") as handle:
        return _parquet_file(handle, path).schema_arrow


def _read_parquet_files(fs: Any, files: list[str]) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    schemas = [_schema(fs, f) for f in files]
    target = _unify(files, schemas)

    def batches() -> Iterator[pa.RecordBatch]:
        for path, schema in zip(files, schemas, strict=True):
            with fs.open(path, "rb") as handle:
                reader = _parquet_file(handle, path)
                try:
                    for batch in reader.iter_batches(batch_size=BATCH_ROWS):
                        yield _conform(batch, schema, target, path)
                except (OSError, pa.ArrowException) as exc:
                    raise DataError(
                        f"Cannot read {path}: {exc}", hint="The file may be truncated or corrupt."
                    ) from exc

    return target, batches()


def _unify(files: list[str], schemas: list[pa.Schema]) -> pa.Schema:
    first = schemas[0]
    for path, schema in zip(files[1:], schemas[1:], strict=True):
        if set(schema.names) != set(first.names):
            missing = [n for n in first.names if n not in schema.names]
            extra = [n for n in schema.names if n not in first.names]
            detail = "; ".join(
                part for part in (
                    f"it lacks {', '.join(map(repr, missing))}" if missing else "",
                    f"it adds {', '.join(map(repr, extra))}" if extra else "",
                ) if part
            )  # fmt: skip
            raise DataError(
                f"The schema of {path} does not match {files[0]}: {detail}.",
                hint="Files of one dataset must have the same columns.",
            )
    try:
        unified = pa.unify_schemas(
            [s.remove_metadata() for s in schemas], promote_options="permissive"
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataError(
            f"The files' schemas do not match: {_type_clash(files, schemas) or exc}.",
            hint="Files of one dataset must give each column one type.",
        ) from exc
    return pa.schema([unified.field(n) for n in first.names], metadata=first.metadata)


def _type_clash(files: list[str], schemas: list[pa.Schema]) -> str | None:
    first = schemas[0]
    for path, schema in zip(files[1:], schemas[1:], strict=True):
        for f in first:
            other = schema.field(f.name).type
            if other != f.type and not (pa.types.is_null(other) or pa.types.is_null(f.type)):
                return f"column {f.name!r} is {f.type} in {files[0]} but {other} in {path}"
    return None


def _conform(batch: pa.RecordBatch, schema: pa.Schema, target: pa.Schema, path: str) -> Any:
    if schema.names == target.names and batch.schema.remove_metadata() == target.remove_metadata():
        return batch.replace_schema_metadata(target.metadata)
    try:
        columns = [batch.column(n).cast(target.field(n).type) for n in target.names]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(f"Cannot convert {path} to the dataset's schema: {exc}") from exc
    return pa.RecordBatch.from_arrays(columns, schema=target)


# -- CSV --------------------------------------------------------------------------------------


def _read_csv(fs: Any, path: str, types: dict[str, pa.DataType] | None) -> pa.Table:
    delimiter = "\t" if ".tsv" in path.lower() else ","
    try:
        with fs.open(path, "rb", compression="infer") as handle:
            return pacsv.read_csv(
                handle,
                parse_options=pacsv.ParseOptions(delimiter=delimiter),
                convert_options=pacsv.ConvertOptions(
                    column_types=types or {}, strings_can_be_null=True
                ),
            )
    except pa.ArrowInvalid as exc:
        message = str(exc).splitlines()[0]
        if types and "conversion error" in message.lower():
            raise DataError(
                f"{path} does not match the column types of the first file: {message}",
                hint="Files of one dataset must give each column one type.",
            ) from exc
        raise DataError(
            f"Cannot read {path} as CSV: {message}",
            hint="Check the file is a CSV file with a header row.",
        ) from exc
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc}") from exc


def _read_csv_files(fs: Any, files: list[str]) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    first = _read_csv(fs, files[0], None)
    types = {f.name: f.type for f in first.schema if not pa.types.is_null(f.type)}

    def batches() -> Iterator[pa.RecordBatch]:
        yield from first.to_batches(max_chunksize=BATCH_ROWS)
        for path in files[1:]:
            table = _read_csv(fs, path, types)
            if table.schema.names != first.schema.names:
                raise DataError(
                    f"The columns of {path} do not match {files[0]}: "
                    f"{table.schema.names} instead of {first.schema.names}.",
                    hint="Files of one dataset must have the same columns, in the same order.",
                )
            yield from _conform_table(table, first.schema, path).to_batches(BATCH_ROWS)

    return first.schema, batches()


def _conform_table(table: pa.Table, schema: pa.Schema, path: str) -> pa.Table:
    if table.schema == schema:
        return table
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(f"Cannot convert {path} to the dataset's schema: {exc}") from exc
