"""Store URLs as a user types them: a read never creates a store, a bad file is one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.process import run_shipyard

READS = [["runs", "list"], ["models", "list"], ["data", "list"], ["deployments", "list"],
         ["db", "current"]]  # fmt: skip


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_read_command_does_not_create_a_missing_store(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    done = run_shipyard("--store", f"sqlite:///{missing}", *command, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"There is no Shipyard store at {missing}." in done.stderr
    assert "db upgrade" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_a_command_that_writes_creates_the_store(tmp_path: Path) -> None:
    store = tmp_path / "new" / "x.db"
    done = run_shipyard("--store", f"sqlite:///{store}", "db", "upgrade", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert store.is_file()
    listed = run_shipyard("--store", f"sqlite:///{store}", "runs", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr


def test_a_file_that_is_not_a_database_is_one_sentence_naming_it(tmp_path: Path) -> None:
    (tmp_path / "not-a-database-file").write_text("hello, I am text\n" * 100)
    for command in (["runs", "list"], ["db", "upgrade"]):
        done = run_shipyard("--store", "sqlite:///not-a-database-file", *command, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "sqlalchemy" not in done.stderr.lower()
        assert "not-a-database-file cannot be opened: file is not a database" in done.stderr
