"""The ``tune:`` section of ``shipyard.yaml``: what ``shipyard tune`` searches, and how.

::

    tune:
      study: credit-risk-tuning     # default: MODEL-tuning; the same name resumes the study
      metric: roc_auc               # a metric the evaluation computes
      direction: maximize           # default: the metric's own better direction
      trials: 20                    # and/or timeout (seconds); the total for the study
      timeout: 600
      sampler: tpe                  # tpe | random | cmaes | qmc
      pruner: median                # none | median | hyperband | successive_halving
      parallelism: 1                # trials run at once in this process
      seed: 7                       # the sampler's seed (default: train.seed)
      params:
        C: {type: float, low: 0.001, high: 100, log: true}
        max_depth: {type: int, low: 2, high: 8, step: 1}
        penalty: {type: categorical, choices: [l1, l2]}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Sampler = Literal["tpe", "random", "cmaes", "qmc"]
Pruner = Literal["none", "median", "hyperband", "successive_halving"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntParam(_Model):
    """Whole numbers from ``low`` to ``high`` (inclusive), by ``step``, or on a log scale."""

    type: Literal["int"]
    low: int
    high: int
    step: int = Field(default=1, ge=1)
    log: bool = False

    @model_validator(mode="after")
    def _range(self) -> IntParam:
        if self.high <= self.low:
            raise ValueError(f"the range is empty: low {self.low} must be below high {self.high}")
        if self.log and (self.low < 1 or self.step != 1):
            raise ValueError("a log-scale int range needs low >= 1 and step 1")
        return self


class FloatParam(_Model):
    """Real numbers from ``low`` to ``high``, uniform or (``log: true``) log-uniform."""

    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    step: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _range(self) -> FloatParam:
        if self.high <= self.low:
            raise ValueError(f"the range is empty: low {self.low} must be below high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError("a log-scale float range needs low > 0")
        if self.log and self.step is not None:
            raise ValueError("a log-scale float range takes no step")
        return self


class CategoricalParam(_Model):
    """One of ``choices`` (strings, numbers, booleans or null)."""

    type: Literal["categorical"]
    choices: list[str | int | float | bool | None]

    @model_validator(mode="after")
    def _not_empty(self) -> CategoricalParam:
        if not self.choices:
            raise ValueError("the range is empty: give at least one choice")
        return self


ParamSpace = Annotated[IntParam | FloatParam | CategoricalParam, Field(discriminator="type")]


class TuneSpec(_Model):
    """The search: a space per param, the metric to optimise, and the budget."""

    study: str | None = Field(default=None, min_length=1, max_length=200)
    metric: str
    direction: Literal["maximize", "minimize"] | None = None
    trials: int | None = Field(default=None, ge=1)
    timeout: float | None = Field(default=None, gt=0)
    sampler: Sampler = "tpe"
    pruner: Pruner = "none"
    parallelism: int = Field(default=1, ge=1, le=64)
    seed: int | None = Field(default=None, ge=0, lt=2**32)
    params: dict[str, ParamSpace]

    @model_validator(mode="after")
    def _budget_and_space(self) -> TuneSpec:
        if self.trials is None and self.timeout is None:
            raise ValueError("give `trials`, `timeout`, or both, to bound the search")
        if not self.params:
            raise ValueError("the search space is empty: name at least one param")
        return self

    def space(self) -> dict[str, dict[str, Any]]:
        """The search space as plain data (recorded on the study's run)."""
        return {name: spec.model_dump(exclude_none=True) for name, spec in self.params.items()}
