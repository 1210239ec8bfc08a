"""Reading an MLflow model directory, without MLflow: its ``MLmodel``, its input example, and
the model itself in a form a Shipyard flavor packages.

``MLmodel`` is YAML; only the fields read here are trusted to exist: ``flavors`` (each with
its own files), ``signature``, ``saved_input_example_info`` (``artifact_path``, ``type``,
``pandas_orient`` and ``serving_input_path``, all read from the file, not assumed) and
``requirements.txt`` beside it. A model is converted by the first flavor Shipyard knows, in
the order of :data:`CONVERTIBLE`:

- ``onnx``: ``model.onnx`` (external tensor files refused by the ONNX flavor);
- ``xgboost``: the booster file, into the class ``model_class`` names (an XGBoost class only);
- ``lightgbm``: a Booster's text model; a scikit-learn wrapper's skops file, whose types
  must be trusted as for any skops file;
- ``pytorch``: a ``torch.export`` archive (checked for pickled parts first); a pickled
  module only with ``trusted=True``;
- ``sklearn``: skops (types checked), pickle or cloudpickle only with ``trusted=True``;
- a ``python_function`` with custom code (a ``python_model`` pickle or a loader module of
  its own) only with ``trusted=True``, kept as the MLflow directory and run by MLflow's
  ``pyfunc`` at load time (MLflow must then be installed where it is loaded).
"""

from __future__ import annotations

import importlib
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import orjson
import yaml

from shipyard.core.errors import ModelError, UnsafeModelError, UnsupportedModelError
from shipyard.models.flavors._pt2 import check_pt2
from shipyard.models.flavors._support import require
from shipyard.models.flavors.base import Trust
from shipyard.models.flavors.sklearn import load_skops

MLMODEL = "MLmodel"
CONVERTIBLE = ("onnx", "xgboost", "lightgbm", "pytorch", "sklearn")
"""The MLflow flavors converted to Shipyard's own, in the order they are preferred."""
_EXTRAS = {"onnx": "onnx", "xgboost": "xgboost", "lightgbm": "lightgbm", "pytorch": "torch"}


@dataclass(frozen=True)
class MlflowModel:
    """An MLflow model directory, read: the parsed ``MLmodel`` and where it lives."""

    directory: Path
    mlmodel: dict[str, Any]

    @property
    def flavors(self) -> dict[str, Any]:
        flavors = self.mlmodel.get("flavors")
        return flavors if isinstance(flavors, dict) else {}

    @property
    def requirements(self) -> list[str]:
        path = self.directory / "requirements.txt"
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]

    def source(self, uri: str, flavor: str) -> dict[str, Any]:
        """What the manifest keeps of where the model came from."""
        info = self.mlmodel.get("saved_input_example_info") or {}
        return {
            "uri": uri,
            "flavor": flavor,
            "flavors": sorted(self.flavors),
            "mlflow_version": self.mlmodel.get("mlflow_version"),
            "model_uuid": self.mlmodel.get("model_uuid"),
            "run_id": self.mlmodel.get("run_id"),
            "signature": self.mlmodel.get("signature"),
            "input_example": info.get("artifact_path"),
            "serving_input_path": info.get("serving_input_path"),
            "requirements": self.requirements,
            "created": str(self.mlmodel.get("utc_time_created") or "") or None,
        }


def read_mlflow_model(directory: str | Path) -> MlflowModel:
    """Parse ``directory/MLmodel``; a directory without one is not an MLflow model."""
    root = Path(directory)
    path = root / MLMODEL
    if not path.is_file():
        raise ModelError(
            f"{root} is not an MLflow model: it has no {MLMODEL} file.",
            hint="Point at the model's own folder (the one holding MLmodel), e.g. "
            "mlruns/…/artifacts/model, or download it with `mlflow artifacts download`.",
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is not a readable MLmodel file: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("flavors"), dict):
        raise ModelError(f"{path} names no flavors, so it is not an MLflow model file.")
    return MlflowModel(root, document)


def choose_flavor(model: MlflowModel) -> str:
    """The MLflow flavor to convert: a known one, else ``python_function`` (custom code)."""
    for name in CONVERTIBLE:
        if name in model.flavors:
            return name
    pyfunc = model.flavors.get("python_function")
    loader = str((pyfunc or {}).get("loader_module") or "")
    if pyfunc is not None and not _builtin_loader(loader):
        return "python_function"
    raise UnsupportedModelError(
        f"This MLflow model has the flavors {', '.join(sorted(model.flavors))}; Shipyard "
        f"imports {', '.join(CONVERTIBLE)} and python_function models with custom code.",
        hint="Convert it to ONNX first, or wrap it as a python_function model (trusted).",
    )


