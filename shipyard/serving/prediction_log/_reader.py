"""Reading the prediction log back with DuckDB: predictions (optionally joined with their
feedback labels), feedback, and what writers that did not close cleanly may have lost."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd
from fsspec.implementations.local import LocalFileSystem

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.names import check_model_name
from shipyard.core.storage_errors import storage_errors
from shipyard.serving.prediction_log._layout import (
    FEEDBACK,
    PREDICTION_COLUMNS,
    PREDICTIONS,
    WRITERS,
)

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class WriterReport:
    """A writer's last heartbeat (written at every flush). One that is not ``clean`` stopped
    without closing (a crash, or it is still running): it lost the ``pending`` rows of its
    last heartbeat plus what arrived after it, at most one flush interval of traffic;
    ``at_risk`` estimates that from the rate at the last heartbeat."""

    writer: str
    pid: int
    host: str
    heartbeat: datetime
    accepted: int
    written: int
    pending: int
    clean: bool
    last_error: str | None
    rows_per_second: float
    flush_interval: float

    @property
    def at_risk(self) -> int:
        """Rows a crash of this writer would have lost (0 once it closed cleanly)."""
        if self.clean:
            return 0
        return self.pending + math.ceil(self.rows_per_second * self.flush_interval)


_PREDICTIONS_SOURCE = (
    "read_parquet(?, hive_partitioning = true, union_by_name = true, "
    "hive_types = {'model_version': INTEGER, 'date': VARCHAR})"
)
_FEEDBACK_JOIN = (
    "LEFT JOIN (SELECT deployment, request_id, row, arg_max(label, time) AS label "
    "FROM read_parquet(?, hive_partitioning = true, hive_types = {'date': VARCHAR}) "
    "GROUP BY deployment, request_id, row) f "
    "ON f.deployment = p.deployment AND f.request_id = p.request_id AND f.row = p.row"
)


class PredictionLogReader:
    """Queries over the Parquet files of the prediction log."""

    def __init__(self, artifacts: ArtifactStore) -> None:
        self.artifacts = artifacts
        self.fs = artifacts.fs
        self.root = artifacts.root
        self._local = isinstance(self.fs, LocalFileSystem)

    def _glob(self, kind: str, deployment: str | None) -> tuple[str, bool]:
        """The glob of the files and whether any exist."""
        middle = f"deployment={check_model_name(deployment)}" if deployment else "deployment=*"
        depth = "model_version=*/date=*" if kind == PREDICTIONS else "date=*"
        pattern = f"{self.root}/{kind}/{middle}/{depth}/*.parquet"
        found = bool(self.artifacts.glob(pattern))
        return (pattern if self._local else self.fs.unstrip_protocol(pattern)), found

    def _connect(self) -> duckdb.DuckDBPyConnection:
        import duckdb  # here: a server that only writes the log never loads the query engine

        connection = duckdb.connect()
        if not self._local:
            connection.register_filesystem(self.fs)
        return connection

    def predictions(
        self,
        deployment: str | None = None,
        *,
        version: int | None = None,
        role: str | None = "serve",
        since: datetime | None = None,
        until: datetime | None = None,
        with_feedback: bool = False,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Logged predictions, oldest first, one row per prediction.

        Columns: ``deployment``, ``model``, ``model_version``, ``date``, ``request_id``,
        ``row``, ``time`` (UTC), ``role``, ``latency_ms``, ``prediction`` (the plain value),
        ``inputs`` (a dict of the model's inputs) and, ``with_feedback``, ``label`` (None
        until a label arrives; the latest label wins).
        """
        pattern, found = self._glob(PREDICTIONS, deployment)
        columns = ["deployment", "model_version", "date", *PREDICTION_COLUMNS, "inputs"]
        if not found:
            return pd.DataFrame(columns=[*columns, "label"] if with_feedback else columns)
        params: list[Any] = [pattern]
        select = ", ".join(f"p.{c}" for c in columns)
        join = ""
        if with_feedback:
            feedback, has_feedback = self._glob(FEEDBACK, deployment)
            select += ", f.label" if has_feedback else ", NULL AS label"
            if has_feedback:
                join = _FEEDBACK_JOIN
                params.append(feedback)
        where = ["TRUE"]
        for clause, value in (
            ("p.model_version = ?", version), ("p.role = ?", role),
            ("p.time >= ?", _naive(since)), ("p.time < ?", _naive(until)),
        ):  # fmt: skip
            if value is not None:
                where.append(clause)
                params.append(value)
        # Only constant fragments are joined here; every value travels as a parameter.
        query = (
            f"SELECT {select} FROM {_PREDICTIONS_SOURCE} p {join} "  # noqa: S608
            f"WHERE {' AND '.join(where)} ORDER BY p.time, p.request_id, p.row"
        )
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        with self._connect() as connection:
            frame = connection.execute(query, params).df()
        frame["prediction"] = _objects(orjson.loads(v) for v in frame["prediction"])
        if with_feedback:
            frame["label"] = _objects(
                None if v is None else orjson.loads(v) for v in frame["label"]
            )
        frame["inputs"] = _objects(_plain_inputs(v) for v in frame["inputs"])
        return frame

    def feedback(self, deployment: str | None = None) -> pd.DataFrame:
        """Every feedback label sent, oldest first: deployment, request_id, row, time, label."""
        pattern, found = self._glob(FEEDBACK, deployment)
        columns = ["deployment", "request_id", "row", "time", "label"]
        if not found:
            return pd.DataFrame(columns=columns)
        query = (
            "SELECT deployment, request_id, row, time, label FROM read_parquet(?, "
            "hive_partitioning = true, hive_types = {'date': VARCHAR}) "
            "ORDER BY time, request_id, row"
        )
        with self._connect() as connection:
            frame = connection.execute(query, [pattern]).df()
        frame["label"] = _objects(orjson.loads(v) for v in frame["label"])
        return frame

    def count(self, deployment: str | None = None, *, role: str | None = "serve") -> int:
        """How many predictions are logged (for ``deployment`` and ``role``)."""
        pattern, found = self._glob(PREDICTIONS, deployment)
        if not found:
            return 0
        query = "SELECT count(*) FROM read_parquet(?, union_by_name = true)"
        params: list[Any] = [pattern]
        if role is not None:
            query += " WHERE role = ?"
            params.append(role)
        with self._connect() as connection:
            row = connection.execute(query, params).fetchone()
        return int(row[0]) if row else 0

    def writers(self) -> list[WriterReport]:
        """The last heartbeat of every writer; unclean ones may have lost ``pending`` rows."""
        reports = []
        for path in self.artifacts.glob(f"{self.root}/{PREDICTIONS}/{WRITERS}/*.json"):
            with storage_errors(self.artifacts.url):
                data = orjson.loads(self.fs.cat_file(path))
            reports.append(
                WriterReport(
                    writer=data["writer"], pid=data["pid"], host=data["host"],
                    heartbeat=datetime.fromisoformat(data["heartbeat"]),
                    accepted=data["accepted"], written=data["written"],
                    pending=data["pending"], clean=data["clean"],
                    last_error=data.get("last_error"),
                    rows_per_second=float(data.get("rows_per_second", 0.0)),
                    flush_interval=float(data.get("flush_interval", 0.0)),
                )
            )  # fmt: skip
        return reports


def _objects(values: Iterable[Any]) -> pd.Series[Any]:
    """Plain Python values as an object column (no float coercion of ints and None)."""
    return pd.Series(list(values), dtype=object)


def _naive(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _plain_inputs(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    return {
        key: None if item is None or (isinstance(item, float) and item != item) else item
        for key, item in value.items()
    }
