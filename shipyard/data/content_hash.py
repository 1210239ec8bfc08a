"""The content hash of a dataset: a SHA-256 of the data itself, not of a file.

It depends only on the column names, their logical types and the values in row order, so it
is the same however the data is chunked into batches, laid out in Parquet row groups,
compressed, or re-written. Values are canonicalised first: integers as int64, floats as
float64 (every NaN alike), strings and categories by their text, timestamps as UTC
nanoseconds. Each column streams into its own hashes (one for the values, one for string
lengths, one for the positions of nulls), so batch boundaries never show in the result.
"""

from __future__ import annotations

import hashlib

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.data.errors import DataError
from shipyard.data.readers import open_source
from shipyard.data.schema import logical_type

FORMAT = "shipyard-dataset-content/1"


def content_hash(data: object) -> str:
    """The content hash of ``data`` (anything a dataset can be made from), as a version of it
    would be stored under: the same for the same values, however they are laid out."""
    source = open_source(data)
    hasher = ContentHasher(source.schema)
    try:
        for batch in source.batches:
            hasher.update(batch)
    finally:
        source.close()
    return hasher.hexdigest()


class ContentHasher:
    """Feed record batches in order with :meth:`update`; read :meth:`hexdigest` at the end."""

    def __init__(self, schema: pa.Schema) -> None:
        self._schema = schema
        self._rows = 0
        self._columns = [_ColumnHasher(f) for f in schema]

    def update(self, batch: pa.RecordBatch) -> None:
        for hasher, column in zip(self._columns, batch.columns, strict=True):
            hasher.update(column, self._rows)
        self._rows += batch.num_rows

    @property
    def rows(self) -> int:
        return self._rows

    def hexdigest(self) -> str:
        header = {
            "format": FORMAT,
            "rows": self._rows,
            "columns": [[c.name, c.kind] for c in self._columns],
        }
        digest = hashlib.sha256(orjson.dumps(header))
        for column in self._columns:
            digest.update(column.digest())
        return digest.hexdigest()


class _ColumnHasher:
    def __init__(self, field: pa.Field) -> None:
        self.name = field.name
        self.kind = _kind(field.type)
        self._values = hashlib.sha256()
        self._lengths = hashlib.sha256()
        self._nulls = hashlib.sha256()
        self._value_kind = self.kind.split(":")[1] if self.kind.startswith("category:") else (
            self.kind.split(":")[0]
        )  # fmt: skip

    def digest(self) -> bytes:
        return self._values.digest() + self._lengths.digest() + self._nulls.digest()

    def update(self, array: pa.Array, offset: int) -> None:
        if array.null_count:
            positions = np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))
            self._nulls.update((positions + offset).astype("<i8").tobytes())
        kind = self._value_kind
        if kind == "null":
            return
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        if kind in ("string", "decimal"):
            self._update_text(array)
        elif kind == "datetime":
            micros, nanos = _datetime_parts(array)
            self._values.update(micros.tobytes())
            self._lengths.update(nanos.tobytes())
        else:
            self._values.update(_fixed_width(kind, array).tobytes())

    def _update_text(self, array: pa.Array) -> None:
        array = pc.cast(array, pa.large_string())
        if array.null_count:
            array = array.fill_null("")
        _, offsets_buffer, data = array.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype="<i8")[
            array.offset : array.offset + len(array) + 1
        ]
        self._lengths.update(np.diff(offsets).astype("<i8").tobytes())
        if data is not None and len(array):
            self._values.update(memoryview(data)[int(offsets[0]) : int(offsets[-1])])


def _kind(arrow_type: pa.DataType) -> str:
    """The canonical type a column hashes as; the time zone is part of a datetime's kind."""
    logical = logical_type(arrow_type)
    if logical == "category":
        return f"category:{_kind(arrow_type.value_type)}"
    if logical == "datetime":
        return f"datetime:{arrow_type.tz or ''}"
    if logical is None:
        raise DataError(f"Cannot hash a column of type {arrow_type}.")
    return logical


def _fixed_width(kind: str, array: pa.Array) -> np.ndarray:
    if kind == "integer":
        if pa.types.is_uint64(array.type):
            try:
                array = pc.cast(array, pa.int64())
            except pa.ArrowInvalid as exc:
                raise DataError("An unsigned column holds values above 2**63 - 1.") from exc
        values = array.fill_null(0).to_numpy(zero_copy_only=False).astype("<i8", copy=False)
        return np.asarray(values)
    if kind == "float":
        values = np.asarray(
            pc.cast(array, pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False),
            dtype="<f8",
        )
        nan = np.isnan(values)
        if nan.any():
            values = np.where(nan, np.float64("nan"), values)
        return values
    if kind == "boolean":
        return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.uint8)
    if kind == "date":
        days = pc.cast(pc.cast(array, pa.date32()), pa.int32())
        return np.asarray(days.fill_null(0).to_numpy(zero_copy_only=False), dtype="<i8")
    raise DataError(f"Cannot hash a column of kind {kind}.")


def _datetime_parts(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch (UTC) and the nanoseconds beyond them, per value, so the
    hash does not depend on the unit a file happened to store."""
    if array.type.unit == "ns":
        ns = np.asarray(array.cast(pa.int64()).fill_null(0).to_numpy(), dtype="<i8")
        return np.floor_divide(ns, 1000).astype("<i8"), np.mod(ns, 1000).astype("<i2")
    micros = pc.cast(array, pa.timestamp("us", array.type.tz)).cast(pa.int64()).fill_null(0)
    values = np.asarray(micros.to_numpy(), dtype="<i8")
    return values, np.zeros(len(values), dtype="<i2")