def _builtin_loader(loader: str) -> bool:
    """Whether a python_function loader is an MLflow flavor of its own (mlflow.tensorflow…),
    rather than custom code (mlflow.pyfunc.model, or a module of the user's)."""
    return loader.startswith("mlflow.") and not loader.startswith("mlflow.pyfunc")


def input_example(model: MlflowModel) -> Any:
    """The stored input example (a DataFrame or an array), or None when there is none."""
    import numpy as np
    import pandas as pd

    info = model.mlmodel.get("saved_input_example_info") or {}
    example_path, serving_path = info.get("artifact_path"), info.get("serving_input_path")
    data: Any = None
    if example_path and (model.directory / str(example_path)).is_file():
        data = orjson.loads((model.directory / str(example_path)).read_bytes())
    elif serving_path and (model.directory / str(serving_path)).is_file():
        data = orjson.loads((model.directory / str(serving_path)).read_bytes())
    if data is None:
        return None
    if isinstance(data, dict):
        for key in ("dataframe_split", "dataframe_records", "inputs", "instances"):
            if key in data:
                data = data[key]
                break
    kind = info.get("type")
    if kind == "ndarray" or (kind is None and isinstance(data, list) and data
                             and isinstance(data[0], list)):  # fmt: skip
        if isinstance(data, dict):
            raise ModelError("This MLflow model's input example has several named tensors.",
                             hint="Pass input_example= with one array of its input.")  # fmt: skip
        return np.asarray(data, dtype=_tensor_dtype(model) or None)
    if isinstance(data, dict) and "columns" in data:
        return pd.DataFrame(data["data"], columns=data["columns"])
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return pd.DataFrame.from_records(data)
    raise ModelError(
        f"This MLflow model's input example (type {kind!r}) is not a table or an array.",
        hint="Pass input_example= with a few rows of real input.",
    )


def _tensor_dtype(model: MlflowModel) -> str | None:
    """The dtype of the model's single tensor input, when its signature declares one."""
    inputs = (model.mlmodel.get("signature") or {}).get("inputs")
    try:
        specs = orjson.loads(inputs) if isinstance(inputs, str) else None
    except orjson.JSONDecodeError:
        return None
    if isinstance(specs, list) and len(specs) == 1 and specs[0].get("type") == "tensor":
        dtype = (specs[0].get("tensor-spec") or {}).get("dtype")
        return str(dtype) if dtype else None
    return None


@dataclass(frozen=True)
class Converted:
    """A native model ready for a Shipyard flavor, and the serialization to save it with."""

    model: Any
    flavor: str
    serialization: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def load_native(model: MlflowModel, flavor: str, *, trusted: Trust) -> Converted:
    """The model of ``flavor`` (see :func:`choose_flavor`) loaded natively, trust respected."""
    conf = model.flavors.get(flavor) or {}
    if flavor in _EXTRAS:
        require({"pytorch": "torch"}.get(flavor, flavor), _EXTRAS[flavor])
    loader = _LOADERS[flavor]
    return loader(model, conf, trusted)


def _file(model: MlflowModel, conf: dict[str, Any], *keys: str) -> Path:
    for key in keys:
        name = conf.get(key)
        if isinstance(name, str) and name:
            path = (model.directory / name).resolve()
            if model.directory.resolve() not in path.parents:
                raise ModelError(f"MLmodel names a file outside the model folder: {name!r}.")
            if path.exists():
                return path
    raise ModelError(
        f"This MLflow model's files are missing: MLmodel names none of {', '.join(keys)} "
        "that exists.",
    )


def _need_trust(what: str, trusted: Trust) -> None:
    if trusted is not True:
        raise UnsafeModelError(
            f"This MLflow model is {what}; importing it would run the code in the file, so it "
            "was not imported.",
            hint="Pass trusted=True (--trusted) only if you trust where this model came from.",
        )


def _onnx(model: MlflowModel, conf: dict[str, Any], trusted: Trust) -> Converted:
    onnx = importlib.import_module("onnx")
    path = _file(model, conf, "data")
    graph = onnx.load(str(path), load_external_data=False)
    return Converted(graph, "onnx", notes={"providers": conf.get("providers")})


