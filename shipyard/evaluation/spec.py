"""The ``evaluation:`` section of ``shipyard.yaml``: metrics, slices and gates.

::

    evaluation:
      task: classification          # or regression
      label: default                # the label column of the evaluation data
      positive_label: 1             # binary tasks; default: the second of the sorted classes
      metrics: [roc_auc, f1, accuracy]
      slices: [region]              # per-slice metrics in the report
      gates:
        - {kind: threshold, metric: roc_auc, min: 0.75}
        - {kind: no_regression, metric: roc_auc, against: production, tolerance: 0.01}
        - {kind: slice, column: region, metric: recall, min: 0.6, min_rows: 50}
        - {kind: fairness, sensitive: sex, constraint: demographic_parity, measure: ratio,
           min: 0.8}
        - {kind: invariance, columns: [applicant_id], max_changed: 0.0}
        - {kind: directional, column: income, factor: 1.5, expect: decrease, min_share: 0.9}
        - kind: minimum_functionality
          cases:
            - {input: {income: 250000, debt: 0}, expect: 0}
        - {kind: baseline, model: linear, metric: roc_auc, margin: 0.01}
      feature_importance: {metric: roc_auc, max_rows: 300}   # on by default; `false`: off

Each gate has a ``name`` that promotion policies refer to. Left out, it is derived from what
the gate checks (``threshold:roc_auc``, ``fairness:sex:demographic_parity_ratio``) and made
unique with ``#2``, ``#3`` … when two gates would share one. :func:`~shipyard.evaluation.
spec_check.check_spec` checks a spec against the evaluation data's columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from shipyard.core.declared import Declared
from shipyard.evaluation.catalog import DEFAULT_METRICS, Task

KeyPath = tuple[str | int, ...]


class _Model(Declared):
    model_config = ConfigDict(extra="forbid")


class _Bounds(_Model):
    """A value must lie within [min, max]; at least one bound is given."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> _Bounds:
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class _Gate(_Model):
    name: str | None = Field(default=None, description="Unique name; derived when left out.")

    def derived_name(self) -> str:
        raise NotImplementedError

    def metric_refs(self) -> list[tuple[str, str]]:
        """(key, metric) pairs this gate uses."""
        return []

    def column_refs(self) -> list[tuple[KeyPath, str]]:
        """(key path within the gate, column) pairs this gate reads."""
        return []


class ThresholdGate(_Gate, _Bounds):
    """A metric over the whole evaluation set must lie within bounds."""

    kind: Literal["threshold"]
    metric: str

    def derived_name(self) -> str:
        return f"threshold:{self.metric}"

    def metric_refs(self) -> list[tuple[str, str]]:
        return [("metric", self.metric)]


class NoRegressionGate(_Gate):
    """A metric must not be worse than the version behind an alias by more than ``tolerance``."""

    kind: Literal["no_regression"]
    metric: str
    against: str = "production"
    tolerance: float = Field(default=0.0, ge=0.0)

    def derived_name(self) -> str:
        return f"no_regression:{self.metric}@{self.against}"

    def metric_refs(self) -> list[tuple[str, str]]:
        return [("metric", self.metric)]


class SliceGate(_Gate, _Bounds):
    """A metric must lie within bounds on every value of a column with at least ``min_rows``."""

    kind: Literal["slice"]
    column: str
    metric: str
    min_rows: int = Field(default=30, ge=1)

    def derived_name(self) -> str:
        return f"slice:{self.column}:{self.metric}"

    def metric_refs(self) -> list[tuple[str, str]]:
        return [("metric", self.metric)]

    def column_refs(self) -> list[tuple[KeyPath, str]]:
        return [(("column",), self.column)]


