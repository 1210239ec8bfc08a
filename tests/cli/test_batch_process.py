"""``shipyard batch`` as a user runs it, in its own process: kept columns (as options and from
shipyard.yaml), a challenger in the same job, a small job scored without worker processes, a
re-run recognised as complete, and ``--trust TYPE``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

import shipyard as sy
from tests.cli.process import run_shipyard
from tests.registered_model import Registered, make_frame


def _log(registered: Registered, model: Pipeline, name: str) -> None:
    frame = registered.frame
    label = ((frame["age"] > 50) ^ (frame["plan"] == "pro")).astype(int)
    with sy.start_run(workspace=registered.workspace) as run:
        run.log_model(model.fit(frame, label), name, input_example=frame.head(5))


def test_a_small_job_keeps_columns_scores_a_challenger_and_reruns_as_complete(
    registered: Registered, tmp_path: Path
) -> None:
    challenger = Pipeline([*registered.model.steps[:-1], ("clf", LogisticRegression(C=0.01))])
    _log(registered, challenger, "churn")  # churn/2
    frame = make_frame(1_000, seed=3)
    frame.insert(0, "customer_id", [f"c{i:04d}" for i in range(1_000)])
    frame.to_parquet(tmp_path / "in.parquet")
    command = ["--home", str(registered.home), "batch", "churn/1", "--input",
               str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out"),
               "--keep", "customer_id", "--challenger", "churn/2", "--json"]  # fmt: skip
    first = run_shipyard(*command, cwd=tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert (result["parts"], result["workers"], result["rows_scored"]) == (1, 0, 1_000)
    assert (result["challenger"], result["challenger_rows_scored"]) == ("churn/2", 1_000)

    out = pd.read_parquet(tmp_path / "out")
    assert list(out.columns) == ["row_id", "arm", "customer_id", "prediction", "model_version"]
    for arm, version in (("champion", 1), ("challenger", 2)):
        rows = out[out["arm"] == arm].sort_values("row_id")
        assert set(rows["model_version"]) == {version}
        assert rows["customer_id"].tolist() == frame["customer_id"].tolist()
    position = sy.batch_row_position(int(out["row_id"].max()), output=str(tmp_path / "out"))
    assert (position.file_index, position.row) == (0, 999)
    assert position.file is not None and position.file.endswith("in.parquet")

    again = run_shipyard(*command, cwd=tmp_path, timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["parts_skipped"] == 1

    # The project's shipyard.yaml says what to keep; a bad section names its line.
    (tmp_path / "shipyard.yaml").write_text("batch:\n  keep: [customer_id]\n  workers: 0\n")
    plain = run_shipyard("--home", str(registered.home), "batch", "churn/1", "--input",
                         str(tmp_path / "in.parquet"), "--output", str(tmp_path / "plain"),
                         cwd=tmp_path, timeout=120)  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert "customer_id" in pd.read_parquet(tmp_path / "plain").columns
    (tmp_path / "shipyard.yaml").write_text("batch:\n  keep: [customer_id]\n  threads: 2\n")
    bad = run_shipyard("--home", str(registered.home), "batch", "churn/1", "--input",
                       str(tmp_path / "in.parquet"), "--output", str(tmp_path / "bad"),
                       cwd=tmp_path, timeout=120)  # fmt: skip
    assert bad.returncode == 1 and "shipyard.yaml:3 batch.threads" in bad.stderr


def test_batch_takes_trust_for_one_type(registered: Registered, tmp_path: Path) -> None:
    tree = Pipeline([*registered.model.steps[:-1], ("clf", DecisionTreeClassifier(max_depth=3))])
    _log(registered, tree, "tree")
    make_frame(200).to_parquet(tmp_path / "in.parquet")
    base = ["--home", str(registered.home), "batch", "tree/1", "--input",
            str(tmp_path / "in.parquet")]  # fmt: skip
    refused = run_shipyard(*base, "--output", str(tmp_path / "a"), cwd=tmp_path, timeout=120)
    assert refused.returncode == 1 and "sklearn.tree._tree.Tree" in refused.stderr
    trusted = run_shipyard(*base, "--output", str(tmp_path / "b"), "--json", "--trust",
                           "sklearn.tree._tree.Tree", cwd=tmp_path, timeout=120)  # fmt: skip
    assert trusted.returncode == 0, trusted.stderr
    assert json.loads(trusted.stdout)["rows_scored"] == 200
