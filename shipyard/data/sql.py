"""A SQL query against any SQLAlchemy URL, streamed as Arrow record batches.

Rows are fetched in partitions on a server-side cursor where the driver has one. Column types
come from the values; partitions are held back only while a column has seen nothing but NULL,
so the types are known before the first batch is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from shipyard.data.errors import DataError

PARTITION_ROWS = 50_000


@dataclass(frozen=True)
class SqlQuery:
    """A query whose result is the dataset: ``SqlQuery("SELECT * FROM t", "postgresql://…")``."""

    query: str
    url: str

    @property
    def redacted_url(self) -> str:
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return "<invalid URL>"


def read_sql(query: SqlQuery) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The query's schema and batches. The first partition is fetched now, so a bad URL or
    query fails here, before anything is written."""
    try:
        engine = create_engine(query.url)
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DataError(f"Cannot use the database URL {query.redacted_url!r}: {exc}",
                        hint="Use a SQLAlchemy URL with an installed driver.") from exc  # fmt: skip
    connection = None
    try:
        connection = engine.connect().execution_options(stream_results=True)
        result = connection.execute(text(query.query))
        names = list(map(str, result.keys()))
        partitions = result.partitions(PARTITION_ROWS)
        held: list[pa.RecordBatch] = []
        schema = None
        for rows in partitions:
            held.append(_batch(names, rows, None))
            schema = _settled(held)
            if schema is not None:
                break
    except BaseException as exc:
        if connection is not None:
            connection.close()
        engine.dispose()
        if isinstance(exc, SQLAlchemyError):
            raise DataError(
                f"The query failed on {query.redacted_url}: {_first_line(exc)}",
                hint="Check the query and that the database is reachable.",
            ) from exc
        raise
    if schema is None:  # the result ended while some column was still all NULL
        schema = held[0].schema if held else pa.schema([(n, pa.null()) for n in names])
        held = [_cast(b, schema) for b in held]
    return schema, _Batches(schema, names, held, partitions, connection, engine)


class _Batches(Iterator[pa.RecordBatch]):
    """The rest of the result; closing it (or reading it to the end) frees the connection."""

    def __init__(
        self,
        schema: pa.Schema,
        names: list[str],
        held: list[pa.RecordBatch],
        partitions: Iterator[Sequence[Any]],
        connection: Any,
        engine: Any,
    ) -> None:
        self._schema, self._names = schema, names
        self._held, self._partitions = held, partitions
        self._connection, self._engine = connection, engine

    def __next__(self) -> pa.RecordBatch:
        try:
            if self._held:
                return _cast(self._held.pop(0), self._schema)
            if self._connection is None:
                raise StopIteration
            rows = next(self._partitions, None)
            if rows is None:
                self.close()
                raise StopIteration
            return _batch(self._names, rows, self._schema)
        except SQLAlchemyError as exc:
            self.close()
            raise DataError(f"Reading the query result failed: {_first_line(exc)}") from exc
        except DataError:
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._engine.dispose()
            self._connection = None

    def __del__(self) -> None:
        self.close()


def _batch(names: list[str], rows: Sequence[Any], schema: pa.Schema | None) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = []
    for i, name in enumerate(names):
        wanted = None if schema is None else schema.field(i).type
        try:
            array = pa.array(columns[i], type=wanted, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            kinds = sorted({type(v).__name__ for v in columns[i] if v is not None})
            raise DataError(
                f"Column {name!r} of the query result mixes values of different types "
                f"({' and '.join(kinds)}).",
                hint="CAST the column to one type in the query.",
            ) from exc
        if pa.types.is_decimal(array.type) and wanted is None:
            array = array.cast(pa.decimal128(38, array.type.scale))
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _settled(held: list[pa.RecordBatch]) -> pa.Schema | None:
    """The schema once every column has a type other than NULL, else None."""
    fields = []
    for i, name in enumerate(held[0].schema.names):
        types = [
            b.schema.field(i).type for b in held if not pa.types.is_null(b.schema.field(i).type)
        ]
        if not types:
            return None
        fields.append(pa.field(name, types[0]))
    return pa.schema(fields)


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    if batch.schema == schema:
        return batch
    try:
        return batch.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(
            f"The query result changes a column's type between rows: {exc}",
            hint="CAST the column to one type in the query.",
        ) from exc


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__