class FairnessGate(_Gate):
    """Demographic parity or equalized odds over a sensitive column, as fairlearn computes it.

    A difference is bounded by ``max`` (default 0.1), a ratio by ``min`` (default 0.8, the
    four-fifths rule).
    """

    kind: Literal["fairness"]
    sensitive: str
    constraint: Literal["demographic_parity", "equalized_odds"]
    measure: Literal["difference", "ratio"] = "difference"
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _default_bound(self) -> FairnessGate:
        if self.min is None and self.max is None:
            if self.measure == "difference":
                self.max = 0.1
            else:
                self.min = 0.8
        return self

    @property
    def statistic(self) -> str:
        """fairlearn's name for the number: ``demographic_parity_difference`` …"""
        return f"{self.constraint}_{self.measure}"

    def derived_name(self) -> str:
        return f"fairness:{self.sensitive}:{self.statistic}"

    def column_refs(self) -> list[tuple[KeyPath, str]]:
        return [(("sensitive",), self.sensitive)]


class InvarianceGate(_Gate):
    """Perturbing ``columns`` must change at most ``max_changed`` of the predictions.

    ``perturb: resample`` gives every row another value observed in that column; ``noise``
    adds Gaussian noise of ``noise`` standard deviations to a numeric column. A regression
    prediction counts as changed when it moves by more than ``tolerance``.
    """

    kind: Literal["invariance"]
    columns: list[str] = Field(min_length=1)
    perturb: Literal["resample", "noise"] = "resample"
    noise: float = Field(default=0.1, gt=0.0)
    max_changed: float = Field(default=0.0, ge=0.0, le=1.0)
    tolerance: float = Field(default=0.0, ge=0.0)
    seed: int = 0

    def derived_name(self) -> str:
        return f"invariance:{','.join(self.columns)}"

    def column_refs(self) -> list[tuple[KeyPath, str]]:
        return [(("columns", i), column) for i, column in enumerate(self.columns)]


class DirectionalGate(_Gate):
    """Changing a numeric column by ``delta`` (added) or ``factor`` (multiplied) must move the
    score in the ``expect``-ed direction, or leave it unchanged, for at least ``min_share`` of
    the rows (``strict: true``: it must move). The score is the probability of ``score_of``
    (default: the positive label) for a classifier, the prediction for a regressor.
    """

    kind: Literal["directional"]
    column: str
    delta: float | None = None
    factor: float | None = None
    expect: Literal["increase", "decrease"]
    min_share: float = Field(default=0.95, ge=0.0, le=1.0)
    strict: bool = False
    score_of: Any = None

    @model_validator(mode="after")
    def _one_change(self) -> DirectionalGate:
        if (self.delta is None) == (self.factor is None):
            raise ValueError("give exactly one of `delta` (added) or `factor` (multiplied)")
        return self

    def derived_name(self) -> str:
        return f"directional:{self.column}:{self.expect}"

    def column_refs(self) -> list[tuple[KeyPath, str]]:
        return [(("column",), self.column)]


class Case(_Model):
    """One input row and what the model must answer for it.

    Columns left out of ``input`` take a typical value of the evaluation data (the median of a
    number, the most frequent value otherwise). ``expect`` is the label that must be predicted;
    ``min``/``max`` bound the score (the positive-label probability, or the regression value).
    """

    name: str | None = None
    input: dict[str, Any]
    expect: Any = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _an_expectation(self) -> Case:
        if self.expect is None and self.min is None and self.max is None:
            raise ValueError("give `expect` (a label), `min`/`max` (a score range), or both")
        return self


class MinimumFunctionalityGate(_Gate):
    """Explicit cases the model must get right; at least ``min_pass`` of them (default all)."""

    kind: Literal["minimum_functionality"]
    cases: list[Case] = Field(min_length=1)
    min_pass: float = Field(default=1.0, ge=0.0, le=1.0)

    def derived_name(self) -> str:
        return "minimum_functionality"

    def column_refs(self) -> list[tuple[KeyPath, str]]:
        return [
            (("cases", i, "input", column), column)
            for i, case in enumerate(self.cases)
            for column in case.input
        ]


class BaselineGate(_Gate):
    """The candidate must beat a simple model by ``margin`` on ``metric``: ``dummy`` (the prior
    class, or the mean) or ``linear`` (a logistic or ridge regression over standardised numbers
    and one-hot categories), trained on the same training data and scored on the same
    evaluation data."""

    kind: Literal["baseline"]
    model: Literal["dummy", "linear"] = "linear"
    metric: str
    margin: float = Field(default=0.0, ge=0.0)

    def derived_name(self) -> str:
        return f"baseline:{self.model}:{self.metric}"

    def metric_refs(self) -> list[tuple[str, str]]:
        return [("metric", self.metric)]


