"""Saving and loading packages: hashes verified before anything loads, and a warm-up."""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from shipyard.core.errors import (
    ArtifactIntegrityError,
    ArtifactMissingError,
    InputValidationError,
    ModelError,
    UsageError,
)
from shipyard.core.hashing import sha256_file
from shipyard.models.manifest import MANIFEST_NAME, Manifest, ModelVersionWarning
from shipyard.models.package import load_package, save_package
from shipyard.models.signature import ColumnSpec, Signature
from tests.models.pymodels import LinearScorer


@pytest.fixture()
def package(
    tmp_path: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> Path:
    directory = tmp_path / "pkg"
    save_package(regressor, directory, input_example=customers[["age", "spend"]].head(5))
    return directory


def test_the_manifest_lists_every_file_with_its_hash(package: Path) -> None:
    manifest = Manifest.read(package)
    on_disk = sorted(p.name for p in package.iterdir() if p.name != MANIFEST_NAME)
    assert sorted(manifest.files) == on_disk
    for name, entry in manifest.files.items():
        assert sha256_file(package / name) == (entry.sha256, entry.size)
    assert manifest.input_example == "input_example.json"
    example = orjson.loads((package / "input_example.json").read_bytes())
    assert example[0].keys() == {"age", "spend"} and len(example) == 5


def test_a_tampered_file_fails_before_loading(package: Path) -> None:
    model_file = package / "model.skops"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match=r"model\.skops"):
        load_package(package)


def test_a_missing_file_names_the_file(package: Path) -> None:
    (package / "input_example.json").unlink()
    with pytest.raises(ArtifactMissingError, match=r"input_example\.json"):
        load_package(package)


def test_an_unlisted_file_is_refused(package: Path) -> None:
    (package / "extra.py").write_text("print('hi')")
    with pytest.raises(ArtifactIntegrityError, match=r"extra\.py"):
        load_package(package)


def test_no_manifest_is_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(ArtifactMissingError, match=MANIFEST_NAME):
        load_package(tmp_path)
    with pytest.raises(ArtifactMissingError):
        load_package(tmp_path / "absent")


TREES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def test_warm_up_runs_the_stored_example(package: Path) -> None:
    example = package / "input_example.json"
    records = orjson.loads(example.read_bytes())
    records[0]["age"] = "old"
    data = orjson.dumps(records)
    example.write_bytes(data)
    manifest = Manifest.read(package)
    files = dict(manifest.files)
    files["input_example.json"] = type(files["input_example.json"])(*sha256_file(example))
    manifest.with_files(files).write(package)
    with pytest.raises(ModelError, match="its own input example") as caught:
        load_package(package, trusted=TREES)
    assert isinstance(caught.value.__cause__, InputValidationError)
    assert load_package(package, warm=False, trusted=TREES).predict([{"age": 30, "spend": 1.0}])


def test_changed_framework_versions_warn(package: Path) -> None:
    data = orjson.loads((package / MANIFEST_NAME).read_bytes())
    data["framework_versions"]["scikit-learn"] = "0.1.0"
    (package / MANIFEST_NAME).write_bytes(orjson.dumps(data))
    with pytest.warns(ModelVersionWarning, match=r"scikit-learn 0\.1\.0 →"):
        load_package(package, trusted=TREES)


def test_an_existing_directory_is_not_overwritten(
    package: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> None:
    with pytest.raises(UsageError, match="already exists"):
        save_package(regressor, package, input_example=customers[["age", "spend"]].head())


def test_an_explicit_signature_is_checked_against_the_example(
    tmp_path: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> None:
    numbers = customers[["age", "spend"]].head()
    signature = Signature((ColumnSpec("age", "integer"), ColumnSpec("spend", "float", minimum=0)))
    manifest = save_package(regressor, tmp_path / "a", input_example=numbers, signature=signature)
    assert manifest.signature["inputs"] == signature.to_dict()["inputs"]
    assert manifest.signature["outputs"]["dtype"] == "float"

    wrong = Signature((ColumnSpec("age", "string"), ColumnSpec("spend", "float")))
    with pytest.raises(InputValidationError, match="age"):
        save_package(regressor, tmp_path / "b", input_example=numbers, signature=wrong.to_dict())
    assert not (tmp_path / "b").exists()


def test_a_model_that_fails_on_its_example_is_not_saved(tmp_path: Path) -> None:
    model = LinearScorer({"missing": 1.0}, 0.0)
    with pytest.raises(ModelError, match="its own input example"):
        save_package(model, tmp_path / "pkg", input_example=pd.DataFrame({"x": [1.0]}))
    assert list(tmp_path.iterdir()) == []


def test_only_the_first_rows_of_a_big_example_are_stored(
    tmp_path: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> None:
    save_package(regressor, tmp_path / "pkg", input_example=customers[["age", "spend"]])
    stored = orjson.loads((tmp_path / "pkg" / "input_example.json").read_bytes())
    assert len(stored) == 100


def test_a_flavor_that_cannot_handle_the_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="sklearn flavor cannot package"):
        save_package(
            LinearScorer({"x": 1.0}, 0.0),
            tmp_path / "pkg",
            input_example=pd.DataFrame({"x": [1.0]}),
            flavor="sklearn",
        )


def test_a_package_in_use_is_shared_and_one_no_longer_held_is_verified_again(
    package: Path,
) -> None:
    import gc

    first = load_package(package, trusted=TREES, warm=False)
    again = load_package(package, trusted=TREES)  # the same model: not deserialised twice
    assert again is first
    assert load_package(package, trusted=True) is not first  # other trust, other load
    first.raw.tampered_in_memory = True  # what a second handle sees is the very object
    assert load_package(package, trusted=TREES).raw.tampered_in_memory
    del first, again
    gc.collect()
    assert not hasattr(load_package(package, trusted=TREES).raw, "tampered_in_memory")
    gc.collect()
    model_file = package / "model.skops"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError):  # released, so loaded (and verified) anew
        load_package(package, trusted=TREES)