def _xgboost(model: MlflowModel, conf: dict[str, Any], trusted: Trust) -> Converted:
    xgb = importlib.import_module("xgboost")
    path = _file(model, conf, "data")
    name = str(conf.get("model_class") or "xgboost.core.Booster")
    module, _, cls_name = name.rpartition(".")
    if module.split(".")[0] != "xgboost":
        raise UnsafeModelError(
            f"This MLflow XGBoost model names the class {name}, which is not XGBoost's.",
            hint="Only XGBoost's own classes are rebuilt on import.",
        )
    cls = getattr(importlib.import_module(module), cls_name, None)
    if not isinstance(cls, type):
        raise ModelError(f"XGBoost {xgb.__version__} has no class {name}.")
    booster = cls()
    booster.load_model(str(path))
    return Converted(booster, "xgboost")


def _lightgbm(model: MlflowModel, conf: dict[str, Any], trusted: Trust) -> Converted:
    lgb = importlib.import_module("lightgbm")
    path = _file(model, conf, "data")
    if path.suffix == ".lgb" or conf.get("model_class") == "lightgbm.basic.Booster":
        return Converted(lgb.Booster(model_file=str(path)), "lightgbm")
    return Converted(_scikit_file(path, conf, trusted), "lightgbm")


def _sklearn(model: MlflowModel, conf: dict[str, Any], trusted: Trust) -> Converted:
    path = _file(model, conf, "pickled_model")
    return Converted(_scikit_file(path, conf, trusted), "sklearn")


def _scikit_file(path: Path, conf: dict[str, Any], trusted: Trust) -> Any:
    """A scikit-learn(-style) estimator file: skops with its types checked against the
    caller's trust (never the list the file's author wrote), or a pickle only when trusted."""
    if conf.get("serialization_format") == "skops" or path.suffix == ".skops":
        return load_skops(path, trusted=trusted)
    _need_trust(f"a {conf.get('serialization_format') or 'pickle'} file ({path.name})", trusted)
    if conf.get("serialization_format") == "cloudpickle":
        importlib.import_module("cloudpickle")  # the classes it pickles by value need it
    with path.open("rb") as handle:
        return pickle.load(handle)  # noqa: S301 - only reached with trusted=True


def _pytorch(model: MlflowModel, conf: dict[str, Any], trusted: Trust) -> Converted:
    torch = importlib.import_module("torch")
    folder = _file(model, conf, "model_data")
    exported = folder / "model.pt2" if folder.is_dir() else folder
    if exported.suffix == ".pt2" and exported.is_file():
        if trusted is not True:
            check_pt2(exported, torch)
        return Converted(torch.export.load(str(exported)), "torch")
    pickled = folder / "model.pth" if folder.is_dir() else folder
    _need_trust(f"a pickled PyTorch module ({pickled.name})", trusted)
    module = torch.load(str(pickled), map_location="cpu", weights_only=False)
    return Converted(module.eval(), "torch", serialization="torch-export")


def _python_function(model: MlflowModel, conf: dict[str, Any], trusted: Trust) -> Converted:
    loader = conf.get("loader_module")
    _need_trust(f"a python_function model with custom code (loader {loader})", trusted)
    return Converted(MlflowPyfunc.from_directory(model.directory), "python", "reference")


_LOADERS = {
    "onnx": _onnx,
    "xgboost": _xgboost,
    "lightgbm": _lightgbm,
    "pytorch": _pytorch,
    "sklearn": _sklearn,
    "python_function": _python_function,
}


class MlflowPyfunc:
    """A custom MLflow ``python_function`` model kept as its MLflow directory and run by
    MLflow's ``pyfunc`` (packaged by reference: loading it imports this class, so the package
    loads only for a caller who trusts it, and MLflow must be installed there)."""

    FOLDER: ClassVar[str] = "mlflow"

    def __init__(self, directory: Path, model: Any = None) -> None:
        self.directory = directory
        self._model = model

    @classmethod
    def from_directory(cls, directory: Path) -> MlflowPyfunc:
        return cls(directory, _pyfunc(directory))

    def predict(self, frame: Any) -> Any:
        return self._model.predict(frame)

    def save_model(self, directory: Path) -> None:
        shutil.copytree(self.directory, directory / self.FOLDER)

    @classmethod
    def load_model(cls, directory: Path) -> MlflowPyfunc:
        return cls.from_directory(directory / cls.FOLDER)


def _pyfunc(directory: Path) -> Any:
    try:
        pyfunc = importlib.import_module("mlflow.pyfunc")
    except ImportError as exc:
        raise ModelError(
            "This MLflow python_function model runs through MLflow, which is not installed.",
            hint="Install mlflow where the model is imported and served (pip install mlflow).",
        ) from exc
    return pyfunc.load_model(str(directory))
