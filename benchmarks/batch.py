"""Batch scoring benchmark: Shipyard's local and Spark engines against what a user would write
by hand (one process: read the Parquet with pyarrow, predict_proba, write Parquet) and against
MLflow's spark_udf on the same Spark master, for two scikit-learn models.

Every job runs as its own process tree, `--rounds` times (3), one run of each job per round so
that a busy spell of a shared machine slows all of them; we report the median rows/s with the
spread (slowest and fastest run), and the peak resident set of the whole tree (sampled from
/proc every 50 ms). A second table times a 1,000-row job: `shipyard batch` against the same job
as a plain script, each a fresh process (`ratios.small_job_vs_script`). Run with
`make bench NAME=batch` (20M rows x 20 features, about 1.6 GB of Parquet in a temporary
folder; `--rows` for a quicker look, `--no-spark` to leave out the two Spark jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from _common import (
    emit_result,
    environment_line,
    fresh_dir,
    note,
    peer_environment,
    print_table,
    ratio,
    rounded,
    run_measured,
)

NUMERIC = [f"f{i}" for i in range(18)]
CATEGORICAL = ["c0", "c1"]
LEVELS = ["alpha", "beta", "gamma", "delta", "epsilon"]
SPARK_MASTER = "local[2]"
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
"""The benchmark's own models: both tools are told to trust HistGradientBoosting's trees."""


def make_chunk(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, len(NUMERIC))), columns=NUMERIC)
    for name in CATEGORICAL:
        frame[name] = rng.choice(LEVELS, rows)
    return frame


def label_of(frame: pd.DataFrame) -> np.ndarray:
    score = frame["f0"] + 0.5 * frame["f1"] - frame["f2"] * frame["f3"] + (frame["c0"] == "beta")
    return (score > 0.3).to_numpy().astype(np.int64)


def write_input(path: Path, rows: int, chunk: int = 1_000_000) -> None:
    """Write ``rows`` rows in chunks, so generating 20M rows needs little memory."""
    writer = None
    for number, start in enumerate(range(0, rows, chunk)):
        table = pa.Table.from_pandas(make_chunk(min(chunk, rows - start), number),
                                     preserve_index=False)  # fmt: skip
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=chunk)
    assert writer is not None
    writer.close()


def train_models() -> dict[str, object]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    frame = make_chunk(100_000, seed=999)
    label = label_of(frame)
    hgb = Pipeline([
        ("prepare", ColumnTransformer([("cat", OrdinalEncoder(), CATEGORICAL)],
                                      remainder="passthrough")),
        ("model", HistGradientBoostingClassifier(max_iter=50, random_state=0)),
    ])  # fmt: skip
    logistic = Pipeline([
        ("prepare", ColumnTransformer([("num", StandardScaler(), NUMERIC),
                                       ("cat", OneHotEncoder(), CATEGORICAL)])),
        ("model", LogisticRegression(max_iter=300)),
    ])  # fmt: skip
    return {"hgb": hgb.fit(frame, label), "logistic": logistic.fit(frame, label)}


SCRIPT = textwrap.dedent(
    """
    import sys, joblib, pyarrow as pa, pyarrow.parquet as pq
    model = joblib.load(sys.argv[1])
    frame = pq.read_table(sys.argv[2]).to_pandas()
    probability = model.predict_proba(frame)[:, 1]
    pq.write_table(pa.table({"probability": probability}), sys.argv[3])
    """
)

SHIPYARD_SPARK = textwrap.dedent(
    """
    import sys
    import shipyard as sy
    from shipyard.serving.batch import batch_score
    ws = sy.Workspace(sy.load_settings(home=sys.argv[1]))
    batch_score(sys.argv[2], sys.argv[3], sys.argv[4], engine="spark",
                spark_master=sys.argv[5], workspace=ws)
    """
)

MLFLOW_UDF = textwrap.dedent(
    """
    import os, sys, tempfile
    import mlflow.pyfunc
    from pyspark.sql import SparkSession
    from pyspark.sql.functions import struct
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(sys.argv[4]).appName("mlflow-udf")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.local.dir", tempfile.mkdtemp())
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    udf = mlflow.pyfunc.spark_udf(spark, sys.argv[1], result_type="long", env_manager="local")
    frame = spark.read.parquet(sys.argv[2])
    frame.withColumn("prediction", udf(struct(*frame.columns))).select("prediction") \\
        .write.parquet(sys.argv[3])
    spark.stop()
    """
)


SMALL_ROWS = 1_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each job, alternating")
    parser.add_argument(
        "--only",
        choices=["hgb", "logistic", "small", "spark_cluster"],
        default=None,
        help="one model's large jobs, only the 1,000-row job, or only the cluster row",
    )
    parser.add_argument("--cluster-rows", type=int, default=CLUSTER_ROWS,
                        help="rows of the cluster row (S3 in and out)")  # fmt: skip
    parser.add_argument("--no-spark", action="store_true", help="skip the two Spark jobs")
    args = parser.parse_args()
    peer_environment()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if args.only == "spark_cluster":
        print(f"Batch scoring benchmark, cluster row — {environment_line()}")
        figures = spark_cluster_vs_mlflow_udf(args)
        emit_result("batch", figures, _cluster_ratio(figures))
        return
    shown = SMALL_ROWS if args.only == "small" else args.rows
    print(f"Batch scoring benchmark — {environment_line()}, {shown:,} rows x 20 features, "
          f"{args.rounds} rounds (jobs alternate within each round; medians, min-max)")  # fmt: skip
    import joblib

    import shipyard as sy

    bin_dir = Path(sys.executable).parent
    figures: dict[str, float] = {}
    rows_out = []
    env = {**os.environ, "SHIPYARD_CAPTURE_GIT": "false",
           "SHIPYARD_TRUSTED_TYPES": json.dumps(TRUSTED_TYPES)}  # fmt: skip
    with fresh_dir("batch") as root:
        data = root / "input.parquet"
        write_input(data, SMALL_ROWS if args.only == "small" else args.rows)
        small = root / "small.parquet"
        write_input(small, SMALL_ROWS)
        note(f"input: {data.stat().st_size / 1e9:.2f} GB of Parquet")
        home = root / "shipyard"
        workspace = sy.Workspace(sy.load_settings(home=home, capture_git=False))
        example = make_chunk(5, seed=1)
        for name, model in train_models().items():
            if args.only not in (None, "small", name) or (args.only == "small" and name != "hgb"):
                continue
            with sy.start_run(workspace=workspace) as run:
                run.log_model(model, name, input_example=example)
            joblib.dump(model, root / f"{name}.joblib")
            if args.only == "small":
                continue
            jobs = _jobs(name, root, home, data, bin_dir, spark=not args.no_spark)
            for label, (seconds, peak) in _alternate(jobs, args.rounds, root, env).items():
                rate = [args.rows / s for s in seconds]
                short = _short_label(label)
                figures[f"{name}_{short}_rows_per_s"] = rounded(statistics.median(rate))
                figures[f"{name}_{short}_rows_per_s_min"] = rounded(min(rate))
                figures[f"{name}_{short}_rows_per_s_max"] = rounded(max(rate))
                figures[f"{name}_{short}_peak_mb"] = rounded(max(peak) / 1e6)
                figures[f"{name}_{short}_seconds"] = rounded(statistics.median(seconds))
                rows_out.append([name, label, statistics.median(seconds),
                                 statistics.median(rate), f"{min(rate):,.0f}-{max(rate):,.0f}",
                                 max(peak) / 1e6])  # fmt: skip
        small_jobs = {
            "script": lambda out: [sys.executable, "-c", SCRIPT, str(root / "hgb.joblib"),
                                   str(small), f"{out}.parquet"],
            "shipyard batch": lambda out: [
                str(bin_dir / "shipyard"), "--home", str(home), "batch", "hgb/1",
                "--input", str(small), "--output", out, "--json"],
        }  # fmt: skip
        if (root / "hgb.joblib").exists():
            timed = _alternate(small_jobs, max(args.rounds, 5), root, env)
            for label, (seconds, peak) in timed.items():
                short = "small_" + _short_label(label)
                figures[f"{short}_seconds"] = rounded(statistics.median(seconds))
                figures[f"{short}_seconds_min"] = rounded(min(seconds))
                figures[f"{short}_seconds_max"] = rounded(max(seconds))
                middle = statistics.median(seconds)
                rows_out.append(["hgb", f"{SMALL_ROWS:,} rows: {label}", middle,
                                 SMALL_ROWS / middle, f"{min(seconds):.2f}-{max(seconds):.2f} s",
                                 max(peak) / 1e6])  # fmt: skip
        workspace.close()
    print_table("Batch scoring (medians over the rounds; spread = slowest-fastest rows/s; "
                "peak = resident set of the job's process tree)",
                ["model", "job", "seconds", "rows/s", "spread", "peak MB"], rows_out)  # fmt: skip
    models = [m for m in ("hgb", "logistic") if f"{m}_local_rows_per_s" in figures]
    ratios: dict[str, float] = {}
    if models:
        ratios["local_vs_script"] = min(
            ratio(figures[f"{m}_local_rows_per_s"], figures[f"{m}_script_rows_per_s"])
            for m in models
        )
        ratios["local_peak_memory_vs_script"] = max(
            ratio(figures[f"{m}_local_peak_mb"], figures[f"{m}_script_peak_mb"]) for m in models
        )
    if models and not args.no_spark:
        ratios["spark_vs_mlflow_udf"] = min(
            ratio(figures[f"{m}_spark_rows_per_s"], figures[f"{m}_mlflow_udf_rows_per_s"])
            for m in models
        )
    if args.only is None and not args.no_spark:
        figures.update(spark_cluster_vs_mlflow_udf(args))
        ratios.update(_cluster_ratio(figures))
    if "small_local_seconds" in figures:
        ratios["small_job_vs_script"] = ratio(
            figures["small_local_seconds"], figures["small_script_seconds"]
        )
    note(
        "ratios: local_vs_script and spark_vs_mlflow_udf are the lower of the two models; "
        "local_peak_memory_vs_script the higher; small_job_vs_script is the wall time of "
        f"`shipyard batch` on {SMALL_ROWS:,} rows (a fresh process, in-process scoring) over "
        "the same job as a plain script (a fresh process too). The local engine logs every "
        "scored row (inputs and prediction) to the prediction log; the 'no log' row shows that "
        "cost."
    )
    emit_result("batch", figures, ratios)


Job = Callable[[str], list[str]]
CLUSTER_ROWS, CLUSTER_GROUP = 2_000_000, 250_000
"""The cluster row: rows on S3, in row groups (= tasks on both sides) of this many rows."""


def spark_cluster_vs_mlflow_udf(args: argparse.Namespace) -> dict[str, float]:
    """``shipyard batch --engine spark`` on a 2-worker standalone cluster, S3 input and
    output (SeaweedFS), against MLflow's spark_udf on the same cluster and data, the logistic
    pipeline on both sides; alternating rounds (see ``_spark_cluster.py``)."""
    import mlflow.sklearn
    import s3fs
    from _spark_cluster import MLFLOW_UDF_S3, cluster_and_s3, environment

    import shipyard as sy

    rows, bin_dir = args.cluster_rows, Path(sys.executable).parent
    group = min(CLUSTER_GROUP, max(rows // 4, 1))  # at least 4 tasks for the 2 executors
    with fresh_dir("batch-cluster") as root, cluster_and_s3() as (cluster, s3):
        bucket = s3.new_bucket()
        env = {**os.environ, **s3.environment, "SHIPYARD_CAPTURE_GIT": "false"}
        with environment(s3.environment):
            write_input(root / "input.parquet", rows, chunk=group)
            source = f"s3://{bucket}/input/input.parquet"
            s3fs.S3FileSystem().put_file(str(root / "input.parquet"), source.removeprefix("s3://"))
            model = train_models()["logistic"]
            settings = sy.load_settings(home=root / "shipyard", capture_git=False,
                                        artifacts_url=f"s3://{bucket}/artifacts")  # fmt: skip
            workspace = sy.Workspace(settings)
            with sy.start_run(workspace=workspace) as run:
                run.log_model(model, "logistic", input_example=make_chunk(5, seed=1))
            store, artifacts = settings.resolved_store_url, settings.resolved_artifacts_url
            workspace.close()
            mlflow.sklearn.save_model(model, str(root / "logistic-mlflow"))
        note(f"cluster row: {rows:,} rows on S3 in row groups of {group:,}, "
             f"{cluster.url} with 2 one-core workers")  # fmt: skip
        jobs: dict[str, Job] = {
            "shipyard spark, cluster, S3": lambda out: [
                str(bin_dir / "shipyard"), "--store", store, "--artifacts", artifacts, "batch",
                "logistic/1", "--input", source, "--output", out, "--engine", "spark",
                "--spark-master", cluster.url, "--rows-per-part", str(group), "--json"],
            "mlflow spark_udf, cluster, S3": lambda out: [
                sys.executable, "-c", MLFLOW_UDF_S3, str(root / "logistic-mlflow"), source, out,
                cluster.url, str(rows)],
        }  # fmt: skip
        timed: dict[str, list[float]] = {label: [] for label in jobs}
        for number in range(args.rounds):
            for label, command in jobs.items():
                out = f"s3://{bucket}/out-{number}-{len(timed[label])}-{label[:4]}"
                seconds, _ = run_measured(command(out), env=env)
                timed[label].append(seconds)
                with environment(s3.environment):
                    s3fs.S3FileSystem().rm(out.removeprefix("s3://"), recursive=True)
                print(f"  round {number + 1}: {label:34} {seconds:8.2f} s", flush=True)
    figures: dict[str, float] = {}
    table: list[list[object]] = []
    for label, seconds in timed.items():
        short = "cluster_spark" if label.startswith("shipyard") else "cluster_mlflow_udf"
        rate = [rows / s for s in seconds]
        figures[f"logistic_{short}_rows_per_s"] = rounded(statistics.median(rate))
        figures[f"logistic_{short}_seconds"] = rounded(statistics.median(seconds))
        table.append(["logistic", label, statistics.median(seconds), statistics.median(rate),
                      f"{min(rate):,.0f}-{max(rate):,.0f}"])  # fmt: skip
    figures["cluster_rows"] = rows
    print_table("Spark standalone cluster, S3 in and out (medians over the rounds)",
                ["model", "job", "seconds", "rows/s", "spread"], table)  # fmt: skip
    return figures


def _cluster_ratio(figures: dict[str, float]) -> dict[str, float]:
    ours, theirs = (
        figures[f"logistic_cluster_{side}_rows_per_s"] for side in ("spark", "mlflow_udf")
    )
    return {"spark_cluster_vs_mlflow_udf": ratio(ours, theirs)}


def _jobs(
    name: str, root: Path, home: Path, data: Path, bin_dir: Path, *, spark: bool
) -> dict[str, Job]:
    """Each job as a command writing to a given output path (a fresh one per run)."""
    shipyard = [str(bin_dir / "shipyard"), "--home", str(home), "batch", f"{name}/1",
                "--input", str(data), "--json"]  # fmt: skip
    jobs: dict[str, Job] = {
        "script (1 process)": lambda out: [sys.executable, "-c", SCRIPT,
                                           str(root / f"{name}.joblib"), str(data),
                                           f"{out}.parquet"],
        "shipyard local": lambda out: [*shipyard, "--output", out],
        "shipyard local, no log": lambda out: [*shipyard, "--output", out,
                                               "--no-log-predictions"],
    }  # fmt: skip
    if spark:
        import mlflow.sklearn

        mlflow.sklearn.save_model(joblib_load(root / f"{name}.joblib"),
                                  str(root / f"{name}-mlflow"),
                                  skops_trusted_types=TRUSTED_TYPES)  # fmt: skip
        jobs[f"shipyard spark {SPARK_MASTER}"] = lambda out: [
            sys.executable, "-c", SHIPYARD_SPARK, str(home), f"{name}/1", str(data), out,
            SPARK_MASTER]  # fmt: skip
        jobs[f"mlflow spark_udf {SPARK_MASTER}"] = lambda out: [
            sys.executable, "-c", MLFLOW_UDF, str(root / f"{name}-mlflow"), str(data), out,
            SPARK_MASTER]  # fmt: skip
    return jobs


def joblib_load(path: Path) -> object:
    import joblib

    return joblib.load(path)


def _alternate(
    jobs: dict[str, Job], rounds: int, root: Path, env: dict[str, str]
) -> dict[str, tuple[list[float], list[int]]]:
    """Run every job ``rounds`` times, one of each per round (so a slow spell of a shared
    machine hits all of them), each into a fresh output removed afterwards."""
    timed: dict[str, tuple[list[float], list[int]]] = {label: ([], []) for label in jobs}
    for number in range(rounds):
        for label, command in jobs.items():
            out = root / f"out-{_short_label(label)}-{number}"
            seconds, peak = run_measured(command(str(out)), env=env)
            timed[label][0].append(seconds)
            timed[label][1].append(peak)
            shutil.rmtree(out, ignore_errors=True)
            Path(f"{out}.parquet").unlink(missing_ok=True)
            print(f"  round {number + 1}: {label:34} {seconds:8.2f} s", flush=True)
    return timed


def _short_label(label: str) -> str:
    if label.startswith("script"):
        return "script"
    if label.startswith("shipyard local") or label == "shipyard batch":
        return "local_nolog" if label.endswith("no log") else "local"
    return "spark" if label.startswith("shipyard spark") else "mlflow_udf"


if __name__ == "__main__":
    main()
