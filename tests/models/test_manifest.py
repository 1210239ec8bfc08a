"""The manifest: deterministic JSON, and clear refusals for what this code cannot read."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from shipyard.core.errors import ArtifactMissingError, ModelError
from shipyard.models.manifest import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    ModelVersionWarning,
)

DIGEST = "ab" * 32


def manifest() -> Manifest:
    return Manifest(
        flavor="sklearn",
        serialization="skops",
        signature={"inputs": [{"name": "x", "dtype": "float"}], "outputs": None},
        files={"model.skops": FileEntry(DIGEST, 10)},
        framework_versions={"scikit-learn": "1.9.1"},
        input_example="input_example.json",
        source_run_id="run-1",
        extra={"estimator": "sklearn.linear_model.LinearRegression"},
    )


def raw(**changes: Any) -> bytes:
    data = orjson.loads(manifest().to_bytes())
    data.update(changes)
    return orjson.dumps(data)


def test_round_trips_and_is_deterministic() -> None:
    original = manifest()
    data = original.to_bytes()
    assert Manifest.from_bytes(data) == original
    assert Manifest.from_bytes(data).to_bytes() == data
    assert list(orjson.loads(data)) == sorted(orjson.loads(data))
    assert orjson.loads(data)["format_version"] == FORMAT_VERSION == 1


def test_writes_and_reads_a_directory(tmp_path: Any) -> None:
    original = manifest()
    original.write(tmp_path)
    assert (tmp_path / MANIFEST_NAME).is_file()
    assert Manifest.read(tmp_path) == original
    with pytest.raises(ArtifactMissingError, match="not a Shipyard model package"):
        Manifest.read(tmp_path / "elsewhere")


def test_a_newer_format_is_refused() -> None:
    with pytest.raises(ModelError, match="format 2") as caught:
        Manifest.from_bytes(raw(format_version=2))
    assert "Upgrade Shipyard" in str(caught.value)


def test_a_different_major_version_warns() -> None:
    with pytest.warns(ModelVersionWarning, match="Shipyard 99.0.0"):
        loaded = Manifest.from_bytes(raw(shipyard_version="99.0.0"))
    assert loaded.shipyard_version == "99.0.0"


@pytest.mark.parametrize(
    "changes",
    [
        {"format_version": "1"},
        {"serialization": "cloudpickle"},
        {"flavor": ""},
        {"files": {"../outside": {"sha256": DIGEST, "size": 1}}},
        {"files": {"/etc/passwd": {"sha256": DIGEST, "size": 1}}},
        {"files": {"model.skops": {"sha256": "nothex", "size": 1}}},
        {"files": {MANIFEST_NAME: {"sha256": DIGEST, "size": 1}}},
        {"extra": []},
    ],
)
def test_malformed_manifests_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ModelError):
        Manifest.from_bytes(raw(**changes))


def test_not_json_is_refused() -> None:
    with pytest.raises(ModelError, match="not valid JSON"):
        Manifest.from_bytes(b"{nope")
