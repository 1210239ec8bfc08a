"""The dataset repository, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from shipyard._store.datasets import DatasetRepository, NewVersion
from shipyard._store.workspace import Workspace
from shipyard.core.errors import NotFoundError, UsageError


def _new(content: str, rows: int = 10, run_id: str | None = None) -> NewVersion:
    return NewVersion(
        content_hash=content * 64, artifact_hash="ab" * 32, uri="blobs/ab", source="test",
        row_count=rows, size=100, schema={"columns": [{"name": "a", "dtype": "integer"}]},
        profile={"rows": rows, "columns": {}}, parents=("raw/1",), created_by_run_id=run_id,
    )  # fmt: skip


def test_versions_are_numbered_and_same_content_is_not_a_new_version(
    datasets: DatasetRepository,
) -> None:
    first, created = datasets.create_version("churn", _new("1"))
    second, created_again = datasets.create_version("churn", _new("2", rows=20))
    same, created_same = datasets.create_version("churn", _new("1"))
    other, _ = datasets.create_version("fraud", _new("1"))

    assert (first.version, second.version, same.version, other.version) == (1, 2, 1, 1)
    assert (created, created_again, created_same) == (True, True, False)
    assert same.id == first.id and same.ref == "churn/1"
    assert datasets.latest_version("churn").version == 2
    assert datasets.get_version("churn", 1).parents == ("raw/1",)
    assert datasets.find_by_content("churn", "2" * 64) == datasets.get_version("churn", 2)
    assert datasets.find_by_content("churn", "9" * 64) is None
    listed = datasets.list_versions("churn")
    assert [v.version for v in listed] == [2, 1]
    assert listed[0].profile is None  # profiles only when asked for
    assert datasets.list_versions("churn", profiles=True)[0].profile == {"rows": 20, "columns": {}}
    summary = [(d.name, d.latest_version, d.versions, d.latest_rows)
               for d in datasets.list_datasets()]  # fmt: skip
    assert summary == [("churn", 2, 2, 20), ("fraud", 1, 1, 10)]


def test_unknown_datasets_and_versions_are_not_found(datasets: DatasetRepository) -> None:
    with pytest.raises(NotFoundError, match=r"'ghost' does not exist.*No dataset"):
        datasets.latest_version("ghost")
    datasets.create_version("churn", _new("1"))
    with pytest.raises(NotFoundError, match="no version 7") as info:
        datasets.get_version("churn", 7)
    assert "from 1 to 1" in str(info.value)
    with pytest.raises(NotFoundError, match="Known datasets: churn"):
        datasets.list_versions("churm")


def test_runs_that_read_and_wrote_a_version(
    workspace: Workspace, datasets: DatasetRepository
) -> None:
    producer = workspace.runs.create(project="p", name="prepare")
    consumer = workspace.runs.create(project="p", name="train")
    version, _ = datasets.create_version("churn", _new("1", run_id=producer.id))
    assert version.created_by_run_id == producer.id
    datasets.record_usage(consumer.id, version.id, "input", "train")
    datasets.record_usage(consumer.id, version.id, "input", "train")  # twice is harmless

    usages = {(u.run_id, u.role, u.context) for u in datasets.usages(version.id)}
    assert usages == {(producer.id, "output", None), (consumer.id, "input", "train")}
    assert [u.dataset_ref for u in datasets.run_datasets(consumer.id)] == ["churn/1"]
    with pytest.raises(UsageError, match="role"):
        datasets.record_usage(consumer.id, version.id, "sideways")
    with pytest.raises(NotFoundError, match="Run"):
        datasets.record_usage("0" * 32, version.id)
    with pytest.raises(NotFoundError, match="Run"):
        datasets.create_version("churn", _new("2", run_id="f" * 32))
    assert [v.version for v in datasets.list_versions("churn")] == [1]  # nothing half-written


def test_validation_results_are_kept_per_version(
    workspace: Workspace, datasets: DatasetRepository
) -> None:
    version, _ = datasets.create_version("churn", _new("1"))
    run = workspace.runs.create(project="p")
    failed = datasets.add_validation(
        version.id, passed=False, expectations_hash="e" * 64, report_hash="r" * 64,
        summary={"failed": 2}, run_id=run.id,
    )  # fmt: skip
    passed = datasets.add_validation(
        version.id, passed=True, expectations_hash="e" * 64, report_hash=None, summary={}
    )
    found = datasets.validations(version.id)
    assert [v.id for v in found] == [passed.id, failed.id]
    assert failed.dataset_ref == "churn/1" and failed.run_id == run.id
    assert found[1].summary == {"failed": 2} and not found[1].passed
    with pytest.raises(NotFoundError):
        datasets.add_validation("0" * 32, passed=True, expectations_hash="e", report_hash=None,
                                summary={})  # fmt: skip


def test_concurrent_writers_get_distinct_numbers(datasets: DatasetRepository) -> None:
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(
            lambda i: datasets.create_version("churn", _new(str(i % 8)))[0].version,
            range(8),
        ))  # fmt: skip
    assert sorted(made) == list(range(1, 9))
