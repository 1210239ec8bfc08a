"""CI benchmark: `shipyard ci` against a hand-written script doing the same work in one process.

The project is `benchmarks/pipeline.py`'s (seeded credit-risk data, ``--rows`` default
300,000, histogram gradient boosting with ``--iterations`` trees, one threshold gate) plus a
test file. The hand-written script runs pytest on it, validates the data with a few pandas
checks, splits, trains, computes ROC AUC and accuracy, saves the model with skops, serves it
on a loopback port (a standard-library HTTP server on a thread) and posts the evaluation set
to it in chunks of 2,000 rows. `shipyard ci` does all of that and more (data versioning and
profile, the package checks, smoke cases, batch-engine parity, the audit trail).

- cold: `shipyard ci` on a fresh commit (a fresh project and store);
- cached: `shipyard ci` again on the unchanged commit (the pipeline comes from cache; the
  tests and the integration stage run again).

Each side runs in a fresh process, ``--repeats`` times; medians of wall and CPU seconds.
Shipyard's modules are byte-compiled first, as an installed package's are.
Run with ``make bench NAME=ci``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import (
    compile_shipyard,
    emit_result,
    environment_line,
    fresh_dir,
    note,
    print_table,
    ratio,
    rounded,
)
from pipeline import child_environment, project, timed_child

TEST = """
import train

def test_fit_is_callable():
    assert callable(train.fit)
"""

PLAIN = """
import json, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import httpx
import pandas as pd
import skops.io
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
import train

tests = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
assert subprocess.run(tests).returncode == 0
data = pd.read_parquet("data/applications.parquet")
assert len(data) > 0 and data["age"].min() >= 18 and data["default"].isin([0, 1]).all()
assert data["applicant_id"].is_unique and data["income"].ge(0).all()
fit_rows, test_rows = train_test_split(data, test_size=0.25, random_state=7,
                                       stratify=data["default"])
model = train.fit(fit_rows, {"iterations": int(sys.argv[1])}, "default", 42)
auc = roc_auc_score(test_rows["default"], model.predict_proba(test_rows)[:, 1])
accuracy = accuracy_score(test_rows["default"], model.predict(test_rows))
assert auc >= 0.6
skops.io.dump(model, "model.skops")
features = test_rows.drop(columns="default")

class Predict(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        rows = pd.DataFrame(body["instances"])
        answer = json.dumps({"predictions": model.predict(rows).tolist()}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Predict)
threading.Thread(target=server.serve_forever, daemon=True).start()
served = []
with httpx.Client(timeout=120) as client:
    for start in range(0, len(features), 2000):
        chunk = features.iloc[start:start + 2000].to_json(orient="records", date_format="iso")
        url = f"http://127.0.0.1:{server.server_port}/predict"
        served += client.post(url, content='{"instances":' + chunk + '}').json()["predictions"]
server.shutdown()
assert len(served) == len(features)
print(f"roc_auc {auc:.4f} accuracy {accuracy:.4f}")
"""


def ci_project(folder: Path, rows: int, iterations: int) -> None:
    project(folder, rows, iterations)
    (folder / "plain.py").write_text(PLAIN)
    (folder / "tests").mkdir()
    (folder / "tests" / "test_train.py").write_text(TEST)
    (folder / "conftest.py").write_text("")
    git = ["git", "-c", "user.email=bench@example.invalid", "-c", "user.name=bench"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run([*git, *args], cwd=folder, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="native threads, both sides")
    args = parser.parse_args()
    python = sys.executable
    shipyard = str(Path(python).with_name("shipyard"))
    env = child_environment(args.threads)
    load_before = os.getloadavg()[0]
    note(environment_line())
    note(f"{args.rows:,} rows, {args.iterations} boosting iterations, {args.threads} native "
         f"thread(s), {args.repeats} repeats, load average {load_before:.2f}")  # fmt: skip
    compile_shipyard(python, env)
    sides = {
        "plain": [python, "plain.py", str(args.iterations)],
        "cold": [shipyard, "ci"],
        "cached": [shipyard, "ci"],
    }
    walls: dict[str, list[float]] = {side: [] for side in sides}
    cpus: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(args.repeats):
        with fresh_dir("ci") as folder:
            ci_project(folder, args.rows, args.iterations)
            for side, command in sides.items():
                seconds, cpu_seconds = timed_child(command, folder, env)
                walls[side].append(seconds)
                cpus[side].append(cpu_seconds)
    wall = {side: statistics.median(values) for side, values in walls.items()}
    cpu = {side: statistics.median(values) for side, values in cpus.items()}
    labels = {"plain": "hand-written script", "cold": "shipyard ci, fresh commit",
              "cached": "shipyard ci, unchanged commit"}  # fmt: skip
    print_table(
        "Seconds per run (median, fresh process each)",
        ["side", "wall s", "CPU s"],
        [[labels[side], wall[side], cpu[side]] for side in sides],
    )
    emit_result(
        "ci",
        figures={
            "plain_s": rounded(wall["plain"]),
            "ci_cold_s": rounded(wall["cold"]),
            "ci_cached_s": rounded(wall["cached"]),
            "plain_cpu_s": rounded(cpu["plain"]),
            "ci_cold_cpu_s": rounded(cpu["cold"]),
            "ci_cached_cpu_s": rounded(cpu["cached"]),
            "rows": args.rows,
            "threads": args.threads,
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        },
        ratios={
            "ci_cold_vs_plain": ratio(wall["cold"], wall["plain"]),
            "ci_cached_vs_plain": ratio(wall["cached"], wall["plain"]),
        },
    )


if __name__ == "__main__":
    main()
