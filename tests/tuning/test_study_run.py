"""Which run stands for a study when several processes start tuning it at the same moment:
the creator's, for every process, whatever order they reach the store in."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import optuna
import pytest

from shipyard.pipeline import trial_runs
from shipyard.pipeline.trial_runs import RUN_ATTR, study_run_for


def _study(path: Path) -> optuna.Study:
    storage = f"sqlite:///{path / 'optuna.db'}"
    return optuna.create_study(study_name="s", storage=storage, load_if_exists=True)


def test_a_process_that_joins_a_new_study_takes_the_creators_run_even_when_it_looks_first(
    tmp_path: Path,
) -> None:
    creator, joiner = _study(tmp_path), _study(tmp_path)
    found: list[str] = []

    def join() -> None:
        found.append(study_run_for(joiner, "joiner-run", created=False))

    waiting = threading.Thread(target=join)
    waiting.start()
    time.sleep(0.3)  # the joiner has looked and found no name yet
    assert study_run_for(creator, "creator-run", created=True) == "creator-run"
    waiting.join(timeout=30)
    assert found == ["creator-run"]
    assert _study(tmp_path).user_attrs[RUN_ATTR] == "creator-run"


def test_a_study_whose_creator_never_named_its_run_gets_the_joiners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trial_runs, "STUDY_RUN_WAIT_S", 0.2)
    joiner = _study(tmp_path)  # e.g. created by plain Optuna, or its creator was killed
    assert study_run_for(joiner, "joiner-run", created=False) == "joiner-run"
    assert study_run_for(_study(tmp_path), "later-run", created=False) == "joiner-run"


def test_a_study_that_has_trials_but_no_named_run_takes_the_joiners_at_once(
    tmp_path: Path,
) -> None:
    made_elsewhere = _study(tmp_path)  # by plain Optuna: trials, and no Shipyard run named
    made_elsewhere.tell(made_elsewhere.ask(), 0.5)
    started = time.monotonic()
    assert study_run_for(_study(tmp_path), "joiner-run", created=False) == "joiner-run"
    assert time.monotonic() - started < trial_runs.STUDY_RUN_WAIT_S / 2
