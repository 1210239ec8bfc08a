"""The LightGBM flavor: Boosters and the scikit-learn wrappers, as LightGBM's text model.

The booster is saved with ``save_model`` (a text file, never pickle). For a wrapper
(``LGBMClassifier``, ``LGBMRegressor``, …) the manifest records its class, parameters and, for
a classifier, its classes; loading rebuilds the wrapper around the loaded booster so that
``predict`` returns labels as the original did. LightGBM is imported on first use; without it,
loading names the ``lightgbm`` extra.
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
from shipyard.models.plain import to_plain
from shipyard.models.tensors import frame_tensor, frame_to_tensor

if TYPE_CHECKING:
    import pandas as pd

FILE = "model.txt"
EXTRA = "lightgbm"


class LightGBMFlavor(Flavor):
    """LightGBM Boosters, and the scikit-learn wrappers rebuilt around the saved booster."""

    name = "lightgbm"

    def handles(self, model: Any) -> bool:
        return is_instance_of(model, "lightgbm", ("Booster", "LGBMModel"))

    def framework_versions(self) -> dict[str, str]:
        return installed_versions("lightgbm")

    def save(
        self, model: Any, directory: Path, *, serialization: str | None, trusted: bool
    ) -> SavedFlavor:
        chosen = check_serialization(
            self.name, serialization or "lightgbm-text", ("lightgbm-text",), trusted=trusted
        )
        extra: dict[str, Any] = {}
        booster = model
        if is_instance_of(model, "lightgbm", ("LGBMModel",)):
            booster = model.booster_
            extra["wrapper"] = class_path(type(model))
            extra["params"] = plain_params(model.get_params(), type(model).__name__)
            classes = getattr(model, "classes_", None)
            if classes is not None:
                extra["classes"] = to_plain(classes)
        booster.save_model(str(directory / FILE))
        return SavedFlavor([FILE], chosen, self.framework_versions(), extra)

    def load(self, directory: Path, manifest: Manifest, *, trusted: Trust) -> Any:
        if manifest.serialization != "lightgbm-text":
            raise ModelError(
                f"The lightgbm flavor cannot load serialization {manifest.serialization!r}."
            )
        lgb = require("lightgbm", EXTRA)
        booster = lgb.Booster(model_file=str(directory / FILE))
        wrapper = manifest.extra.get("wrapper")
        if wrapper is None:
            return booster
        return _rebuild(lgb, wrapper, manifest.extra, booster)

    def predict(self, model: Any, frame: pd.DataFrame) -> Prediction:
        if _named(model):
            data: Any = frame
        else:
            data = frame_to_tensor(frame, frame_tensor(frame))
        predictions: Prediction = model.predict(data)
        return predictions


def _named(model: Any) -> bool:
    """Whether the model was fitted on named columns (else it takes a plain array)."""
    if getattr(model, "_fitted_with_feature_names", None) is not None:
        return bool(model._fitted_with_feature_names)
    names = model.feature_name() if callable(getattr(model, "feature_name", None)) else []
    return not all(name.startswith("Column_") for name in names)


def _rebuild(lgb: Any, path: str, extra: dict[str, Any], booster: Any) -> Any:
    """A fitted wrapper of class ``path`` around ``booster``, as ``fit`` would have left it."""
    module, _, name = path.rpartition(".")
    cls = getattr(lgb, name, None)
    if not module.startswith("lightgbm") or not isinstance(cls, type):
        raise ModelError(
            f"The manifest names wrapper {path!r}, which is not a LightGBM scikit-learn class.",
            hint="The package was written by another tool or tampered with; do not load it.",
        )
    if not issubclass(cls, lgb.LGBMModel):
        raise ModelError(f"{path} is not a LightGBM scikit-learn wrapper.")
    model = cls(**(extra.get("params") or {}))
    names = booster.feature_name()
    model._Booster = booster
    model._n_features = model._n_features_in = booster.num_feature()
    model._fitted_with_feature_names = not all(n.startswith("Column_") for n in names)
    model._objective = booster.params.get("objective") or model.objective
    model._other_params = {}
    model._evals_result = {}
    model._best_iteration = booster.best_iteration
    model._best_score = {}
    model._class_weight = model.class_weight
    model._class_map = None
    classes = extra.get("classes")
    if classes is not None:
        import numpy as np
        from sklearn.preprocessing import LabelEncoder

        encoder = LabelEncoder()
        encoder.classes_ = np.asarray(classes)
        model._le = encoder
        model._classes = encoder.classes_
        model._n_classes = len(classes)
    model.fitted_ = True
    return model
