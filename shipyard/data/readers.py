"""Everything a dataset can be made from, read as one stream of Arrow record batches.

Accepted: a pandas or polars DataFrame (or polars LazyFrame), a pyarrow Table, RecordBatch or
RecordBatchReader, a Parquet or CSV file, a folder or glob of them, any fsspec URL
(``s3://bucket/x/*.parquet``), and a SQL query (:class:`~shipyard.data.sql.SqlQuery`).

Files stream batch by batch (a CSV file is parsed whole, one file at a time), so memory stays
bounded by a batch, not by the dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from shipyard.core.errors import UsageError
from shipyard.data.errors import DataError
from shipyard.data.files import read_files
from shipyard.data.schema import check_supported
from shipyard.data.sql import SqlQuery, read_sql

BATCH_ROWS = 131_072
"""Rows per record batch when an in-memory table is streamed."""


@dataclass
class Source:
    """A readable dataset: what it is, its Arrow schema, and its batches (read once)."""

    description: str
    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]

    def close(self) -> None:
        """Free what reading holds (a database connection, open files) before the end."""
        close = getattr(self.batches, "close", None)
        if callable(close):
            close()

    def read_all(self) -> pa.Table:
        """Every batch, as one table."""
        try:
            return pa.Table.from_batches(list(self.batches), schema=self.schema)
        finally:
            self.close()


def open_source(data: Any, **storage_options: Any) -> Source:
    """Open ``data`` (see the module docstring) as a :class:`Source`; the schema is checked
    for supported types before any batch is read."""
    source = _open(data, storage_options)
    try:
        check_supported(source.schema, source=source.description)
    except BaseException:
        source.close()
        raise
    return source


def read_table(data: Any, **storage_options: Any) -> pa.Table:
    """Read ``data`` whole into one Arrow table (for validation and comparisons in memory)."""
    return open_source(data, **storage_options).read_all()


def _open(data: Any, storage_options: dict[str, Any]) -> Source:
    if isinstance(data, SqlQuery):
        return Source(f"SQL query on {data.redacted_url}", *read_sql(data))
    if isinstance(data, str | Path):
        description, schema, batches = read_files(str(data), storage_options)
        return Source(description, schema, batches)
    if isinstance(data, pa.Table):
        return _in_memory(data, "Arrow table")
    if isinstance(data, pa.RecordBatch):
        return _in_memory(pa.Table.from_batches([data]), "Arrow record batch")
    if isinstance(data, pa.RecordBatchReader):
        return Source("Arrow record batch reader", data.schema, iter(data))
    module = type(data).__module__.split(".")[0]
    if module == "pandas" and type(data).__name__ == "DataFrame":
        return _in_memory(from_pandas(data), "pandas DataFrame")
    if module == "polars" and type(data).__name__ in ("DataFrame", "LazyFrame"):
        frame = data.collect() if type(data).__name__ == "LazyFrame" else data
        return _in_memory(frame.to_arrow(), "polars DataFrame")
    raise UsageError(
        f"Cannot make a dataset from a {type(data).__module__}.{type(data).__name__}.",
        hint="Pass a pandas or polars DataFrame, a pyarrow Table, a Parquet or CSV path, glob "
        "or URL, or shipyard.data.SqlQuery(query, url).",
    )


def _in_memory(table: pa.Table, kind: str) -> Source:
    description = f"{kind} ({table.num_rows:,} rows x {table.num_columns} columns)"
    return Source(description, table.schema, iter(table.to_batches(max_chunksize=BATCH_ROWS)))


def from_pandas(frame: Any) -> pa.Table:
    """A pandas DataFrame as an Arrow table (the index is dropped: ``reset_index()`` keeps it).

    A column whose values mix types (numbers and strings in one object column) raises a
    DataError naming the column and the types found.
    """
    from pandas.api.types import infer_dtype

    names = [str(c) for c in frame.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(
            f"The DataFrame has duplicated column names: {', '.join(map(repr, duplicated))}.",
            hint="Rename the columns so that each name appears once.",
        )
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        for name in frame.columns:
            column = frame[name]
            if column.dtype == object:
                kind = infer_dtype(column, skipna=True)
                if kind.startswith("mixed") and kind != "mixed-integer-float":
                    raise DataError(
                        f"Column {str(name)!r} mixes values of different types "
                        f"({_types_in(column)}).",
                        hint="Give each column one type, e.g. df[col].astype(str) or "
                        "pd.to_numeric(df[col], errors='coerce').",
                    ) from exc
        raise DataError(
            f"Cannot convert the DataFrame to Arrow: {exc}",
            hint="Give each column one supported type (numbers, strings, booleans, datetimes).",
        ) from exc


def _types_in(column: Any) -> str:
    seen: dict[str, None] = {}
    for value in column.dropna().head(10_000):
        seen.setdefault(type(value).__name__, None)
        if len(seen) >= 4:
            break
    return " and ".join(seen)
