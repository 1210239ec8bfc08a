"""Every kind of source a dataset can be made from, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import fsspec
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, text

from shipyard.core.errors import NotFoundError, UsageError
from shipyard.data.content_hash import content_hash
from shipyard.data.errors import DataError
from shipyard.data.readers import read_table
from shipyard.data.sql import SqlQuery
from tests.conftest import new_postgres_database
from tests.services import PostgresServer


def test_frames_tables_files_and_urls_read_alike(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_parquet(tmp_path / "a.parquet")
    expected = pa.Table.from_pandas(frame, preserve_index=False)
    with fsspec.open("memory://bucket/data.parquet", "wb") as handle:
        frame.to_parquet(handle)
    for source in [frame, pl.from_pandas(frame), pl.from_pandas(frame).lazy(), expected,
                   expected.to_batches()[0], pa.RecordBatchReader.from_batches(
                       expected.schema, expected.to_batches()),
                   tmp_path / "a.parquet", "memory://bucket/data.parquet"]:  # fmt: skip
        table = read_table(source)
        assert table.num_rows == len(frame)
        assert table.column("plan").to_pylist() == frame["plan"].tolist()


def test_csv_files_and_compressed_csv(tmp_path: Path) -> None:
    small = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    small.to_csv(tmp_path / "one.csv", index=False)
    small.to_csv(tmp_path / "two.csv.gz", index=False, compression="gzip")
    small.to_csv(tmp_path / "t.tsv", index=False, sep="\t")
    assert read_table(tmp_path / "one.csv").column("b").to_pylist() == ["x", None]
    assert read_table(tmp_path / "two.csv.gz").num_rows == 2
    assert read_table(tmp_path / "t.tsv").column_names == ["a", "b"]
    both = read_table(str(tmp_path / "*.csv*"))
    assert both.column("a").to_pylist() == [1, 2, 1, 2]


def test_parquet_files_of_one_dataset_may_widen_ints_to_floats(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "1.parquet")
    pq.write_table(pa.table({"b": ["z"], "a": [2.5]}), tmp_path / "2.parquet")
    table = read_table(str(tmp_path))
    assert table.schema.field("a").type == pa.float64()
    assert table.column("a").to_pylist() == [1.0, 2.0, 2.5]
    assert table.column("b").to_pylist() == ["x", "y", "z"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sql_query(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shipyard.data.sql.PARTITION_ROWS", 1_000)  # several partitions
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'source.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = new_postgres_database(server)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE t (id INTEGER, amount NUMERIC(10, 2), name TEXT, seen DATE)"
        ))  # fmt: skip
        connection.execute(
            text("INSERT INTO t VALUES (:id, :amount, :name, :seen)"),
            [{"id": i, "name": None if i < 1_500 else f"n{i}",
              "amount": decimal.Decimal(i) / 4 if backend != "sqlite" else i / 4,
              "seen": dt.date(2024, 1, 1 + i % 28) if backend != "sqlite" else "2024-01-01"}
             for i in range(5_000)],
        )  # fmt: skip
    engine.dispose()
    table = read_table(SqlQuery("SELECT id, name, amount, seen FROM t ORDER BY id", url))
    assert table.num_rows == 5_000
    # the first partition's names are all NULL: their type comes from a later one
    assert table.column("name").to_pylist()[1_499:1_501] == [None, "n1500"]
    assert table.schema.field("name").type == pa.string()
    assert table.schema.field("id").type == pa.int64()
    assert float(table.column("amount")[5].as_py()) == 1.25
    if backend == "postgresql":
        assert pa.types.is_decimal(table.schema.field("amount").type)
        assert table.column("seen")[1].as_py() == dt.date(2024, 1, 2)
    again = content_hash(SqlQuery("SELECT id, name, amount, seen FROM t ORDER BY id", url))
    assert again == content_hash(table)
    with pytest.raises(DataError, match="The query failed"):
        read_table(SqlQuery("SELECT nope FROM t", url))
    with pytest.raises(DataError, match="no rows"):
        from shipyard.data.ingest import ingest
        from shipyard.data.readers import open_source

        with ingest(open_source(SqlQuery("SELECT id FROM t WHERE id < 0", url))):
            pass


def test_sql_mixed_types_in_a_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mixed.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v)"))
        connection.execute(text("INSERT INTO t VALUES (1), ('two'), (3)"))
    engine.dispose()
    with pytest.raises(DataError, match=r"'v'.*mixes values of different types"):
        read_table(SqlQuery("SELECT v FROM t", url))
    with pytest.raises(DataError, match="Cannot use the database URL"):
        read_table(SqlQuery("SELECT 1", "nosuchdb://x"))


def test_bad_inputs_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="No data file matches"):
        read_table(tmp_path / "missing.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match=r"Cannot read .*broken.parquet as Parquet"):
        read_table(tmp_path / "broken.parquet")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"Cannot read .*empty.csv as CSV"):
        read_table(tmp_path / "empty.csv")
    mixed = pd.DataFrame({"ok": [1, 2, 3], "bad": [1, "two", 3.0]})
    with pytest.raises(DataError, match="'bad' mixes values of different types"):
        read_table(mixed)
    nested = pd.DataFrame({"tags": [["a"], ["b", "c"]], "n": [1, 2]})
    with pytest.raises(DataError, match=r"unsupported types: 'tags' \(list<item: string>\)"):
        read_table(nested)
    with pytest.raises(DataError, match="duplicated column names: 'a'"):
        read_table(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(DataError, match="has no columns"):
        read_table(pd.DataFrame())
    with pytest.raises(UsageError, match=r"Cannot make a dataset from a builtins.list"):
        read_table([1, 2, 3])


def test_files_whose_schemas_do_not_match(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1], "b": ["x"]}), tmp_path / "1.parquet")
    pq.write_table(pa.table({"a": [2]}), tmp_path / "2.parquet")
    with pytest.raises(DataError, match=r"2.parquet does not match .*1.parquet: it lacks 'b'"):
        read_table(str(tmp_path / "*.parquet"))
    pq.write_table(pa.table({"a": ["text"], "b": ["y"]}), tmp_path / "2.parquet")
    with pytest.raises(DataError, match=r"column 'a' is int64 in .* but string in"):
        read_table(str(tmp_path / "*.parquet"))
    (tmp_path / "1.csv").write_text("a,b\n1,x\n")
    (tmp_path / "2.csv").write_text("a,b\nnot-a-number,y\n")
    with pytest.raises(DataError, match=r"2.csv does not match the column types of the first"):
        read_table(str(tmp_path / "*.csv"))
    with pytest.raises(DataError, match="mixes Parquet and CSV"):
        read_table(str(tmp_path))
