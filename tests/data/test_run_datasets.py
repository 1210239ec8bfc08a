"""sy.run_datasets: the dataset versions a run read and wrote, on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd

import shipyard as sy
from shipyard._store.workspace import Workspace


def test_run_datasets_names_what_a_run_read_and_wrote(workspace: Workspace) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with sy.start_run("prep", workspace=workspace) as run:
        sy.log_dataset(frame, "raw", workspace=workspace)
        sy.log_dataset(frame * 2, "clean", role="output", workspace=workspace)
    found = sy.run_datasets(run.id, workspace=workspace)
    assert {(u.dataset_ref, u.role) for u in found} == {("raw/1", "input"), ("clean/1", "output")}
