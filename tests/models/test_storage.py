"""Packages through the artifact store: a round trip, and failures that leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactMissingError,
    ModelError,
)
from shipyard.core.hashing import sha256_file
from shipyard.models.manifest import MANIFEST_NAME, Manifest
from shipyard.models.package import load_package, save_package
from shipyard.models.storage import fetch_package, store_package


@pytest.fixture()
def stored(
    tmp_path: Path, artifacts: ArtifactStore, classifier: Pipeline, customers: pd.DataFrame
) -> str:
    save_package(classifier, tmp_path / "pkg", input_example=customers.head())
    return store_package(tmp_path / "pkg", artifacts)


def blob_path(artifacts: ArtifactStore, digest: str) -> Path:
    return Path(artifacts.uri(digest))


def test_round_trip(
    tmp_path: Path,
    artifacts: ArtifactStore,
    stored: str,
    classifier: Pipeline,
    customers: pd.DataFrame,
) -> None:
    assert sha256_file(tmp_path / "pkg" / MANIFEST_NAME)[0] == stored
    manifest = Manifest.read(tmp_path / "pkg")
    for entry in manifest.files.values():
        assert artifacts.exists(entry.sha256)

    cache = tmp_path / "cache"
    directory = fetch_package(stored, artifacts, cache)
    assert directory == cache / stored
    assert sorted(p.name for p in directory.iterdir()) == sorted([*manifest.files, MANIFEST_NAME])
    loaded = load_package(directory)
    assert np.array_equal(
        loaded.predict_array(loaded.prepare(customers)), classifier.predict(customers)
    )
    assert [p.name for p in cache.iterdir()] == [stored]


def test_storing_twice_gives_the_same_hash(
    tmp_path: Path, artifacts: ArtifactStore, stored: str
) -> None:
    assert store_package(tmp_path / "pkg", artifacts) == stored


def test_a_complete_cache_entry_is_reused(
    tmp_path: Path, artifacts: ArtifactStore, stored: str
) -> None:
    first = fetch_package(stored, artifacts, tmp_path / "cache")
    marker = (first / MANIFEST_NAME).stat().st_mtime_ns
    second = fetch_package(stored, artifacts, tmp_path / "cache")
    assert second == first
    assert (second / MANIFEST_NAME).stat().st_mtime_ns == marker


def test_an_incomplete_cache_entry_is_fetched_again(
    tmp_path: Path, artifacts: ArtifactStore, stored: str
) -> None:
    directory = fetch_package(stored, artifacts, tmp_path / "cache")
    (directory / "model.skops").unlink()
    again = fetch_package(stored, artifacts, tmp_path / "cache")
    assert (again / "model.skops").is_file()
    load_package(again)


def test_a_corrupted_blob_fails_and_leaves_no_cache_dir(
    tmp_path: Path, artifacts: ArtifactStore, stored: str
) -> None:
    model_hash = Manifest.read(tmp_path / "pkg").files["model.skops"].sha256
    blob = blob_path(artifacts, model_hash)
    blob.write_bytes(blob.read_bytes()[:-10] + b"corrupted!")
    cache = tmp_path / "cache"
    with pytest.raises(ArtifactIntegrityError, match=r"model\.skops") as caught:
        fetch_package(stored, artifacts, cache)
    assert stored[:12] in str(caught.value)
    assert not (cache / stored).exists()
    assert list(cache.iterdir()) == []


def test_a_missing_blob_fails_and_leaves_no_cache_dir(
    tmp_path: Path, artifacts: ArtifactStore, stored: str
) -> None:
    example_hash = Manifest.read(tmp_path / "pkg").files["input_example.json"].sha256
    blob_path(artifacts, example_hash).unlink()
    cache = tmp_path / "cache"
    with pytest.raises(ArtifactMissingError, match=r"input_example\.json"):
        fetch_package(stored, artifacts, cache)
    assert list(cache.iterdir()) == []


def test_a_corrupted_or_unknown_manifest(
    tmp_path: Path, artifacts: ArtifactStore, stored: str
) -> None:
    blob_path(artifacts, stored).write_bytes(b"{}")
    with pytest.raises(ArtifactIntegrityError, match=MANIFEST_NAME):
        fetch_package(stored, artifacts, tmp_path / "cache")
    with pytest.raises(ArtifactMissingError):
        fetch_package("0" * 64, artifacts, tmp_path / "cache")
    with pytest.raises(ArtifactError, match="not a model package hash"):
        fetch_package("not-a-hash", artifacts, tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_a_changed_package_is_not_stored(
    tmp_path: Path, artifacts: ArtifactStore, stored: str
) -> None:
    (tmp_path / "pkg" / "model.skops").write_bytes(b"changed")
    with pytest.raises(ArtifactIntegrityError, match=r"model\.skops"):
        store_package(tmp_path / "pkg", artifacts)
    with pytest.raises(ArtifactMissingError):
        store_package(tmp_path / "nothing", artifacts)


def test_a_newer_manifest_format_in_the_store_is_refused(
    tmp_path: Path, artifacts: ArtifactStore
) -> None:
    newer = artifacts.put_bytes(b'{"format_version": 7}').hash
    with pytest.raises(ModelError, match="format 7"):
        fetch_package(newer, artifacts, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()
