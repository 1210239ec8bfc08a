"""A loaded model: the verified package, its signature, and one-call batch prediction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shipyard.core.errors import ModelError
from shipyard.models.flavors import Flavor, Prediction
from shipyard.models.manifest import Manifest
from shipyard.models.plain import to_plain
from shipyard.models.signature import ExtraPolicy, Signature


class LoadedModel:
    """A model loaded from a verified package, ready to predict.

    ``predict`` is the safe path for untrusted input (validation, then plain JSON-ready values);
    ``predict_array`` is the fast path for engines that already hold a validated frame.
    """

    registered_as: Any
    """The registry's record of this version, when it was loaded through the registry."""

    def __init__(
        self,
        raw: Any,
        *,
        flavor: Flavor,
        manifest: Manifest,
        signature: Signature,
        directory: Path | None = None,
    ) -> None:
        self.raw = raw
        self.flavor = flavor
        self.manifest = manifest
        self.signature = signature
        self.directory = directory
        self.registered_as = None

    def as_version(self) -> LoadedModel:
        """A second handle on this model (the same deserialised object) with a registry record
        of its own: two versions can share one package."""
        return LoadedModel(self.raw, flavor=self.flavor, manifest=self.manifest,
                           signature=self.signature, directory=self.directory)  # fmt: skip

    def prepare(self, data: Any, *, extra: ExtraPolicy = "reject") -> pd.DataFrame:
        """Validate ``data`` against the signature; see :meth:`Signature.prepare`."""
        return self.signature.prepare(data, extra=extra)

    def predict(self, data: Any, *, extra: ExtraPolicy = "reject") -> list[Any]:
        """Validate ``data``, predict in one vectorised call, and return plain Python values.

        Raises InputValidationError naming every bad field; returns one prediction per row
        (a list of records for models that return a DataFrame).
        """
        frame = self.signature.prepare(data, extra=extra)
        result: list[Any] = to_plain(self.predict_array(frame))
        return result

    def predict_array(self, frame: pd.DataFrame) -> Prediction:
        """Predict for an already validated frame; returns the model's own array or frame."""
        predictions = self.flavor.predict(self.raw, frame)
        try:
            rows = len(predictions)
        except TypeError:  # a scalar or a 0-d array
            rows = -1
        if rows != len(frame):
            shape = getattr(predictions, "shape", type(predictions).__name__)
            raise ModelError(
                f"The model returned {shape} for {len(frame)} input rows; "
                "expected one prediction per row.",
                hint="Make predict return an array, Series or DataFrame with a row per input.",
            )
        if not isinstance(predictions, np.ndarray | pd.Series | pd.DataFrame):
            predictions = np.asarray(predictions)
        return predictions

    def __repr__(self) -> str:
        return f"<LoadedModel flavor={self.manifest.flavor!r} inputs={self.signature.names!r}>"
