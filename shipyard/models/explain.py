"""Per-prediction feature attributions: ``sy.explain(model, rows)`` and the online ``/explain``.

SHAP values, from a fast explainer only: ``TreeExplainer`` for tree ensembles (XGBoost,
LightGBM, scikit-learn forests and boosting) and ``LinearExplainer`` for linear models, with
the package's stored input example as the background rows. A scikit-learn ``Pipeline`` is
explained at its final estimator, on the features its steps produce, and each produced feature
(``num__age``, ``cat__region_north``) is added back to the input column it came from, so the
attributions name the columns the caller sent and still sum, with the base value, to the
model's raw output (log-odds for a classifier, the value for a regressor). A binary
classifier is explained for its positive class, a multiclass one for each class.

A model no fast explainer handles is refused with :class:`ExplanationUnavailableError`
naming the reason; SHAP itself is the ``explain`` extra. Global importance (permutation
importance, for any model) belongs to the evaluation; mean absolute SHAP values per column
(:meth:`Explanation.global_importance`) are the SHAP side of it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from shipyard.core.errors import ModelError, UsageError
from shipyard.models.flavors._support import is_instance_of, require

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from shipyard.models.loaded import LoadedModel

BACKGROUND_ROWS = 100


class ExplanationUnavailableError(ModelError):
    """The model has no fast explainer (or its explainer cannot run): the reason says why."""

    http_status = 422


@dataclass(frozen=True)
class Explanation:
    """Attributions for some rows: one value per input column per row, plus the base value.

    ``values[i][j]`` is column ``features[j]``'s part of row ``i``'s raw output; ``classes``
    is set for a multiclass model, and ``values`` then has one such table per class.
    """

    method: str
    features: list[str]
    values: list[Any]
    base_value: Any
    output: str
    classes: list[Any] | None = None

    def rows(self) -> list[dict[str, Any]]:
        """Each row's attributions by column name (by class, then column, for multiclass)."""
        if self.classes is None:
            return [dict(zip(self.features, row, strict=True)) for row in self.values]
        return [
            {str(c): dict(zip(self.features, table[i], strict=True))
             for c, table in zip(self.classes, self.values, strict=True)}
            for i in range(len(self.values[0]))
        ]  # fmt: skip

    def global_importance(self) -> dict[str, float]:
        """Mean absolute attribution per column over these rows, largest first."""
        import numpy as np

        array = np.abs(np.asarray(self.values, dtype=float))
        means = array.mean(axis=tuple(range(array.ndim - 1)))
        ranked = sorted(zip(self.features, means.tolist(), strict=True), key=lambda p: -p[1])
        return dict(ranked)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "output": self.output, "base_value": self.base_value,
                "classes": self.classes, "attributions": self.rows()}  # fmt: skip


def explain(model: LoadedModel, rows: Any) -> Explanation:
    """SHAP attributions of ``model`` (a loaded package, e.g. ``sy.load_model(ref)``) for
    ``rows`` (anything ``predict`` accepts), validated against its signature first."""
    if not callable(getattr(model, "prepare", None)) or not hasattr(model, "raw"):
        raise UsageError(
            f"explain takes a loaded model, not {type(model).__name__}.",
            hint="Load it first: sy.explain(sy.load_model('NAME@ALIAS'), rows).",
        )
    frame = model.prepare(rows)
    background = _background(model)
    return explain_frame(model.raw, frame, background)


def explain_frame(raw: Any, frame: pd.DataFrame, background: pd.DataFrame | None) -> Explanation:
    """Attributions of the native model ``raw`` for a validated ``frame``."""
    return frame_explainer(raw, background).explain(frame)


def frame_explainer(raw: Any, background: pd.DataFrame | None) -> FrameExplainer:
    """The fast SHAP explainer of the native model ``raw`` (built once, then asked for any
    number of frames); ``background`` is what a linear model is explained against."""
    import numpy as np

    final = raw[-1] if _is_pipeline(raw) else raw
    kind = _kind(final)
    shap = import_shap()
    produced = None
    if kind == "linear":
        if background is None or background.empty:
            raise ExplanationUnavailableError(
                "A linear model is explained against background rows, and this package has "
                "no input example to use.",
                hint="Save the package with an input_example.",
            )
        produced = _final_step(raw, background)[1]
    try:
        if kind == "tree":
            explainer = shap.TreeExplainer(final)
        else:
            explainer = shap.LinearExplainer(final, np.asarray(produced, dtype=float))
    except Exception as exc:
        raise ExplanationUnavailableError(
            f"SHAP has no explainer for this {type(final).__name__}: {type(exc).__name__}: {exc}",
            hint="Tree and linear models on numeric features are explained.",
        ) from exc
    return FrameExplainer(raw, final, kind, explainer)


