"""One streaming pass over a source: write Parquet, hash the content, infer the schema and
profile the columns, batch by batch, so memory stays bounded by a batch and the profile's
buffers."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from shipyard.data.content_hash import ContentHasher
from shipyard.data.errors import DataError
from shipyard.data.profile import Profiler
from shipyard.data.readers import Source
from shipyard.data.schema import DatasetSchema, SchemaBuilder

COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1
ROW_GROUP_ROWS = 262_144


@dataclass(frozen=True)
class Ingested:
    """A source written to a local Parquet file, with what was learnt on the way."""

    path: Path
    content_hash: str
    rows: int
    schema: DatasetSchema
    profile: dict[str, Any]
    source: str


@contextmanager
def ingest(source: Source, *, profile: bool = True) -> Iterator[Ingested]:
    """Write ``source`` to a temporary Parquet file (removed when the block ends)."""
    with tempfile.TemporaryDirectory(prefix="shipyard-dataset-") as folder:
        path = Path(folder) / "data.parquet"
        hasher = ContentHasher(source.schema)
        schema = SchemaBuilder(source.schema)
        profiler = Profiler(source.schema) if profile else None
        try:
            with pq.ParquetWriter(
                path,
                source.schema,
                compression=COMPRESSION,
                compression_level=COMPRESSION_LEVEL,
                use_dictionary=_dictionary_columns(source.schema),
            ) as writer:
                for batch in source.batches:
                    if batch.num_rows == 0:
                        continue
                    writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)
                    hasher.update(batch)
                    schema.update(batch)
                    if profiler is not None:
                        profiler.update(batch)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise DataError(f"Cannot read {source.description}: {exc}") from exc
        finally:
            source.close()
        if hasher.rows == 0:
            raise DataError(
                f"{source.description} has no rows.",
                hint="A dataset needs at least one row; check the filter, query or file.",
            )
        yield Ingested(
            path=path,
            content_hash=hasher.hexdigest(),
            rows=hasher.rows,
            schema=schema.build(),
            profile=profiler.finish() if profiler is not None else {},
            source=source.description,
        )


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary-encoding: all but floats, whose values rarely repeat (trying
    costs more than it saves)."""
    return [f.name for f in schema if not pa.types.is_floating(f.type)]
