"""The artifact store, on a local folder and on a real S3 server (SeaweedFS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard._store.artifacts import ArtifactStore
from shipyard.core.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactMissingError,
)
from shipyard.core.hashing import sha256_bytes
from tests.services import SeaweedServer, free_port


def _names(store: ArtifactStore) -> list[str]:
    """Every object under the store's root, hidden temporaries included."""
    if not store.fs.exists(store.root):
        return []
    return sorted(path.rpartition("/")[2] for path in store.fs.find(store.root))


def test_blobs_are_content_addressed_and_deduplicated(artifacts_url: str) -> None:
    store = ArtifactStore(artifacts_url)
    first = store.put_bytes(b"hello")
    second = store.put_bytes(b"hello")
    assert first == second
    assert first.hash == sha256_bytes(b"hello") and first.size == 5
    assert first.uri.startswith("s3://" if artifacts_url.startswith("s3") else "/")
    assert store.fs.cat_file(store.fs._strip_protocol(first.uri)) == b"hello"
    assert store.get_bytes(first.hash) == b"hello"
    assert _names(store) == [first.hash]  # one object, no temporary left behind


def test_put_file_streams_and_download_verifies(artifacts_url: str, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (3 << 20))
    store = ArtifactStore(artifacts_url)
    blob = store.put_file(source)
    copy = store.download(blob.hash, tmp_path / "out" / "copy.bin")
    assert copy.read_bytes() == source.read_bytes()
    store.verify(blob.hash)
    assert store.exists(blob.hash) and not store.exists(sha256_bytes(b"other"))


def test_a_corrupted_blob_is_refused_by_name_and_leaves_no_file(
    artifacts_url: str, tmp_path: Path
) -> None:
    store = ArtifactStore(artifacts_url)
    blob = store.put_bytes(b"model weights")
    store.fs.pipe_file(store._path(blob.hash), b"tampered weights")
    with pytest.raises(ArtifactIntegrityError, match=r"Artifact model\.bin is corrupted"):
        store.get_bytes(blob.hash, name="model.bin")
    with pytest.raises(ArtifactIntegrityError):
        store.download(blob.hash, tmp_path / "out" / "model.bin", name="model.bin")
    assert not (tmp_path / "out" / "model.bin").exists()
    assert list((tmp_path / "out").iterdir()) == []  # no partial file left behind
    with pytest.raises(ArtifactIntegrityError):
        store.verify(blob.hash)


def test_a_missing_blob_is_named(artifacts_url: str, tmp_path: Path) -> None:
    store = ArtifactStore(artifacts_url)
    digest = sha256_bytes(b"never stored")
    with pytest.raises(ArtifactMissingError, match=r"Artifact data\.csv is missing"):
        store.get_bytes(digest, name="data.csv")
    with pytest.raises(ArtifactMissingError):
        store.download(digest, tmp_path / "x", name="data.csv")
    assert not (tmp_path / "x").exists()


def test_other_filesystems_work_through_fsspec() -> None:
    store = ArtifactStore("memory://shipyard-test-artifacts")
    blob = store.put_bytes(b"in memory")
    assert blob.uri.startswith("memory://")
    assert store.get_bytes(blob.hash) == b"in memory"


# -- object storage that is down or refuses the credentials -----------------------------------

_USE_STORE = """
import sys
from shipyard.core.errors import ShipyardError
from shipyard._store.artifacts import ArtifactStore
store = ArtifactStore(sys.argv[1])
try:
    store.put_bytes(b"payload")
except ShipyardError as exc:
    print(type(exc).__name__, "|", exc, "|", exc.hint)
    sys.exit(3)
"""


def _use_store(url: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Store a blob from a fresh process (a fresh S3 client reads the variables anew)."""
    return subprocess.run(
        [sys.executable, "-c", _USE_STORE, url], env=environment, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_a_bad_credential_is_one_clear_error_and_writes_nothing(
    seaweedfs: SeaweedServer, s3_url: str
) -> None:
    environment = {**os.environ, **seaweedfs.environment, "AWS_SECRET_ACCESS_KEY": "wrong"}
    done = _use_store(f"{s3_url}/artifacts", environment)
    assert done.returncode == 3, done.stderr
    kind, message, hint = done.stdout.strip().split(" | ")
    assert kind == "StorageUnavailableError"
    assert f"{s3_url}/artifacts refused access" in message
    assert "AWS_SECRET_ACCESS_KEY" in hint
    assert done.stderr == ""  # no traceback from the S3 client
    assert seaweedfs.keys(s3_url.removeprefix("s3://")) == []


@pytest.mark.slow
def test_a_server_that_is_down_is_one_clear_error_naming_the_url(
    seaweedfs: SeaweedServer,
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    environment = {**os.environ, **seaweedfs.environment, "AWS_ENDPOINT_URL": down,
                   "AWS_MAX_ATTEMPTS": "1"}  # fmt: skip
    done = _use_store("s3://models/artifacts", environment)
    assert done.returncode == 3, done.stderr
    kind, message, _ = done.stdout.strip().split(" | ")
    assert kind == "StorageUnavailableError"
    assert message.startswith("Cannot use the storage at s3://models/artifacts")
    assert down in message and done.stderr == ""


def test_a_local_store_that_cannot_be_written_names_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("a file where the store's folder should be")
    store = ArtifactStore(str(tmp_path / "file" / "artifacts"))
    with pytest.raises(ArtifactError, match="artifacts"):
        store.put_bytes(b"x")