class FeatureImportanceSpec(_Model):
    """Global feature importance, measured on every evaluation unless switched off
    (``feature_importance: false``), on a seeded sample of the evaluation rows.

    Permutation importance (any model): how much ``metric`` (default: the first declared
    metric the model could be scored on) worsens when one feature's values are shuffled,
    averaged over ``repeats`` shuffles of at most ``max_rows`` rows. A feature whose
    importance is not above zero is flagged: the model does not benefit from it.

    SHAP importance (``shap``; tree ensembles and linear models, when ``shap`` is installed):
    the mean absolute SHAP value per feature over the first ``shap_rows`` rows of the sample,
    so the record is the same on every machine. ``shap_seconds`` optionally caps the time
    spent: rows are then explained 25 at a time until it has passed (a large ensemble explains
    fewer rows; the record says how many). A model SHAP cannot explain fast is skipped, the
    reason recorded."""

    metric: str | None = None
    repeats: int = Field(default=3, ge=1, le=50)
    max_rows: int = Field(default=300, ge=10)
    seed: int = 0
    shap: bool = True
    shap_rows: int = Field(default=100, ge=10)
    shap_seconds: float | None = Field(default=None, gt=0)


Gate = Annotated[
    ThresholdGate
    | NoRegressionGate
    | SliceGate
    | FairnessGate
    | InvarianceGate
    | DirectionalGate
    | MinimumFunctionalityGate
    | BaselineGate,
    Field(discriminator="kind"),
]

BEHAVIOURAL_KINDS = frozenset({"invariance", "directional", "minimum_functionality"})


class EvaluationSpec(_Model):
    """What to measure on the evaluation data, and the gates a candidate model must pass."""

    task: Task
    label: str
    positive_label: Any = None
    metrics: list[str] = Field(default_factory=list)
    slices: list[str] = Field(default_factory=list)
    gates: list[Gate] = Field(default_factory=list)
    feature_importance: FeatureImportanceSpec | None = Field(default_factory=FeatureImportanceSpec)

    @model_validator(mode="before")
    @classmethod
    def _importance_switch(cls, raw: Any) -> Any:
        """``feature_importance: true`` asks for the defaults, ``false`` for none."""
        if isinstance(raw, Mapping) and isinstance(raw.get("feature_importance"), bool):
            return {**raw, "feature_importance": {} if raw["feature_importance"] else None}
        return raw

    @model_validator(mode="after")
    def _defaults_and_names(self) -> EvaluationSpec:
        if not self.metrics:
            self.metrics = list(DEFAULT_METRICS[self.task])
        explicit = [gate.name for gate in self.gates if gate.name is not None]
        duplicated = sorted({name for name in explicit if explicit.count(name) > 1})
        if duplicated:
            raise ValueError(f"gate names must be unique; used twice: {', '.join(duplicated)}")
        taken = set(explicit)
        for gate in self.gates:
            if gate.name is None:
                base = candidate = gate.derived_name()
                ordinal = 1
                while candidate in taken:
                    ordinal += 1
                    candidate = f"{base}#{ordinal}"
                gate.name = candidate
                taken.add(candidate)
        return self

    @property
    def importance_metric(self) -> str | None:
        """The metric permutation importance is measured with (the configured one, else the
        first declared metric); None when it is switched off."""
        if self.feature_importance is None:
            return None
        return self.feature_importance.metric or self.metrics[0]

    @property
    def gate_names(self) -> list[str]:
        """Every gate's name, in order."""
        return [str(gate.name) for gate in self.gates]

    def metrics_needed(self) -> list[str]:
        """The declared metrics, then those only gates use, without repeats."""
        names = list(self.metrics)
        for gate in self.gates:
            names += [metric for _, metric in gate.metric_refs() if metric not in names]
        if self.importance_metric is not None and self.importance_metric not in names:
            names.append(self.importance_metric)
        return names
