"""scikit-learn models: exact round trips with skops, and pickle only when trusted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from shipyard.core.errors import InputValidationError, UnsafeModelError
from shipyard.models.manifest import MANIFEST_NAME, Manifest
from shipyard.models.package import load_package, save_package
from tests.models.pymodels import double


def test_pipeline_predictions_are_identical_after_a_round_trip(
    tmp_path: Path, classifier: Pipeline, customers: pd.DataFrame
) -> None:
    manifest = save_package(classifier, tmp_path / "pkg", input_example=customers.head(10))
    assert manifest.flavor == "sklearn"
    assert manifest.serialization == "skops"
    assert set(manifest.files) == {"model.skops", "input_example.json"}

    loaded = load_package(tmp_path / "pkg")
    expected = classifier.predict(customers)
    assert np.array_equal(loaded.predict_array(loaded.prepare(customers)), expected)
    labels = loaded.predict(customers)
    assert labels == expected.tolist()
    assert set(labels) == {"churn", "stay"}
    assert loaded.signature.outputs is not None
    assert loaded.signature.outputs.classes == ("churn", "stay")
    orjson.dumps(labels)


def test_records_from_json_predict_the_same_labels(
    tmp_path: Path, classifier: Pipeline, customers: pd.DataFrame
) -> None:
    save_package(classifier, tmp_path / "pkg", input_example=customers.head())
    loaded = load_package(tmp_path / "pkg")
    records = orjson.loads(orjson.dumps(customers.to_dict(orient="records")))
    assert loaded.predict(records) == classifier.predict(customers).tolist()


def test_the_pipeline_signature_rejects_an_unknown_plan(
    tmp_path: Path, classifier: Pipeline, customers: pd.DataFrame
) -> None:
    save_package(classifier, tmp_path / "pkg", input_example=customers.head())
    loaded = load_package(tmp_path / "pkg")
    with pytest.raises(InputValidationError) as caught:
        loaded.predict([{"plan": "gold", "age": 30, "spend": 10.0}])
    assert [p.field for p in caught.value.problems] == ["plan[0]"]


def test_regressor_round_trip_is_exact_and_plain(
    tmp_path: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> None:
    numbers = customers[["age", "spend"]]
    save_package(regressor, tmp_path / "pkg", input_example=numbers.head())
    loaded = load_package(tmp_path / "pkg", trusted=[HGB_TREE])
    assert np.array_equal(loaded.predict_array(loaded.prepare(numbers)), regressor.predict(numbers))
    values = loaded.predict(numbers.head(3))
    assert all(type(value) is float for value in values)
    assert orjson.loads(orjson.dumps(values)) == values


def test_a_model_fitted_on_an_array(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(50, 3))
    model = LinearRegression().fit(features, features @ np.array([1.0, 2.0, 3.0]))
    save_package(model, tmp_path / "pkg", input_example=features[:5])
    loaded = load_package(tmp_path / "pkg")
    assert loaded.signature.names == ["f0", "f1", "f2"]
    assert np.array_equal(loaded.predict_array(loaded.prepare(features)), model.predict(features))
    assert loaded.predict(features[0]) == [float(model.predict(features[:1])[0])]


HGB_TREE = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"


def test_tree_containers_load_only_when_their_type_is_trusted(
    tmp_path: Path, customers: pd.DataFrame
) -> None:
    # skops does not trust fitted tree containers: their node indices are not bounds-checked,
    # so a crafted file could read out-of-bounds memory at predict time.
    numbers = customers[["age", "spend"]]
    forest = RandomForestClassifier(n_estimators=5, random_state=0)
    forest.fit(numbers, customers["plan"])
    save_package(forest, tmp_path / "pkg", input_example=numbers.head())
    with pytest.raises(UnsafeModelError, match=r"sklearn\.tree\._tree\.Tree") as refused:
        load_package(tmp_path / "pkg")
    assert "trusted_types" in str(refused.value)
    loaded = load_package(tmp_path / "pkg", trusted=["sklearn.tree._tree.Tree"])
    assert loaded.predict(numbers) == forest.predict(numbers).tolist()


def test_joblib_is_refused_without_trust_at_save_and_at_load(
    tmp_path: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> None:
    numbers = customers[["age", "spend"]].head()
    with pytest.raises(UnsafeModelError, match="trusted=True"):
        save_package(regressor, tmp_path / "refused", input_example=numbers, serialization="joblib")
    assert not (tmp_path / "refused").exists()
    assert list(tmp_path.iterdir()) == []

    save_package(
        regressor, tmp_path / "pkg", input_example=numbers, serialization="joblib", trusted=True
    )
    with pytest.raises(UnsafeModelError, match="joblib"):
        load_package(tmp_path / "pkg")
    loaded = load_package(tmp_path / "pkg", trusted=True)
    assert np.array_equal(loaded.predict_array(loaded.prepare(numbers)), regressor.predict(numbers))


def test_stdlib_pickle_also_needs_trust(
    tmp_path: Path, classifier: Pipeline, customers: pd.DataFrame
) -> None:
    example = customers.head()
    with pytest.raises(UnsafeModelError):
        save_package(classifier, tmp_path / "a", input_example=example, serialization="pickle")
    save_package(
        classifier, tmp_path / "b", input_example=example, serialization="pickle", trusted=True
    )
    with pytest.raises(UnsafeModelError):
        load_package(tmp_path / "b")
    assert load_package(tmp_path / "b", trusted=True).predict(example) == list(
        classifier.predict(example)
    )


def test_a_pickle_package_relabelled_as_skops_is_not_unpickled(
    tmp_path: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> None:
    """Editing the manifest cannot make Shipyard unpickle an untrusted file."""
    numbers = customers[["age", "spend"]].head()
    save_package(
        regressor, tmp_path / "pkg", input_example=numbers, serialization="pickle", trusted=True
    )
    data = orjson.loads((tmp_path / "pkg" / MANIFEST_NAME).read_bytes())
    data["serialization"] = "skops"
    (tmp_path / "pkg" / MANIFEST_NAME).write_bytes(orjson.dumps(data))
    with pytest.raises(Exception) as caught:
        load_package(tmp_path / "pkg")
    assert not isinstance(caught.value, AssertionError)
    assert "model.skops" in str(caught.value)


def test_untrusted_skops_types_are_named_and_refused(
    tmp_path: Path, customers: pd.DataFrame
) -> None:
    numbers = customers[["age", "spend"]]
    model: Any = make_pipeline(FunctionTransformer(double), LinearRegression())
    model.fit(numbers, customers["spend"])
    manifest = save_package(model, tmp_path / "pkg", input_example=numbers.head())
    assert manifest.extra["untrusted_types"] == ["tests.models.pymodels.double"]
    with pytest.raises(UnsafeModelError, match=r"tests\.models\.pymodels\.double") as caught:
        load_package(tmp_path / "pkg")
    assert "trusted=True" in str(caught.value)
    loaded = load_package(tmp_path / "pkg", trusted=True)
    assert np.array_equal(loaded.predict_array(loaded.prepare(numbers)), model.predict(numbers))


def test_a_list_of_trusted_types_loads_exactly_those(
    tmp_path: Path, customers: pd.DataFrame
) -> None:
    """With the trusted types listed, a file with only those loads; one with another type is
    refused, naming the type not listed."""
    numbers = customers[["age", "spend"]]
    model: Any = make_pipeline(FunctionTransformer(double), LinearRegression())
    model.fit(numbers, customers["spend"])
    save_package(model, tmp_path / "pkg", input_example=numbers.head())
    with pytest.raises(UnsafeModelError, match=r"types that are not known to be safe to load: "
                       r"tests\.models\.pymodels\.double\. "):  # fmt: skip
        load_package(tmp_path / "pkg", trusted=["tests.models.pymodels.triple"])
    loaded = load_package(tmp_path / "pkg", trusted=["tests.models.pymodels.double"])
    assert np.array_equal(loaded.predict_array(loaded.prepare(numbers)), model.predict(numbers))


def test_manifest_records_versions(
    tmp_path: Path, regressor: HistGradientBoostingRegressor, customers: pd.DataFrame
) -> None:
    save_package(regressor, tmp_path / "pkg", input_example=customers[["age", "spend"]].head())
    manifest = Manifest.read(tmp_path / "pkg")
    assert set(manifest.framework_versions) == {"scikit-learn", "skops", "numpy"}
    assert manifest.extra["estimator"].endswith("HistGradientBoostingRegressor")


def test_loading_a_skops_package_does_not_import_pytorch(tmp_path: Path) -> None:
    """skops walks every sklearn module, which would import PyTorch through sklearn's
    array-API shim (seconds at every cold start); the shim is hidden for that import only."""
    pytest.importorskip("torch")
    script = f"""
import importlib.util, sys
from sklearn.linear_model import LogisticRegression
from shipyard.models.package import load_package, save_package
model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
save_package(model, {str(tmp_path / "pkg")!r}, input_example=[{{"x0": 1.0}}])
load_package({str(tmp_path / "pkg")!r})
assert "torch" not in sys.modules, "PyTorch was imported"
assert importlib.util.find_spec("sklearn.externals.array_api_compat.torch") is not None
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
