"""One conformance suite that every registered flavor passes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from shipyard.models.flavors import available_flavors, get_flavor
from shipyard.models.manifest import Manifest
from shipyard.models.package import load_package, save_package
from tests.models import framework_models
from tests.models.pymodels import LinearScorer

FRAME = pd.DataFrame(
    {"x": [0.5, -1.0, 2.0, -3.0, 1.5, -0.5], "y": [1.0, 2.0, -1.0, 0.0, 1.0, -2.0]}
)


def sklearn_case() -> tuple[Any, pd.DataFrame]:
    return LogisticRegression().fit(FRAME, FRAME["x"] > 0), FRAME


def python_case() -> tuple[Any, pd.DataFrame]:
    return LinearScorer({"x": 1.0, "y": 0.5}, bias=-0.25), FRAME


CASES: dict[str, Callable[[], tuple[Any, pd.DataFrame]]] = {
    "sklearn": sklearn_case,
    "python": python_case,
    "xgboost": framework_models.xgboost_classifier,
    "xgboost-booster": framework_models.xgboost_booster,
    "lightgbm": framework_models.lightgbm_classifier,
    "lightgbm-booster": framework_models.lightgbm_booster,
    "onnx": framework_models.onnx_regressor,
    "torch": framework_models.torch_mlp,
}
"""One case per flavor (named after it), and more cases of a flavor as ``FLAVOR-what``."""


def test_every_registered_flavor_has_a_case() -> None:
    assert sorted({case.split("-")[0] for case in CASES}) == available_flavors()


@pytest.mark.parametrize("case", sorted(CASES))
def test_flavor_contract(case: str, tmp_path: Path) -> None:
    name = case.split("-")[0]
    model, example = CASES[case]()
    flavor = get_flavor(name)
    assert flavor.name == name
    assert flavor.handles(model)

    manifest = save_package(model, tmp_path / "pkg", input_example=example, flavor=name)
    assert manifest.flavor == name
    assert Manifest.read(tmp_path / "pkg") == manifest
    for member in manifest.files:
        assert (tmp_path / "pkg" / member).is_file()

    loaded = load_package(tmp_path / "pkg", trusted=["tests.models"])  # the test's own classes
    assert loaded.flavor is flavor
    frame = loaded.prepare(example)
    expected = flavor.predict(model, frame)
    assert np.array_equal(np.asarray(loaded.predict_array(frame)), np.asarray(expected))
    plain = loaded.predict(example)
    assert len(plain) == len(example)
    assert orjson.loads(orjson.dumps(plain)) == plain
