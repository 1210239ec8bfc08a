"""The model under evaluation, behind one interface whatever it is.

A fitted estimator is given the columns it was fitted on (``feature_names_in_``), else every
column but the label. A :class:`~shipyard.models.LoadedModel` is asked the way serving asks it:
the data is validated and converted by its signature (unknown columns dropped), labels come
from ``predict_array``, and scores from the underlying estimator's ``predict_proba``, whose
class order is checked against the signature's.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from shipyard.core.errors import ModelError
from shipyard.evaluation.metrics import Outputs
from shipyard.models.loaded import LoadedModel


class Subject:
    """A model that turns a feature frame into labels (or values) and, maybe, probabilities."""

    def __init__(self, model: Any, *, label: str) -> None:
        self.model = model
        self.label = label
        self._loaded = model if isinstance(model, LoadedModel) else None
        self._estimator = self._loaded.raw if self._loaded is not None else model
        if not callable(getattr(model, "predict", None)):
            raise ModelError(
                f"Cannot evaluate a {type(model).__name__}: it has no predict method.",
                hint="Pass a fitted estimator or a model loaded with shipyard.load_model.",
            )
        self.has_proba = callable(getattr(self._estimator, "predict_proba", None))

    @property
    def estimator(self) -> Any:
        """The model that predicts: a loaded package's native model, else the model given."""
        return self._estimator

    def features(self, data: pd.DataFrame) -> pd.DataFrame:
        """The model's input columns of ``data``, as the model expects them."""
        if self._loaded is not None:
            return self._loaded.prepare(data, extra="ignore")
        names = getattr(self._estimator, "feature_names_in_", None)
        if names is not None:
            missing = [str(n) for n in names if n not in data.columns]
            if missing:
                raise ModelError(
                    f"The evaluation data lacks columns the model was fitted on: "
                    f"{', '.join(missing)}.",
                    hint="Evaluate on data with the same columns as the training data.",
                )
            return data[list(names)]
        return data.drop(columns=[self.label], errors="ignore")

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted labels (or regression values), one per row."""
        if self._loaded is not None:
            raw = self._loaded.predict_array(features)
        else:
            raw = self._estimator.predict(_model_input(self._estimator, features))
        values = np.asarray(raw)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1 or len(values) != len(features):
            raise ModelError(
                f"The model returned predictions of shape {values.shape} for "
                f"{len(features)} rows; evaluation needs one label or value per row."
            )
        return values

    def classes(self) -> tuple[Any, ...] | None:
        """The classifier's labels in ``predict_proba`` column order, when it has them."""
        found = getattr(self._estimator, "classes_", None)
        declared = None
        if self._loaded is not None and self._loaded.signature.outputs is not None:
            declared = self._loaded.signature.outputs.classes
        if found is None:
            return tuple(declared) if declared else None
        classes = tuple(np.asarray(found).tolist())
        if declared and [str(c) for c in declared] != [str(c) for c in classes]:
            raise ModelError(
                f"The model's predict_proba columns are {list(classes)} but its signature "
                f"declares the classes {list(declared)}.",
                hint="Re-register the model so its signature matches the estimator.",
            )
        return classes

    def proba(self, features: pd.DataFrame) -> np.ndarray | None:
        """``predict_proba`` as an ``(n, k)`` array, or None when the model has none."""
        if not self.has_proba:
            return None
        model = self._estimator
        probabilities = np.asarray(model.predict_proba(_model_input(model, features)), dtype=float)
        if probabilities.ndim != 2 or probabilities.shape[0] != len(features):
            raise ModelError(
                f"predict_proba returned shape {probabilities.shape} for {len(features)} rows."
            )
        return probabilities

    def outputs(
        self,
        features: pd.DataFrame,
        *,
        task: str,
        classes: tuple[Any, ...] | None,
        positive: Any,
        only: Literal["labels", "scores"] | None = None,
    ) -> Outputs:
        """Labels and scores for ``features``; binary scores are the positive column.
        ``only`` asks the model for just what a metric reads: ``labels`` (no scores), or
        ``scores`` (the labels then being the most probable classes)."""
        if task != "classification":
            return Outputs(self.predict(features).astype(float))
        probabilities = None
        if only == "scores" and classes is not None:
            probabilities = self.proba(features)
        labels: np.ndarray | None = None
        if only == "labels" or (only == "scores" and probabilities is None):
            labels = self.predict(features)
        elif probabilities is None:
            labels, probabilities = self._labels_and_probabilities(features)
        scores: np.ndarray | None = None
        if probabilities is not None and classes is not None:
            if probabilities.shape[1] != len(classes):
                raise ModelError(
                    f"predict_proba returned {probabilities.shape[1]} columns for the "
                    f"{len(classes)} classes {list(classes)}."
                )
            if labels is None:  # the most probable class stands in for predict's answer
                labels = np.asarray(classes, dtype=object)[probabilities.argmax(axis=1)]
            scores = probabilities
            if len(classes) == 2:
                scores = probabilities[:, classes.index(positive)]
        if labels is None:
            labels = self.predict(features)
        return Outputs(labels, scores, classes, positive)

    def _labels_and_probabilities(
        self, features: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``predict`` and ``predict_proba``, side by side on two threads when the estimator
        allows it (see :func:`predicts_concurrently`): a model whose prediction runs on one
        core then takes the time of the slower call, not of both."""
        if not self.has_proba or not predicts_concurrently(self._estimator):
            return self.predict(features), self.proba(features)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="shipyard-proba") as pool:
            probabilities = pool.submit(self.proba, features)
            labels = self.predict(features)
            return labels, probabilities.result()


def predicts_concurrently(model: Any) -> bool:
    """Whether ``predict`` and ``predict_proba`` may run at once on two threads: scikit-learn's
    own estimators, whose prediction only reads the fitted state (and whose heavy loops release
    the interpreter lock). A wrapper says so for the model it wraps with a
    ``predicts_concurrently`` attribute. Other models are asked one call at a time."""
    declared = getattr(model, "predicts_concurrently", None)
    if isinstance(declared, bool):
        return declared
    return type(model).__module__.split(".")[0] == "sklearn"


def _model_input(model: Any, features: pd.DataFrame) -> Any:
    """An array for a scikit-learn estimator fitted on one (as the sklearn flavor does), else
    the frame."""
    fitted_on_array = getattr(model, "feature_names_in_", None) is None
    if fitted_on_array and getattr(model, "n_features_in_", None) is not None:
        return np.ascontiguousarray(features.to_numpy())
    return features


def resolve_classes(
    subject: Subject, y_true: pd.Series[Any], declared_positive: Any
) -> tuple[tuple[Any, ...], Any]:
    """The classes (model's order, else sorted observed labels) and the positive label.

    The positive label of a binary task is the declared one, else the second class
    (scikit-learn's positive column: ``1`` for 0/1 labels, ``True`` for booleans).
    """
    classes = subject.classes()
    if classes is None:
        observed = pd.unique(y_true.dropna())
        values = np.asarray(observed).tolist()
        try:
            classes = tuple(sorted(values))
        except TypeError:  # mixed types
            classes = tuple(sorted(values, key=repr))
    if declared_positive is not None:
        matches = [c for c in classes if c == declared_positive or str(c) == str(declared_positive)]
        if not matches:
            raise ModelError(
                f"The positive label {declared_positive!r} is not one of the model's classes "
                f"{list(classes)}.",
                hint="Set evaluation.positive_label to one of them.",
            )
        return classes, matches[0]
    if len(classes) == 2:
        return classes, classes[1]
    return classes, None
