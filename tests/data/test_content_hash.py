"""The content hash depends on the data, not on how it happens to be laid out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from shipyard.data.content_hash import content_hash


def test_same_data_same_hash_whatever_the_layout(frame: pd.DataFrame, tmp_path: Path) -> None:
    expected = content_hash(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, tmp_path / "big_groups.parquet", row_group_size=1_000_000)
    pq.write_table(table, tmp_path / "small.parquet", row_group_size=37, compression="gzip")
    pq.write_table(table, tmp_path / "plain.parquet", compression="none", use_dictionary=False)
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=101))
    shuffled_index = frame.set_axis(np.arange(len(frame))[::-1])  # the index is not data
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, len(frame), 300)):
        frame.iloc[start : start + 300].to_parquet(parts / f"part-{i:02d}.parquet")

    found = {
        content_hash(tmp_path / "big_groups.parquet"),
        content_hash(str(tmp_path / "small.parquet")),
        content_hash(tmp_path / "plain.parquet"),
        content_hash(chunked),
        content_hash(shuffled_index),
        content_hash(pl.from_pandas(frame)),
        content_hash(str(parts)),
        content_hash(str(parts / "part-*.parquet")),
    }
    assert found == {expected}


def test_csv_and_narrow_types_hash_like_the_frame(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, None, 2.0], "c": ["x", "y", None]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    narrow = frame.astype({"a": "int8", "b": "float32"})
    assert content_hash(tmp_path / "t.csv") == content_hash(frame) == content_hash(narrow)


def test_timestamps_hash_by_instant_not_unit() -> None:
    instants = pd.to_datetime(["2024-01-01 10:00", "2024-06-30 23:59"]).tz_localize("UTC")
    ns = pa.table({"t": pa.array(instants, type=pa.timestamp("ns", "UTC"))})
    seconds = pa.table({"t": pa.array(instants, type=pa.timestamp("s", "UTC"))})
    naive = pa.table({"t": pa.array(instants.tz_localize(None), type=pa.timestamp("us"))})
    assert content_hash(ns) == content_hash(seconds)
    assert content_hash(ns) != content_hash(naive)  # a time zone is part of the data


def test_categories_hash_by_their_values() -> None:
    values = ["b", "a", "b", None]
    per_chunk = pa.chunked_array(
        [pa.array(values[:2]).dictionary_encode(), pa.array(values[2:]).dictionary_encode()]
    )
    assert content_hash(pa.table({"c": per_chunk})) == content_hash(
        pd.DataFrame({"c": pd.Categorical(values, categories=["a", "b", "z"])})
    )


def test_any_change_of_content_changes_the_hash(frame: pd.DataFrame) -> None:
    base = content_hash(frame)
    one_value = frame.copy()
    one_value.loc[500, "monthly_charges"] += 0.01
    one_null = frame.copy()
    one_null["plan"] = one_null["plan"].where(one_null.index != 3)
    renamed = frame.rename(columns={"plan": "tier"})
    reordered = frame[list(reversed(frame.columns))]
    fewer_rows = frame.iloc[:-1]
    moved = frame.copy()
    moved["plan"] = frame["plan"].str.slice(0, 2) + frame["plan"].str.slice(2)  # same strings
    strings_split = pd.DataFrame({"s": ["ab", "c"]})
    strings_joined = pd.DataFrame({"s": ["a", "bc"]})

    changed = [one_value, one_null, renamed, reordered, fewer_rows]
    assert all(content_hash(other) != base for other in changed)
    assert content_hash(moved) == base
    assert content_hash(strings_split) != content_hash(strings_joined)
    nan = pa.table({"x": pa.array([1.0, float("nan")])})
    null = pa.table({"x": pa.array([1.0, None])})
    assert content_hash(nan) != content_hash(null)
