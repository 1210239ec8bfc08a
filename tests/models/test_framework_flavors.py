"""What the XGBoost, LightGBM, ONNX and PyTorch flavors promise beyond the conformance suite:
their formats, the wrapper rebuilt on load, trust, tensors, the ONNX conversion check, and
clear errors for a missing extra or a model no flavor knows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shipyard.core.errors import (
    InputValidationError,
    ModelError,
    UnsafeModelError,
    UnsupportedModelError,
)
from shipyard.models.flavors import OnnxFlavor, get_flavor, register_flavor
from shipyard.models.manifest import Manifest
from shipyard.models.onnx_conversion import OnnxConversionError
from shipyard.models.package import load_package, save_package
from tests.models import framework_models
from tests.models.framework_models import FRAME, LABELS

ROOT = Path(__file__).resolve().parents[2]


def test_a_model_no_flavor_knows_is_refused_with_the_list_of_flavors(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedModelError) as caught:
        save_package(object(), tmp_path / "pkg", input_example=FRAME)
    for name in ("lightgbm", "onnx", "python", "sklearn", "torch", "xgboost"):
        assert name in str(caught.value)


def test_importing_shipyard_and_its_flavors_loads_no_framework() -> None:
    code = (
        "import sys, shipyard, shipyard.models.flavors, shipyard.models.package\n"
        "loaded = {'torch', 'xgboost', 'lightgbm', 'onnx', 'onnxruntime', 'skl2onnx'}"
        " & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize(
    ("case", "module", "extra"),
    [
        ("xgboost_classifier", "xgboost", "xgboost"),
        ("lightgbm_booster", "lightgbm", "lightgbm"),
        ("onnx_regressor", "onnxruntime", "onnx"),
        ("torch_mlp", "torch", "torch"),
    ],
)
def test_a_missing_framework_names_the_extra_to_install(
    case: str, module: str, extra: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, example = getattr(framework_models, case)()
    save_package(model, tmp_path / "pkg", input_example=example)
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(ModelError) as caught:
        load_package(tmp_path / "pkg")
    assert f"pip install 'shipyard[{extra}]'" in str(caught.value.hint)


# -- XGBoost and LightGBM ----------------------------------------------------------------------


def test_an_xgboost_wrapper_is_saved_as_a_native_booster_and_rebuilt(tmp_path: Path) -> None:
    model, _ = framework_models.xgboost_classifier()
    manifest = save_package(
        model, tmp_path / "pkg", input_example=FRAME, serialization="xgboost-ubj"
    )
    assert list(manifest.files) == ["input_example.json", "model.ubj"]
    assert manifest.extra["wrapper"] == "xgboost.sklearn.XGBClassifier"
    assert manifest.extra["params"]["n_estimators"] == 5
    assert list(manifest.framework_versions) == ["xgboost"]  # whichever build is installed
    loaded = load_package(tmp_path / "pkg")
    assert type(loaded.raw).__name__ == "XGBClassifier"
    assert loaded.predict(FRAME) == model.predict(FRAME).tolist()
    assert loaded.raw.get_params()["max_depth"] == 2


def test_a_framework_flavor_refuses_a_format_it_does_not_write(tmp_path: Path) -> None:
    model, _ = framework_models.xgboost_booster()
    with pytest.raises(ModelError, match="cannot save with serialization 'pickle'"):
        save_package(model, tmp_path / "pkg", input_example=FRAME, serialization="pickle",
                     trusted=True)  # fmt: skip


def test_a_lightgbm_classifier_with_text_labels_predicts_its_labels(tmp_path: Path) -> None:
    import lightgbm as lgb

    labels = np.where(LABELS == 1, "churn", "stay")
    model = lgb.LGBMClassifier(n_estimators=5, min_child_samples=1, verbose=-1, n_jobs=1)
    model.fit(FRAME, labels)
    manifest = save_package(model, tmp_path / "pkg", input_example=FRAME)
    assert manifest.serialization == "lightgbm-text"
    assert manifest.extra["classes"] == ["churn", "stay"]
    assert (tmp_path / "pkg" / "model.txt").read_text().startswith("tree")
    loaded = load_package(tmp_path / "pkg")
    assert loaded.predict(FRAME) == model.predict(FRAME).tolist()
    assert loaded.raw.predict_proba(FRAME).tolist() == model.predict_proba(FRAME).tolist()


# -- ONNX ----------------------------------------------------------------------------------------


def churn_pipeline() -> tuple[object, pd.DataFrame]:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"plan": rng.choice(["basic", "pro"], 200),
                          "age": rng.integers(18, 80, 200),
                          "spend": rng.normal(50, 10, 200).round(2)})  # fmt: skip
    label = (frame["spend"] / 10 - frame["age"] / 20 + (frame["plan"] == "pro") > 2).astype(int)
    features = ColumnTransformer(
        [("plan", OneHotEncoder(), ["plan"]), ("numbers", StandardScaler(), ["age", "spend"])]
    )
    model = Pipeline([("features", features), ("classify", LogisticRegression())])
    return model.fit(frame, label), frame.assign(label=label)


def test_as_onnx_saves_a_checked_conversion_of_a_pipeline(tmp_path: Path) -> None:
    model, data = churn_pipeline()
    features = data.drop(columns="label")
    manifest = save_package(
        model, tmp_path / "pkg", input_example=features.head(5), as_onnx=True,
        evaluation_data=data,
    )  # fmt: skip
    assert manifest.flavor == "onnx"
    converted = manifest.extra["converted_from"]
    assert converted["estimator"] == "sklearn.pipeline.Pipeline"
    assert converted["rows_compared"] == 205
    loaded = load_package(tmp_path / "pkg")
    assert loaded.predict(features) == model.predict(features).tolist()  # type: ignore[attr-defined]


def test_an_onnx_conversion_that_changes_predictions_is_refused(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(1000, 300, 50), "b": rng.normal(0, 1, 50)})
    model = LinearRegression().fit(frame, frame["a"] * 3.3 + frame["b"] / 7)
    with pytest.raises(OnnxConversionError) as caught:
        save_package(model, tmp_path / "pkg", input_example=frame, as_onnx=True,
                     onnx_tolerance=0.0)  # fmt: skip
    assert "the largest difference is" in str(caught.value)
    assert not (tmp_path / "pkg").exists()
    manifest = save_package(model, tmp_path / "ok", input_example=frame, as_onnx=True)
    assert 0 < manifest.extra["converted_from"]["largest_difference"] < 1


def test_onnx_session_options_come_from_the_manifest_and_the_flavor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, example = framework_models.onnx_regressor()
    save_package(model, tmp_path / "pkg", input_example=example,
                 extra={"onnx_session": {"intra_op_num_threads": 2}})  # fmt: skip
    session = load_package(tmp_path / "pkg").raw.session
    assert session.get_session_options().intra_op_num_threads == 2
    monkeypatch.setenv("SHIPYARD_ONNX_THREADS", "3")
    session = load_package(tmp_path / "pkg").raw.session
    assert session.get_session_options().intra_op_num_threads == 3
    monkeypatch.setenv("SHIPYARD_ONNX_THREADS", "many")
    with pytest.raises(ModelError, match="not a thread count"):
        load_package(tmp_path / "pkg")
    monkeypatch.delenv("SHIPYARD_ONNX_THREADS")
    save_package(model, tmp_path / "fast", input_example=example,
                 extra={"onnx_session": {"graph_optimization_level": "fastest"}})  # fmt: skip
    with pytest.raises(ModelError, match="graph_optimization_level 'fastest'"):
        load_package(tmp_path / "fast")
    default = get_flavor("onnx")
    register_flavor(OnnxFlavor(intra_op_num_threads=1), replace=True)
    try:
        session = load_package(tmp_path / "pkg").raw.session
        assert session.get_session_options().intra_op_num_threads == 1
    finally:
        register_flavor(default, replace=True)


def test_an_onnx_graph_reading_an_external_file_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.zeros(2, dtype=np.float32), "w")
    weights.data_location = TensorProto.EXTERNAL
    weights.ClearField("raw_data")
    weights.external_data.add(key="location", value="secrets.txt")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", [x], [y],
                              [weights])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert isinstance(model, onnx.ModelProto)
    with pytest.raises(ModelError, match="external file"):
        save_package(model, tmp_path / "pkg", input_example=FRAME.to_numpy())


def test_onnx_inputs_are_cast_to_the_graph_types(tmp_path: Path) -> None:
    model, _ = framework_models.onnx_regressor()  # a float32 graph
    doubles = FRAME.to_numpy()  # float64: the signature takes numbers, the graph float32
    save_package(model, tmp_path / "pkg", input_example=doubles)
    loaded = load_package(tmp_path / "pkg")
    expected = (FRAME["x"] * 3 - FRAME["y"]).to_numpy()
    assert np.allclose(loaded.predict(doubles), expected, atol=1e-4)


# -- PyTorch ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_torch_module_is_exported_with_a_dynamic_batch(tmp_path: Path) -> None:
    import torch

    from tests.models.torchmodels import TinyConv

    torch.manual_seed(0)
    model = TinyConv().eval()
    images = torch.randn(3, 1, 4, 4)
    manifest = save_package(model, tmp_path / "pkg", input_example=images)
    assert manifest.serialization == "torch-export"
    assert manifest.signature["tensor"] == {"dtype": "float32", "shape": [-1, 1, 4, 4]}
    loaded = load_package(tmp_path / "pkg")
    more = torch.randn(7, 1, 4, 4)
    expected = model(more).detach().numpy().ravel().tolist()
    assert np.allclose(loaded.predict(more), expected, atol=1e-6)
    assert loaded.predict(more.numpy()) == loaded.predict(more.numpy().tolist())
    with pytest.raises(InputValidationError) as caught:
        loaded.predict(torch.randn(2, 1, 3, 3))
    assert "(batch, 1, 4, 4) float32" in str(caught.value)


def test_a_state_dict_loads_its_class_only_when_trusted(tmp_path: Path) -> None:
    from tests.models.torchmodels import TinyNet

    model = TinyNet(inputs=2, hidden=3).eval()
    example = FRAME.to_numpy().astype(np.float32)
    manifest = save_package(model, tmp_path / "pkg", input_example=example,
                            serialization="state-dict")  # fmt: skip
    assert manifest.extra["class"] == "tests.models.torchmodels:TinyNet"
    assert manifest.extra["init_kwargs"] == {"inputs": 2, "hidden": 3}
    with pytest.raises(UnsafeModelError) as caught:
        load_package(tmp_path / "pkg")
    assert "tests.models.torchmodels" in str(caught.value)
    loaded = load_package(tmp_path / "pkg", trusted=["tests.models"])
    expected = model(__import__("torch").from_numpy(example)).detach().numpy().ravel()
    assert np.allclose(loaded.predict(example), expected, atol=1e-6)


def test_a_pickled_torch_module_needs_trust_to_save_and_to_load(tmp_path: Path) -> None:
    model, example = framework_models.torch_mlp()
    with pytest.raises(UnsafeModelError):
        save_package(model, tmp_path / "pkg", input_example=example, serialization="pickle")
    save_package(model, tmp_path / "pkg", input_example=example, serialization="pickle",
                 trusted=True)  # fmt: skip
    with pytest.raises(UnsafeModelError):
        load_package(tmp_path / "pkg")
    assert len(load_package(tmp_path / "pkg", trusted=True).predict(example)) == len(example)


def test_a_torchscript_module_is_saved_as_torchscript_only_when_trusted(tmp_path: Path) -> None:
    import warnings

    import torch

    model, example = framework_models.torch_mlp()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.trace(model, torch.from_numpy(example))
    with pytest.raises(UnsafeModelError):  # TorchScript is code that PyTorch runs
        save_package(scripted, tmp_path / "pkg", input_example=example)
    manifest = save_package(scripted, tmp_path / "pkg", input_example=example, trusted=True)
    assert manifest.serialization == "torchscript"
    with pytest.raises(UnsafeModelError):
        load_package(tmp_path / "pkg")
    loaded = load_package(tmp_path / "pkg", trusted=True)
    expected = model(torch.from_numpy(example)).detach().numpy()
    assert np.allclose(np.asarray(loaded.predict(example)), expected, atol=1e-6)


def test_torch_runs_on_the_cpu_unless_a_device_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from shipyard.models.flavors import TorchFlavor

    assert TorchFlavor().device == "cpu"
    monkeypatch.setenv("SHIPYARD_TORCH_DEVICE", "cuda:1")
    assert TorchFlavor().device == "cuda:1"
    assert TorchFlavor(device="cpu").device == "cpu"


def test_manifests_of_every_format_read_back(tmp_path: Path) -> None:
    model, example = framework_models.lightgbm_booster()
    manifest = save_package(model, tmp_path / "pkg", input_example=example)
    assert (
        Manifest.read(tmp_path / "pkg").serialization == "lightgbm-text" == manifest.serialization
    )


def _rewrite(archive: Path, change: dict[str, bytes]) -> None:
    """Rewrite members of a zip archive (ending with the given names) with new bytes."""
    import zipfile

    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    for name in members:
        for suffix, data in change.items():
            if name.endswith(suffix):
                members[name] = data
    with zipfile.ZipFile(archive, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


@pytest.mark.parametrize("part", ["weights", "sample inputs"])
def test_an_exported_program_with_pickled_parts_loads_only_when_trusted(
    part: str, tmp_path: Path
) -> None:
    import datetime as dt
    import json
    import pickle
    import zipfile

    model, example = framework_models.torch_mlp()
    save_package(model, tmp_path / "pkg", input_example=example)
    archive = tmp_path / "pkg" / "model.pt2"
    flavor, manifest = get_flavor("torch"), Manifest.read(tmp_path / "pkg")
    assert flavor.load(tmp_path / "pkg", manifest, trusted=False) is not None
    if part == "weights":
        with zipfile.ZipFile(archive) as source:
            name = next(n for n in source.namelist() if n.endswith("_weights_config.json"))
            config = json.loads(source.read(name))
        first = next(iter(config["config"].values()))
        first["use_pickle"] = True
        _rewrite(archive, {"_weights_config.json": json.dumps(config).encode()})
    else:
        _rewrite(archive, {"sample_inputs/model.pt": pickle.dumps(dt.timedelta(days=1))})
    with pytest.raises(UnsafeModelError, match="pickle"):
        flavor.load(tmp_path / "pkg", manifest, trusted=False)
    with pytest.raises(UnsafeModelError):  # a trust list of types does not cover pickles
        flavor.load(tmp_path / "pkg", manifest, trusted=["torch"])
