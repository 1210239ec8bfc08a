"""The pipeline's data sources: what to hand ``sy.log_dataset``, a cheap fingerprint that says
whether a local source changed, and the train/eval split of a single source."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ConfigurationError
from shipyard.core.hashing import sha256_bytes, sha256_file
from shipyard.pipeline.config import Source, SplitSpec, SqlSource

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def source_argument(source: Source, base_dir: Path) -> Any:
    """A path relative to ``base_dir`` made absolute, or a ``SqlQuery``; URLs as they are."""
    if isinstance(source, SqlSource):
        from shipyard.data.sql import SqlQuery

        return SqlQuery(source.sql, source.url)
    if "://" in source:
        return source
    path = Path(source).expanduser()
    return str(path if path.is_absolute() else base_dir / path)


def fingerprint(source: Source, base_dir: Path) -> str | None:
    """The SHA-256 over every local file the source names (names and bytes), or None when it
    is not local files (a SQL query or a remote URL: those are read again every run)."""
    argument = source_argument(source, base_dir)
    if not isinstance(argument, str) or "://" in argument:
        return None
    path = Path(argument)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    else:
        files = sorted(p for p in _glob(path) if p.is_file())
    if not files:
        raise ConfigurationError(
            f"data: no file matches {source!r} (looked from {base_dir}).",
            hint="Check the path in shipyard.yaml; relative paths start at its folder.",
        )
    parts = [f"{file.name}:{sha256_file(file)[0]}" for file in files]
    return sha256_bytes("\n".join(parts).encode())


def _glob(path: Path) -> list[Path]:
    """The files a path or glob pattern names (``data/*.parquet``, ``data/**/x.csv``)."""
    anchor = Path(path.anchor) if path.is_absolute() else Path()
    relative = path.relative_to(anchor) if path.is_absolute() else path
    return list(anchor.glob(str(relative))) if any(c in str(path) for c in "*?[") else [path]


def split_table(table: pa.Table, split: SplitSpec, *, label: str) -> tuple[pa.Table, pa.Table]:
    """``table`` cut into a training and an evaluation part as ``split`` says (deterministic
    for a given seed; the row order of each part follows the source). Only the column the
    split looks at is converted; the parts are Arrow tables with the source's schema."""
    import numpy as np
    import pyarrow as pa

    column = split.column or label
    if split.strategy != "random" and column not in table.column_names:
        raise ConfigurationError(
            f"data.split: the data has no column {column!r}.",
            hint=f"Its columns: {', '.join(table.column_names)}.",
        )
    if split.strategy == "time":
        is_eval = _after_cutoff(table.column(column).to_pandas(), split)
    else:
        from sklearn.model_selection import train_test_split

        stratify = None
        if split.strategy == "stratified":
            stratify = table.column(column).to_pandas()  # as pandas holds it: nulls as NaN
        positions = np.arange(table.num_rows)
        _, eval_positions = train_test_split(
            positions, test_size=split.test_size, random_state=split.seed, stratify=stratify
        )
        is_eval = np.zeros(table.num_rows, dtype=bool)
        is_eval[eval_positions] = True
    train, evaluation = table.filter(pa.array(~is_eval)), table.filter(pa.array(is_eval))
    if train.num_rows == 0 or evaluation.num_rows == 0:
        raise ConfigurationError(
            f"data.split leaves the {'training' if train.num_rows == 0 else 'evaluation'} set "
            "empty.",
            hint="Move the cutoff or change test_size.",
        )
    return train, evaluation


def _after_cutoff(values: pd.Series, split: SplitSpec) -> Any:
    """Which rows fall at or after the time split's cutoff (the given one, or the one that
    leaves ``test_size`` of the rows after it)."""
    import pandas as pd

    stamps = pd.to_datetime(values)
    if split.cutoff is not None:
        cutoff = pd.Timestamp(split.cutoff)
        if stamps.dt.tz is not None and cutoff.tz is None:
            cutoff = cutoff.tz_localize(stamps.dt.tz)
    else:
        cutoff = pd.Timestamp(stamps.sort_values().iloc[int(len(stamps) * (1 - split.test_size))])
    return (stamps >= cutoff).to_numpy()
