"""A job killed midway and re-run yields exactly one output row per input row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from shipyard.serving.batch import batch_score
from tests.registered_model import Registered, make_frame, read_parts


@pytest.mark.slow
def test_a_job_killed_midway_resumes_without_losing_or_repeating_rows(
    registered: Registered, tmp_path: Path
) -> None:
    rows = 120_000
    frame = make_frame(rows)
    frame.loc[[10, 50_000], "plan"] = "unknown-plan"
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=2_000)
    output = tmp_path / "out"
    command = [
        str(Path(sys.executable).with_name("shipyard")), "--home", str(registered.home),
        "batch", "churn/1", "--input", str(tmp_path / "in.parquet"), "--output", str(output),
        "--workers", "1", "--batch-rows", "500", "--json",
    ]  # fmt: skip
    env = {**os.environ, "SHIPYARD_CAPTURE_GIT": "false"}
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = output / "_shipyard_job.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if manifest.exists() and len(json.loads(manifest.read_text())["parts"]) >= 1:
            break
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        time.sleep(0.02)
    children = _children(worker.pid)
    os.kill(worker.pid, signal.SIGKILL)
    for child in children:
        os.kill(child, signal.SIGKILL)
    worker.wait()
    if worker.stderr:
        worker.stderr.close()
    done_before = len(json.loads(manifest.read_text())["parts"])
    assert 1 <= done_before < 60, "the kill should land midway"

    result = batch_score("churn/1", str(tmp_path / "in.parquet"), str(output),
                         workspace=registered.workspace, workers=1, batch_rows=500)  # fmt: skip
    assert result.parts_skipped == done_before
    scored = read_parts(output)["row_id"]
    rejected = pd.read_parquet(output / "_rejects")["row_id"]
    assert scored.is_unique and rejected.is_unique
    assert sorted([*scored, *rejected]) == list(range(rows))
    assert sorted(rejected) == [10, 50_000]
    assert not [p for p in output.rglob(".tmp-*")]


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in found.stdout.split()]
