from __future__ import annotations

from pathlib import Path

import pytest

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.errors import ArtifactIntegrityError, ArtifactMissingError
from shipyard.core.hashing import sha256_bytes


def test_blobs_are_content_addressed_and_deduplicated(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "art"))
    first = store.put_bytes(b"hello")
    second = store.put_bytes(b"hello")
    assert first == second
    assert first.hash == sha256_bytes(b"hello") and first.size == 5
    assert Path(first.uri).read_bytes() == b"hello"
    assert store.get_bytes(first.hash) == b"hello"
    assert list((tmp_path / "art" / "blobs").rglob(".tmp-*")) == []


def test_put_file_streams_and_download_verifies(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (3 << 20))
    store = ArtifactStore(str(tmp_path / "art"))
    blob = store.put_file(source)
    copy = store.download(blob.hash, tmp_path / "out" / "copy.bin")
    assert copy.read_bytes() == source.read_bytes()
    store.verify(blob.hash)


def test_a_corrupted_blob_is_refused_by_name_and_leaves_no_file(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "art"))
    blob = store.put_bytes(b"model weights")
    Path(blob.uri).write_bytes(b"tampered weights")
    with pytest.raises(ArtifactIntegrityError, match=r"Artifact model\.bin is corrupted"):
        store.get_bytes(blob.hash, name="model.bin")
    with pytest.raises(ArtifactIntegrityError):
        store.download(blob.hash, tmp_path / "out" / "model.bin", name="model.bin")
    assert not (tmp_path / "out" / "model.bin").exists()
    assert list((tmp_path / "out").iterdir()) == []  # no partial file left behind
    with pytest.raises(ArtifactIntegrityError):
        store.verify(blob.hash)


def test_a_missing_blob_is_named(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "art"))
    digest = sha256_bytes(b"never stored")
    with pytest.raises(ArtifactMissingError, match=r"Artifact data\.csv is missing"):
        store.get_bytes(digest, name="data.csv")
    with pytest.raises(ArtifactMissingError):
        store.download(digest, tmp_path / "x", name="data.csv")


def test_other_filesystems_work_through_fsspec() -> None:
    store = ArtifactStore("memory://shipyard-test-artifacts")
    blob = store.put_bytes(b"in memory")
    assert blob.uri.startswith("memory://")
    assert store.get_bytes(blob.hash) == b"in memory"
    assert store.exists(blob.hash)
