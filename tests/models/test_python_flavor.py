"""Plain Python models: by reference without pickle, or pickled only when trusted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from shipyard.core.errors import ModelError, UnsafeModelError, UnsupportedModelError
from shipyard.models.flavors import flavor_for, get_flavor
from shipyard.models.manifest import MANIFEST_NAME
from shipyard.models.package import load_package, save_package
from tests.models.pymodels import FrameModel, LinearScorer, ThresholdRule

EXAMPLE = pd.DataFrame({"x": [1.0, -2.0, 3.5], "y": [0.5, 0.25, -1.0]})


def test_a_class_with_save_hooks_is_saved_by_reference(tmp_path: Path) -> None:
    model = LinearScorer({"x": 2.0, "y": -1.0}, bias=0.5)
    manifest = save_package(model, tmp_path / "pkg", input_example=EXAMPLE)
    assert manifest.flavor == "python"
    assert manifest.serialization == "reference"
    assert manifest.extra["class"] == "tests.models.pymodels:LinearScorer"
    assert set(manifest.files) == {"model/weights.json", "input_example.json"}
    assert not any(path.suffix == ".pkl" for path in (tmp_path / "pkg").rglob("*"))

    with pytest.raises(UnsafeModelError, match=r"tests\.models\.pymodels"):
        load_package(tmp_path / "pkg")  # importing the named module would run its code
    loaded = load_package(tmp_path / "pkg", trusted=["tests.models"])  # nothing is unpickled
    assert isinstance(loaded.raw, LinearScorer)
    assert np.array_equal(loaded.predict_array(loaded.prepare(EXAMPLE)), model.predict(EXAMPLE))
    assert loaded.predict([{"x": 1, "y": 2.0}]) == [0.5]


def test_an_object_without_hooks_is_pickled_only_when_trusted(tmp_path: Path) -> None:
    model = ThresholdRule("x", 0.0)
    with pytest.raises(UnsafeModelError) as caught:
        save_package(model, tmp_path / "refused", input_example=EXAMPLE)
    message = str(caught.value)
    assert "save_model" in message and "load_model" in message and "trusted=True" in message
    assert not (tmp_path / "refused").exists()

    manifest = save_package(model, tmp_path / "pkg", input_example=EXAMPLE, trusted=True)
    assert manifest.serialization == "pickle"
    with pytest.raises(UnsafeModelError):
        load_package(tmp_path / "pkg")
    loaded = load_package(tmp_path / "pkg", trusted=True)
    assert loaded.predict(EXAMPLE) == ["high", "low", "high"]


def test_reference_is_refused_for_a_class_without_hooks(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedModelError, match="save_model"):
        save_package(
            ThresholdRule("x", 0.0),
            tmp_path / "pkg",
            input_example=EXAMPLE,
            serialization="reference",
        )


def test_a_class_defined_in_a_function_cannot_be_referenced(tmp_path: Path) -> None:
    class Local(LinearScorer):
        pass

    with pytest.raises(UnsupportedModelError, match="inside a function"):
        save_package(Local({"x": 1.0}, 0.0), tmp_path / "pkg", input_example=EXAMPLE)


def test_a_frame_output_becomes_records(tmp_path: Path) -> None:
    save_package(FrameModel(), tmp_path / "pkg", input_example=EXAMPLE[["x"]])
    loaded = load_package(tmp_path / "pkg", trusted=["tests.models.pymodels"])
    assert loaded.signature.outputs is not None
    assert loaded.signature.outputs.columns == ("double", "positive")
    result = loaded.predict([{"x": 1.5}, {"x": -1}])
    assert result == [{"double": 3.0, "positive": True}, {"double": -2.0, "positive": False}]
    orjson.dumps(result)


def test_a_manifest_naming_another_class_is_refused(tmp_path: Path) -> None:
    save_package(LinearScorer({"x": 1.0}, 0.0), tmp_path / "pkg", input_example=EXAMPLE)
    path = tmp_path / "pkg" / MANIFEST_NAME
    for reference, expected in [
        ("os:system", "not a class with save_model"),
        ("tests.models.pymodels:Missing", "has no 'Missing'"),
        ("no_such_module_here:Thing", "Cannot import module"),
    ]:
        data = orjson.loads(path.read_bytes())
        data["extra"]["class"] = reference
        path.write_bytes(orjson.dumps(data))
        with pytest.raises(ModelError, match=expected):
            load_package(tmp_path / "pkg", trusted=True)


def test_flavor_registry() -> None:
    assert flavor_for(LinearScorer({}, 0.0)).name == "python"
    with pytest.raises(UnsupportedModelError, match="No flavor"):
        flavor_for(object())
    with pytest.raises(ModelError, match="Unknown model flavor 'tensorflow'"):
        get_flavor("tensorflow")