@dataclass(frozen=True)
class FrameExplainer:
    """A SHAP explainer built for one model: :meth:`explain` gives a frame's attributions."""

    raw: Any
    final: Any
    kind: str
    explainer: Any

    @property
    def method(self) -> str:
        return f"shap-{self.kind}"

    def explain(self, frame: pd.DataFrame) -> Explanation:
        """Attributions for a validated ``frame``, per input column."""
        import numpy as np

        _, produced, names = _final_step(self.raw, frame)
        final, explainer = self.final, self.explainer
        try:
            with warnings.catch_warnings():  # notes on output shapes that changed across versions
                warnings.simplefilter("ignore", UserWarning)
                values = explainer.shap_values(_matrix(produced, names, self.kind))
        except Exception as exc:
            raise ExplanationUnavailableError(
                f"SHAP could not explain this {type(final).__name__}: {type(exc).__name__}: {exc}",
                hint="Tree and linear models on numeric features are explained.",
            ) from exc
        base = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        array = np.asarray(values, dtype=float)
        if isinstance(values, list):  # older SHAP: one table per class
            array = np.stack(values, axis=-1)
        if array.ndim == 2:
            array = array[..., None]
        columns = list(frame.columns)
        mapped = np.stack(
            [_to_inputs(array[..., k], names, columns) for k in range(array.shape[-1])]
        )
        classes = list(getattr(final, "classes_", [])) or None
        if mapped.shape[0] == 2:  # a binary classifier: the positive class
            mapped, base, classes = mapped[1:], base[-1:], None
        if mapped.shape[0] == 1:
            return Explanation(self.method, columns, mapped[0].tolist(), float(base[0]), "raw")
        return Explanation(self.method, columns, mapped.tolist(), base.tolist(), "raw",
                           classes=_plain(classes))  # fmt: skip


def import_shap() -> Any:
    """The shap module (slow to import: numba), or ModelError naming the ``explain`` extra."""
    with warnings.catch_warnings():  # its plotting helpers warn about Matplotlib on import
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return require("shap", "explain")


def _background(model: LoadedModel) -> pd.DataFrame | None:
    if model.directory is None or not model.manifest.input_example:
        return None
    path = model.directory / model.manifest.input_example
    if not path.is_file():
        return None
    return model.prepare(orjson.loads(path.read_bytes())).head(BACKGROUND_ROWS)


def _final_step(raw: Any, frame: pd.DataFrame) -> tuple[Any, Any, list[str]]:
    """The estimator to explain, the features it sees for ``frame`` and their names."""
    if _is_pipeline(raw):
        head = raw[:-1]
        used = getattr(raw, "feature_names_in_", None)  # a pipeline fitted on fewer columns
        produced = head.transform(frame if used is None else frame[list(used)])
        if hasattr(produced, "toarray"):
            produced = produced.toarray()
        try:
            names = [str(n) for n in head.get_feature_names_out()]
        except Exception as exc:
            raise ExplanationUnavailableError(
                f"The steps of this pipeline do not name the features they produce ({exc}), "
                "so attributions cannot be given per input column.",
                hint="Use transformers with get_feature_names_out (scikit-learn's own do).",
            ) from exc
        return raw[-1], produced, names
    return raw, frame, list(frame.columns)


def _is_pipeline(raw: Any) -> bool:
    return is_instance_of(raw, "sklearn", ("Pipeline",)) and bool(getattr(raw, "steps", None))


def _kind(model: Any) -> str:
    module = type(model).__module__
    name = type(model).__name__
    if module.startswith(("xgboost", "lightgbm")) or (
        module.startswith("sklearn.") and any(part in name for part in
                                              ("Forest", "Tree", "GradientBoosting", "Trees"))
    ):  # fmt: skip
        return "tree"
    if module.startswith("sklearn.linear_model") and hasattr(model, "coef_"):
        return "linear"
    raise ExplanationUnavailableError(
        f"There is no fast explainer for a {module}.{name}: Shipyard explains tree ensembles "
        "(XGBoost, LightGBM, scikit-learn) and scikit-learn linear models with SHAP.",
        hint="Use the evaluation's permutation importance for this model's global importance.",
    )


def _matrix(produced: Any, names: list[str], kind: str) -> Any:
    """What the explainer is given: a named frame for trees (their feature names), else floats."""
    import numpy as np
    import pandas as pd

    if kind == "tree" and isinstance(produced, pd.DataFrame):
        return produced
    array = np.asarray(produced, dtype=float)
    return pd.DataFrame(array, columns=names) if kind == "tree" else array


def _to_inputs(values: np.ndarray, names: list[str], columns: list[str]) -> np.ndarray:
    """Produced-feature attributions summed into the input columns they came from."""
    import numpy as np

    if names == columns:
        return values
    index = {name: position for position, name in enumerate(columns)}
    owner = [_source_column(name, columns) for name in names]
    out = np.zeros((values.shape[0], len(columns)))
    for produced, column in enumerate(owner):
        out[:, index[column]] += values[:, produced]
    return out


def _source_column(name: str, columns: list[str]) -> str:
    """The input column a produced feature comes from (``num__age`` -> ``age``,
    ``cat__region_north`` -> ``region``): the longest column name it is, or begins with."""
    bare = name.split("__", 1)[-1]
    matches = [c for c in columns if bare == c or bare.startswith(f"{c}_")]
    if not matches:
        raise ExplanationUnavailableError(
            f"The pipeline produces a feature {name!r} that names no input column, so its "
            "attribution cannot be given to one.",
            hint="Keep input column names in the names your transformers produce.",
        )
    return max(matches, key=len)


def _plain(values: list[Any] | None) -> list[Any] | None:
    return None if values is None else [v.item() if hasattr(v, "item") else v for v in values]
