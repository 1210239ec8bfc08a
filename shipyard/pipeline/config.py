"""The pipeline's sections of ``shipyard.yaml``: ``data``, ``datasets``, ``train``, ``tune``,
``evaluation``, ``model``, ``promotion`` (and ``monitoring``, kept for the monitoring package).

::

    project: credit
    data:
      source: data/applications.parquet      # a path, glob, URL, or {sql: ..., url: ...}
      split: {strategy: stratified, column: default, test_size: 0.25, seed: 7}
      # or instead of source + split:  train: data/train.parquet   eval: data/eval.parquet
    datasets:                                 # expectations, as `shipyard data` reads them
      credit: {columns: {age: {dtype: integer, min: 18}}}
    train:
      entrypoint: train:fit                   # module:function, imported from this folder
      params: {C: 1.0}
      seed: 42
    evaluation: {task: classification, label: default, gates: [...]}
    model: {name: credit-risk}
    promotion:
      staging: {gates: all, auto: true}
      production: {gates: [threshold:roc_auc], approval: {distinct: true}, require: [tested]}
    ci: {checks: [ruff check .]}              # `shipyard ci` (see shipyard.ci)
    smoke: [...]                              # smoke cases (see shipyard.delivery.smoke)
    rollout: {steps: [5, 25, 50, 100]}        # progressive rollouts (shipyard.delivery.spec)
    batch: {keep: [customer_id]}              # `shipyard batch` defaults (serving.batch.config)

Every error names the file, line and key: ``shipyard.yaml:23 evaluation.gates[0].metric: ...``.
"""

from __future__ import annotations

import copy as copy_module
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from shipyard.core.config_errors import validation_problems
from shipyard.core.errors import ConfigurationError, ConfigurationKeyError, UsageError
from shipyard.core.settings import CONFIG_FILE, find_config_file
from shipyard.core.yamlfile import (
    KeyPath,
    Locate,
    load_yaml,
    parse_scalar,
    parse_yaml,
    set_path,
    split_key,
    where,
)
from shipyard.data.expectations import Expectations
from shipyard.evaluation.spec import EvaluationSpec
from shipyard.evaluation.spec_check import check_spec
from shipyard.pipeline.ci_config import CISpec
from shipyard.pipeline.tune_config import TuneSpec

_ENTRYPOINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_OVERRIDDEN = "--set"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlSource(_Model):
    """Rows of a SQL query on a database URL (read with ``shipyard.data.SqlQuery``)."""

    sql: str = Field(min_length=1)
    url: str = Field(min_length=1)


Source = str | SqlSource


class SplitSpec(_Model):
    """How one source becomes a training and an evaluation set.

    ``random``: a seeded shuffle; ``stratified``: the same, keeping the share of each value of
    ``column`` (default: the label); ``time``: rows with ``column`` before ``cutoff`` train,
    the rest evaluate (without a cutoff, the newest ``test_size`` share evaluates).
    """

    strategy: Literal["random", "stratified", "time"] = "random"
    test_size: float = Field(default=0.25, gt=0.0, lt=1.0)
    seed: int = 0
    column: str | None = None
    cutoff: str | None = None

    @model_validator(mode="after")
    def _time_needs_column(self) -> SplitSpec:
        if self.strategy == "time" and not self.column:
            raise ValueError("a time split needs `column` (the timestamp to cut on)")
        if self.cutoff is not None and self.strategy != "time":
            raise ValueError("`cutoff` belongs to a time split")
        return self


class DataSpec(_Model):
    """Where the data comes from: one ``source`` and a ``split``, or ``train`` and ``eval``."""

    name: str | None = Field(default=None, description="Dataset name; default the model's.")
    source: Source | None = None
    split: SplitSpec | None = None
    train: Source | None = None
    eval: Source | None = None

    @model_validator(mode="after")
    def _one_layout(self) -> DataSpec:
        if self.source is not None:
            if self.train is not None or self.eval is not None:
                raise ValueError("give `source` (with `split`) or `train` and `eval`, not both")
            if self.split is None:
                self.split = SplitSpec()
        elif self.train is None or self.eval is None:
            raise ValueError("give `source` (with `split`), or both `train` and `eval`")
        elif self.split is not None:
            raise ValueError("`split` applies to a single `source`")
        return self


