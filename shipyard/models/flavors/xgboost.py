"""The XGBoost flavor: Boosters and the scikit-learn wrappers, in XGBoost's own format.

A model is saved as XGBoost's JSON (the default) or UBJSON booster file, never pickled. For a
wrapper (``XGBClassifier``, ``XGBRegressor``, …) the manifest records its class and parameters;
loading rebuilds that class from them and reads the booster file into it, so ``predict`` returns
labels as the original did. Only wrapper classes defined by XGBoost itself are rebuilt.
XGBoost is imported on first use; without it, loading names the ``xgboost`` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ModelError
from shipyard.models.flavors._support import (
    class_path,
    installed_versions,
    is_instance_of,
    plain_params,
    require,
)
from shipyard.models.flavors.base import (
    Flavor,
    Prediction,
    SavedFlavor,
    Trust,
    check_serialization,
)
from shipyard.models.manifest import Manifest
from shipyard.models.tensors import frame_tensor, frame_to_tensor

if TYPE_CHECKING:
    import pandas as pd

FILES = {"xgboost-json": "model.json", "xgboost-ubj": "model.ubj"}
EXTRA = "xgboost"


class XGBoostFlavor(Flavor):
    """XGBoost Boosters, and the scikit-learn wrappers rebuilt from their recorded parameters."""

    name = "xgboost"

    def handles(self, model: Any) -> bool:
        return is_instance_of(model, "xgboost", ("Booster", "XGBModel"))

    def framework_versions(self) -> dict[str, str]:
        return installed_versions("xgboost", "xgboost-cpu")

    def save(
        self, model: Any, directory: Path, *, serialization: str | None, trusted: bool
    ) -> SavedFlavor:
        chosen = check_serialization(
            self.name, serialization or "xgboost-json", tuple(FILES), trusted=trusted
        )
        extra: dict[str, Any] = {}
        if is_instance_of(model, "xgboost", ("XGBModel",)):
            extra["wrapper"] = class_path(type(model))
            extra["params"] = plain_params(model.get_params(), type(model).__name__)
        model.save_model(str(directory / FILES[chosen]))
        return SavedFlavor([FILES[chosen]], chosen, self.framework_versions(), extra)

    def load(self, directory: Path, manifest: Manifest, *, trusted: Trust) -> Any:
        if manifest.serialization not in FILES:
            raise ModelError(
                f"The xgboost flavor cannot load serialization {manifest.serialization!r}."
            )
        xgb = require("xgboost", EXTRA)
        path = str(directory / FILES[manifest.serialization])
        wrapper = manifest.extra.get("wrapper")
        if wrapper is None:
            booster = xgb.Booster()
            booster.load_model(path)
            return booster
        cls = _wrapper_class(xgb, wrapper)
        params = manifest.extra.get("params") or {}
        model = cls(**params)
        model.load_model(path)
        return model

    def predict(self, model: Any, frame: pd.DataFrame) -> Prediction:
        xgb = require("xgboost", EXTRA)
        named = getattr(model, "feature_names_in_", None) is not None or (
            isinstance(model, xgb.Booster) and model.feature_names is not None
        )
        data: Any = frame if named else frame_to_tensor(frame, frame_tensor(frame))
        if isinstance(model, xgb.Booster):
            predictions: Prediction = model.predict(xgb.DMatrix(data))
        else:
            predictions = model.predict(data)
        return predictions


def _wrapper_class(xgb: Any, path: str) -> type:
    module, _, name = path.rpartition(".")
    cls = getattr(xgb, name, None)
    if not module.startswith("xgboost") or not isinstance(cls, type):
        raise ModelError(
            f"The manifest names wrapper {path!r}, which is not an XGBoost scikit-learn class.",
            hint="The package was written by another tool or tampered with; do not load it.",
        )
    if not issubclass(cls, xgb.XGBModel):
        raise ModelError(f"{path} is not an XGBoost scikit-learn wrapper.")
    return cls
