"""One monitor window over a deployment's prediction log, read with DuckDB.

The log's layout is that of ``shipyard.serving.prediction_log`` (Parquet under the artifact
root, hive-partitioned by deployment, model version and date). Inputs and predictions stream
out of DuckDB as Arrow record batches, so memory is bounded by the batch size and the
profilers' sketches, never by the window; latency percentiles, traffic per version and the
feedback join are aggregated inside DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import orjson
import pyarrow as pa
from fsspec.implementations.local import LocalFileSystem

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.names import check_model_name
from shipyard.monitoring.window import Window
from shipyard.serving.prediction_log import FEEDBACK, PACKAGES_KEY, PREDICTIONS

PREDICTION = "__prediction"
BATCH_ROWS = 128 * 1024

_SOURCE = (
    "read_parquet(?, hive_partitioning = true, union_by_name = true, "
    "hive_types = {'model_version': INTEGER, 'date': VARCHAR})"
)
_WHERE = "role = 'serve' AND date >= ? AND date <= ? AND time >= ? AND time < ?"


class LogWindow:
    """The prediction-log files of one deployment, queried for one window."""

    def __init__(self, artifacts: ArtifactStore, deployment: str, window: Window) -> None:
        self.artifacts = artifacts
        self.fs = artifacts.fs
        self.deployment = check_model_name(deployment)
        self.window = window
        self._local = isinstance(self.fs, LocalFileSystem)
        root = f"{artifacts.root}/{PREDICTIONS}/deployment={deployment}"
        self._predictions = self._pattern(f"{root}/model_version=*/date=*/*.parquet")
        self._feedback = self._pattern(
            f"{artifacts.root}/{FEEDBACK}/deployment={deployment}/date=*/*.parquet"
        )

    def _pattern(self, pattern: str) -> str | None:
        if not self.artifacts.glob(pattern):
            return None
        return pattern if self._local else str(self.fs.unstrip_protocol(pattern))

    @property
    def has_predictions(self) -> bool:
        return self._predictions is not None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect(config={"threads": 2})
        if not self._local:
            connection.register_filesystem(self.fs)
        return connection

    def _params(self) -> list[Any]:
        first, last = self.window.dates()
        naive = [m.replace(tzinfo=None) for m in (self.window.start, self.window.end)]
        return [self._predictions, first, last, *naive]

    def input_columns(self) -> dict[str, str]:
        """The logged input columns and their DuckDB types (empty when nothing is logged)."""
        if self._predictions is None:
            return {}
        query = f"DESCRIBE SELECT unnest(inputs) FROM {_SOURCE}"  # noqa: S608 (constant)
        with self._connect() as connection:
            rows = connection.execute(query, [self._predictions]).fetchall()
        return {str(name): str(kind) for name, kind, *_ in rows}

    def batches(self, *, numeric_prediction: bool) -> Iterator[pa.RecordBatch]:
        """Every input column plus ``__prediction`` (a number, or the plain value as text),
        in record batches of at most ``BATCH_ROWS`` rows."""
        if self._predictions is None:
            return
        value = "json_extract_string(prediction, '$')"
        prediction = f"TRY_CAST({value} AS DOUBLE)" if numeric_prediction else value
        query = (
            f"SELECT unnest(inputs), {prediction} AS {PREDICTION} "  # noqa: S608 (constants)
            f"FROM {_SOURCE} WHERE {_WHERE}"
        )
        with self._connect() as connection:
            reader = connection.sql(query, params=self._params()).to_arrow_reader(BATCH_ROWS)
            yield from reader

    def health(self) -> dict[str, Any]:
        """Traffic per model version, latency percentiles and the failed-prediction rate."""
        empty: dict[str, Any] = {"rows": 0, "latency_ms": None, "error_rate": None, "versions": {},
                 "shadow_rows": 0}  # fmt: skip
        if self._predictions is None:
            return empty
        first, last = self.window.dates()
        naive = [m.replace(tzinfo=None) for m in (self.window.start, self.window.end)]
        query = (
            "SELECT role, model_version, count(*), "  # noqa: S608 (constant source)
            "quantile_cont(latency_ms, [0.5, 0.95, 0.99]), "
            "count(*) FILTER (WHERE prediction IS NULL OR prediction = 'null') "
            f"FROM {_SOURCE} WHERE date >= ? AND date <= ? AND time >= ? AND time < ? "
            "GROUP BY ALL ORDER BY role, model_version"
        )
        overall = (
            "SELECT count(*), quantile_cont(latency_ms, [0.5, 0.95, 0.99]), "  # noqa: S608
            "count(*) FILTER (WHERE prediction IS NULL OR prediction = 'null') "
            f"FROM {_SOURCE} WHERE {_WHERE}"
        )
        with self._connect() as connection:
            groups = connection.execute(query, [self._predictions, first, last, *naive]).fetchall()
            total = connection.execute(overall, self._params()).fetchone()
        versions: dict[str, Any] = {}
        shadow = 0
        for role, version, count, quantiles, failed in groups:
            if role != "serve":
                shadow += int(count)
                continue
            versions[str(version)] = {"rows": int(count), "latency_ms": _percentiles(quantiles),
                                      "failed": int(failed)}  # fmt: skip
        rows = int(total[0]) if total else 0
        if total is None or rows == 0:
            return {**empty, "shadow_rows": shadow}
        return {
            "rows": rows,
            "latency_ms": _percentiles(total[1]),
            "error_rate": int(total[2]) / rows,
            "versions": {k: {**v, "share": v["rows"] / rows} for k, v in versions.items()},
            "shadow_rows": shadow,
        }

    def packages(self) -> dict[str, dict[str, list[str]]]:
        """Per model version, the framework versions the serving processes that wrote the
        window's files recorded (``shipyard.packages`` in each file's metadata): package ->
        every version seen, sorted."""
        if self._predictions is None:
            return {}
        files = (
            "SELECT DISTINCT filename, model_version FROM "  # noqa: S608 (constants)
            f"{_SOURCE.replace('true,', 'true, filename = true,', 1)} WHERE {_WHERE}"
        )
        query = (
            f"SELECT f.model_version, m.value FROM ({files}) f "  # noqa: S608 (constants)
            "JOIN parquet_kv_metadata(?) m "
            "ON m.file_name = f.filename WHERE m.key = ?"
        )
        with self._connect() as connection:
            rows = connection.execute(
                query, [*self._params(), self._predictions, PACKAGES_KEY.decode()]
            ).fetchall()
        found: dict[str, dict[str, set[str]]] = {}
        for version, value in rows:
            recorded = orjson.loads(bytes(value))
            per = found.setdefault(str(version), {})
            for package, version in recorded.items():
                per.setdefault(str(package), set()).add(str(version))
        return {v: {p: sorted(s) for p, s in per.items()} for v, per in found.items()}

    def prediction_checks(
        self, low: float | None, high: float | None, *, probability: bool = False
    ) -> dict[str, int]:
        """Counts of served predictions that are not finite (the log stores JSON, where NaN
        and infinity become ``null``: a null prediction, or a null member of one) and of
        numeric predictions (with ``probability``: their ``probability`` members) outside
        [low, high]."""
        if self._predictions is None:
            return {"rows": 0, "nonfinite": 0, "out_of_range": 0}
        member = "$.probability" if probability else "$"
        value = f"TRY_CAST(json_extract_string(prediction, '{member}') AS DOUBLE)"
        outside = "false"
        bounds: list[Any] = []
        if low is not None and high is not None:
            outside = f"({value} < ? OR {value} > ?)"
            bounds = [low, high]
        query = (
            "SELECT count(*), count(*) FILTER (WHERE prediction IS NULL OR "  # noqa: S608
            "prediction = 'null' OR regexp_matches(prediction, '[:\\[,]\\s*null\\b') OR "
            "prediction IN ('\"NaN\"', '\"Infinity\"', '\"-Infinity\"')), "
            f"count(*) FILTER (WHERE {outside}) FROM {_SOURCE} WHERE {_WHERE}"
        )
        with self._connect() as connection:
            found = connection.execute(query, [*bounds, *self._params()]).fetchone()
        rows, nonfinite, out_of_range = found or (0, 0, 0)
        return {"rows": int(rows), "nonfinite": int(nonfinite), "out_of_range": int(out_of_range)}

    def labelled(self) -> list[tuple[Any, Any]]:
        """(prediction, label) of every prediction in the window whose label has arrived
        (the latest label of a request id and row wins)."""
        if self._predictions is None or self._feedback is None:
            return []
        query = (
            "SELECT p.prediction, f.label FROM "  # noqa: S608 (constant fragments)
            f"(SELECT request_id, row, prediction FROM {_SOURCE} WHERE {_WHERE}) p "
            "JOIN (SELECT request_id, row, arg_max(label, time) AS label FROM read_parquet(?, "
            "hive_partitioning = true, hive_types = {'date': VARCHAR}) "
            "GROUP BY request_id, row) f ON f.request_id = p.request_id AND f.row = p.row"
        )
        with self._connect() as connection:
            pairs = connection.execute(query, [*self._params(), self._feedback]).fetchall()
        return [(_json(p), _json(label)) for p, label in pairs]

    def served_rows(self, versions: list[int]) -> list[tuple[int, float, Any, Any]]:
        """(model version, latency in ms, prediction, label or None) of every row the given
        versions served in the window, labels joined from feedback as :meth:`labelled` does;
        a failed prediction is None."""
        if self._predictions is None or not versions:
            return []
        wanted = ", ".join("?" for _ in versions)
        served = (
            f"SELECT request_id, row, model_version, latency_ms, prediction FROM {_SOURCE} "  # noqa: S608
            f"WHERE {_WHERE} AND model_version IN ({wanted})"
        )
        params: list[Any] = [*self._params(), *versions]
        if self._feedback is None:
            query = f"SELECT model_version, latency_ms, prediction, NULL FROM ({served})"  # noqa: S608
        else:
            query = (
                "SELECT p.model_version, p.latency_ms, p.prediction, f.label "  # noqa: S608
                f"FROM ({served}) p LEFT JOIN (SELECT request_id, row, arg_max(label, time) "
                "AS label FROM read_parquet(?, hive_partitioning = true, hive_types = "
                "{'date': VARCHAR}) GROUP BY request_id, row) f "
                "ON f.request_id = p.request_id AND f.row = p.row"
            )
            params.append(self._feedback)
        with self._connect() as connection:
            rows = connection.execute(query, params).fetchall()
        return [(int(v), float(ms or 0.0), _json(p), _json(y)) for v, ms, p, y in rows]


def _percentiles(values: Any) -> dict[str, float] | None:
    if not values or values[0] is None:
        return None
    return {"p50": float(values[0]), "p95": float(values[1]), "p99": float(values[2])}


def _json(value: Any) -> Any:
    return None if value is None else orjson.loads(value)
