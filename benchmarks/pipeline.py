"""Pipeline benchmark: the same training as a plain Python script, as a cold `shipyard run`,
and as a fully cached `shipyard run`.

The work: seeded credit-risk data (``--rows``, default 300,000) split 75/25, a scikit-learn
pipeline (scaling, one-hot encoding, histogram gradient boosting with ``--iterations`` trees,
no early stopping), ROC AUC and accuracy on the held-out rows (the metrics the evaluation
declares: one pass for scores, one for labels), and the fitted model saved with skops. The
plain script does just that, in its own process, as a user's script that ships a model would.
`shipyard run` does it through the pipeline: data versioning (Parquet, content hash, profile),
validation, the same training function, the model package, evaluation with one threshold gate
(no slice, fairness or behavioural gates: the plain script computes none of them) and its
report, registration and promotion. The cached run changes nothing, so every step is taken
from cache. Each side runs in a fresh process (interpreter start and imports included), plain,
cold, cached in turn, ``--repeats`` times (default 5: a shared machine's speed drifts by a
third within a minute, and a median of three jumps with it); the median is quoted, of wall
seconds and of CPU seconds (user + system of the child).

Native thread pools (OpenMP, OpenBLAS) get ``--threads`` threads (default 1) on both sides. The
gradient boosting's OpenMP loop waits at a barrier for every thread after each split: on a
small machine that other processes load, one descheduled thread stalls the rest, and the same
fit was measured at 1.9 s with one thread and anywhere from 2.1 to 22 s with two on this
2-CPU machine (0.5 s faster at best, when idle). Pinning the thread count makes the two sides
comparable; the CPU figures are the steadier ones. With one thread, 500 iterations (the
default) make the plain script about 20 s of work, the size the issue names.

Run with ``make bench NAME=pipeline``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from _common import emit_result, environment_line, fresh_dir, note, print_table, ratio, rounded

from shipyard.pipeline.examples import credit_risk

TRAIN = """
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["age", "income", "employment_years", "credit_history_years", "loan_amount",
           "loan_term_months", "debt_to_income", "late_payments"]
CATEGORICAL = ["region", "home_ownership", "purpose"]


def fit(train, params, label, seed):
    prepare = ColumnTransformer([("n", StandardScaler(), NUMERIC),
                                 ("c", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)])
    model = HistGradientBoostingClassifier(max_iter=params["iterations"], max_leaf_nodes=63,
                                           early_stopping=False, random_state=seed)
    pipeline = Pipeline([("prepare", prepare), ("classify", model)])
    return pipeline.fit(train[NUMERIC + CATEGORICAL], train[label])
"""

PLAIN = """
import sys
import pandas as pd
import skops.io
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
import train

data = pd.read_parquet("data/applications.parquet")
fit_rows, test_rows = train_test_split(data, test_size=0.25, random_state=7,
                                       stratify=data["default"])
model = train.fit(fit_rows, {"iterations": int(sys.argv[1])}, "default", 42)
auc = roc_auc_score(test_rows["default"], model.predict_proba(test_rows)[:, 1])
accuracy = accuracy_score(test_rows["default"], model.predict(test_rows))
skops.io.dump(model, "model.skops")
print(f"roc_auc {auc:.4f} accuracy {accuracy:.4f}")
"""

CONFIG = """\
project: bench
settings:
  capture_packages: true
  trusted_types: [sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor]
data:
  name: applications
  source: data/applications.parquet
  split: {{strategy: stratified, test_size: 0.25, seed: 7}}
train:
  entrypoint: train:fit
  params: {{iterations: {iterations}}}
  seed: 42
evaluation:
  task: classification
  label: default
  metrics: [roc_auc, accuracy]
  gates:
    - {{name: auc, kind: threshold, metric: roc_auc, min: 0.6}}
model:
  name: credit-bench
promotion:
  production: {{gates: all, auto: true}}
"""


def project(folder: Path, rows: int, iterations: int) -> None:
    (folder / "data").mkdir(parents=True)
    credit_risk(rows, 7).to_parquet(folder / "data" / "applications.parquet", index=False)
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    (folder / "plain.py").write_text(textwrap.dedent(PLAIN))
    (folder / "shipyard.yaml").write_text(CONFIG.format(iterations=iterations))


def timed_child(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``command`` run to completion in ``cwd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:2]} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def child_environment(threads: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = str(threads)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="native threads, both sides")
    args = parser.parse_args()
    python = sys.executable
    shipyard = str(Path(python).with_name("shipyard"))
    env = child_environment(args.threads)
    load_before = os.getloadavg()[0]
    note(environment_line())
    note(f"{args.rows:,} rows, {args.iterations} boosting iterations, {args.threads} native "
         f"thread(s), {args.repeats} repeats, load average {load_before:.2f}")  # fmt: skip
    sides = {
        "plain": [python, "plain.py", str(args.iterations)],
        "cold": [shipyard, "run"],
        "cached": [shipyard, "run"],
        "imports": [python, "-c", "import shipyard.cli.app"],
    }
    walls: dict[str, list[float]] = {side: [] for side in sides}
    cpus: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(args.repeats):
        with fresh_dir("pipeline") as folder:
            project(folder, args.rows, args.iterations)
            for side, command in sides.items():
                seconds, cpu_seconds = timed_child(command, folder, env)
                walls[side].append(seconds)
                cpus[side].append(cpu_seconds)
    wall = {side: statistics.median(values) for side, values in walls.items()}
    cpu = {side: statistics.median(values) for side, values in cpus.items()}
    labels = {
        "plain": "plain script",
        "cold": "shipyard run, cold",
        "cached": "shipyard run, all cached",
        "imports": "import shipyard.cli.app",
    }
    print_table(
        "Seconds per run (median, fresh process each)",
        ["side", "wall s", "CPU s"],
        [[labels[side], wall[side], cpu[side]] for side in sides],
    )
    load_after = os.getloadavg()[0]
    emit_result(
        "pipeline",
        figures={
            "plain_s": rounded(wall["plain"]),
            "cold_run_s": rounded(wall["cold"]),
            "cached_run_s": rounded(wall["cached"]),
            "cli_import_s": rounded(wall["imports"]),
            "plain_cpu_s": rounded(cpu["plain"]),
            "cold_run_cpu_s": rounded(cpu["cold"]),
            "cached_run_cpu_s": rounded(cpu["cached"]),
            "rows": args.rows,
            "threads": args.threads,
            "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        },
        ratios={
            "cold_vs_plain": ratio(wall["cold"], wall["plain"]),
            "cold_vs_plain_cpu": ratio(cpu["cold"], cpu["plain"]),
        },
    )


if __name__ == "__main__":
    main()