class TrainSpec(_Model):
    """The training function: ``module:function`` receiving the data and params (by name:
    ``train``, ``eval``, ``params``, ``label``, ``seed``) and returning a fitted model."""

    entrypoint: str
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(default=0, ge=0, lt=2**32)

    @field_validator("entrypoint")
    @classmethod
    def _entrypoint_shape(cls, value: str) -> str:
        if not _ENTRYPOINT.match(value):
            raise ValueError(f"entrypoint {value!r} is not `module:function`")
        return value


class ModelSpec(_Model):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str | None = None
    trusted: bool = Field(default=False, description="Allow pickle for models skops cannot save.")
    example_rows: int = Field(default=5, ge=1, le=1000)


class ApprovalRule(_Model):
    """``approval: {distinct: true}``: an approval is required, and (four eyes) it must come
    from someone other than who registered or promotes the version."""

    distinct: bool = False

    def __bool__(self) -> bool:
        return True


class PromotionRule(_Model):
    """What must hold before the alias moves to a new version, and whether it moves by itself
    when it does (``auto``)."""

    gates: Literal["all"] | list[str] = "all"
    approval: bool | ApprovalRule = False
    require: list[Literal["tested"]] = Field(
        default_factory=list, description="Marks the version must carry: tested (shipyard ci)."
    )
    auto: bool = False

    @property
    def distinct_approver(self) -> bool:
        return isinstance(self.approval, ApprovalRule) and self.approval.distinct

    @property
    def requires_approval(self) -> bool:
        return bool(self.approval)

    @property
    def gate_names(self) -> list[str]:
        return ["*"] if self.gates == "all" else list(self.gates)


class PipelineConfig(_Model):
    project: str | None = None
    settings: dict[str, Any] | None = None
    data: DataSpec
    datasets: dict[str, Expectations] = Field(default_factory=dict)
    train: TrainSpec
    tune: TuneSpec | None = None  # `shipyard tune` (see shipyard.pipeline.tune_config)
    evaluation: EvaluationSpec
    model: ModelSpec
    promotion: dict[str, PromotionRule] = Field(default_factory=dict)
    monitoring: dict[str, Any] | None = None
    ci: CISpec = Field(default_factory=CISpec)
    smoke: list[dict[str, Any]] | None = None  # read by shipyard.delivery.smoke
    rollout: dict[str, Any] | None = None  # read by shipyard.delivery.spec
    batch: dict[str, Any] | None = None  # read by shipyard.serving.batch.config

    _path: Path | None = PrivateAttr(default=None)
    _document: dict[str, Any] = PrivateAttr(default_factory=dict)
    _locate: Locate | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file the configuration was read from (None when built in Python)."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Relative paths and the entrypoint module are resolved from here."""
        return self._path.parent if self._path is not None else Path.cwd()

    @property
    def document(self) -> dict[str, Any]:
        """The configuration as plain YAML data, overrides applied (what a run records)."""
        return self._document or self.model_dump(mode="json", exclude_none=True)

    @property
    def dataset_name(self) -> str:
        return self.data.name or self.model.name

    def where(self, key_path: Sequence[str | int]) -> str:
        """``shipyard.yaml:23 evaluation.gates[0]`` for a key of this configuration."""
        locate = self._locate or (lambda _: None)
        return where(self._path or CONFIG_FILE, locate, key_path)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True)

    def check_columns(self, columns: Mapping[str, str]) -> None:
        """Refuse, before training, gates and splits naming a metric or column the evaluation
        data (``columns``: name -> logical dtype) does not have."""
        try:
            check_spec(self.evaluation, columns)
            split = self.data.split
            if split is not None and split.column and split.column not in columns:
                raise ConfigurationKeyError(
                    f"unknown column {split.column!r} (columns: {', '.join(sorted(columns))}).",
                    key_path=("data", "split", "column"),
                )
        except ConfigurationKeyError as error:
            raise located(error, self) from None


def located(error: ConfigurationKeyError, config: PipelineConfig) -> ConfigurationError:
    """``error`` with the file and line in front of its key path."""
    message = error.message.removeprefix(f"{error.key}: ")
    return ConfigurationError(f"{config.where(error.key_path)}: {message}", hint=error.hint)


def load_pipeline_config(
    config: str | Path | PipelineConfig | None = None, *, overrides: Sequence[str] = ()
) -> PipelineConfig:
    """Read and validate the pipeline configuration (default: ``shipyard.yaml`` here).

    ``overrides`` are ``key.path=value`` strings, typed as YAML types scalars
    (``train.params.max_depth=5``). Raises ConfigurationError naming file, line and key.
    """
    if isinstance(config, PipelineConfig):
        if not overrides:
            return config
        return _validate(apply_overrides(config.document, overrides), config.path, None)
    path = Path(config) if config is not None else find_config_file()
    if path is None:
        raise ConfigurationError(
            f"There is no {CONFIG_FILE} here.",
            hint="Pass --config PATH, or create one with `shipyard init`.",
        )
    document, locate = load_yaml(path)
    if not isinstance(document, dict):
        raise ConfigurationError(
            f"{path.name} must hold a mapping of sections (data, train, evaluation, model).",
            hint="See `shipyard init` for a complete example.",
        )
    return _validate(apply_overrides(document, overrides), path.resolve(), locate, overrides)


def parse_pipeline_config(text: str, *, name: str, base_dir: Path) -> PipelineConfig:
    """A configuration from YAML text (a run's recorded configuration); paths resolve from
    ``base_dir``."""
    document, locate = parse_yaml(text, name=name)
    if not isinstance(document, dict):
        raise ConfigurationError(f"{name} does not hold a pipeline configuration.")
    return _validate(document, base_dir / name, locate)


def apply_overrides(document: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A deep copy of ``document`` with each ``key.path=value`` override set."""
    copy: dict[str, Any] = copy_module.deepcopy(dict(document))
    for pair in overrides:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--set {pair!r} is not KEY=VALUE.", hint="For example: --set train.params.C=0.5"
            )
        copy = set_path(copy, split_key(key.strip()), parse_scalar(value))
    return copy


def _validate(
    document: dict[str, Any],
    path: Path | None,
    locate: Locate | None,
    overrides: Sequence[str] = (),
) -> PipelineConfig:
    overridden = {split_key(pair.partition("=")[0].strip()) for pair in overrides}

    def located_line(key_path: Sequence[str | int]) -> int | None:
        return None if locate is None else locate(key_path)

    def label(key_path: KeyPath) -> str:
        text = where(path or CONFIG_FILE, located_line, key_path)
        marked = any(tuple(key_path[: len(o)]) == o for o in overridden)
        return f"{text} ({_OVERRIDDEN})" if marked else text

    try:
        config = PipelineConfig.model_validate(document)
    except ValidationError as exc:
        raise ConfigurationError(
            f"{validation_problems(exc, document, label)}.",
            hint="See `shipyard init` for a complete, working shipyard.yaml.",
        ) from None
    config._path, config._document, config._locate = path, document, locate
    _check_promotion(config)
    _check_tune(config)
    return config


def _check_tune(config: PipelineConfig) -> None:
    """The tuned metric must be one the evaluation computes."""
    tune = config.tune
    if tune is not None and tune.metric not in config.evaluation.metrics:
        raise ConfigurationError(
            f"{config.where(('tune', 'metric'))}: the evaluation does not compute "
            f"{tune.metric!r} (it computes {', '.join(config.evaluation.metrics)}).",
            hint="Tune a metric listed under evaluation.metrics, or add it there.",
        )


def _check_promotion(config: PipelineConfig) -> None:
    known = config.evaluation.gate_names
    for alias, rule in config.promotion.items():
        if rule.gates == "all":
            continue
        for index, name in enumerate(rule.gates):
            if name not in known:
                raise ConfigurationError(
                    f"{config.where(('promotion', alias, 'gates', index))}: unknown gate "
                    f"{name!r} (gates: {', '.join(known) or 'none'}).",
                    hint="Name a gate of `evaluation.gates` (its `name`, or the derived one).",
                )
