"""The ``monitoring:`` section of ``shipyard.yaml``: alert rules and the sinks they notify.

::

    monitoring:
      window: 1h
      label: churned              # reference column predictions are compared with (optional)
      sinks:
        ops: {type: webhook, url: "http://127.0.0.1:9000/hook", retries: 3}
        team: {type: slack, url: "https://hooks.slack.com/services/..."}
        oncall: {type: email, host: smtp.example.com, port: 587, starttls: true,
                 sender: shipyard@example.com, to: [oncall@example.com],
                 username: shipyard, password_env: SMTP_PASSWORD}
      rules:
        - name: feature-drift
          metric: drift           # a feature's drift score (PSI for numbers, JS for categories)
          features: "*"           # or a list of feature names
          above: 0.2
          for: 2                  # consecutive windows
          severity: warning
          sinks: [log, ops]
          retrain: true
        - {name: auc-floor, metric: roc_auc, below: 0.75, severity: critical, sinks: [oncall]}
        - {name: nulls, metric: null_rate, features: [income], above: 0.05}
        - {name: deps, metric: dependency_mismatch, above: 0}    # see monitoring.checks
        - {name: stale, metric: model_age, above: 30d}         # days, or a duration
        - {name: slower, metric: latency_regression, above: 1.5}

A rule naming an unknown metric, feature or sink is refused when the rules are checked, with
the key path (``monitoring.rules[1].features[0]``), before any window is computed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from shipyard.core.config_errors import validation_problems
from shipyard.core.errors import ConfigurationError
from shipyard.core.settings import find_config_file
from shipyard.core.yamlfile import Locate, dotted, load_yaml, where
from shipyard.data.drift import CATEGORICAL_STATISTICS, NUMERIC_STATISTICS
from shipyard.evaluation.catalog import METRICS
from shipyard.monitoring.window import DURATION, UNITS

SECTION = "monitoring"
FEATURE_METRICS = ("drift", *sorted({*NUMERIC_STATISTICS, *CATEGORICAL_STATISTICS}),
                   "null_rate", "out_of_range_rate", "unseen_rate")  # fmt: skip
"""Metrics read per feature: ``drift`` is the score of the feature's own method."""
CHECK_METRICS = {
    "dependency_mismatch": ("dependencies", "count"),
    "model_age": ("summary", "model_age_days"),
    "nonfinite_predictions": ("numerical", "nonfinite"),
    "nonfinite_rate": ("numerical", "nonfinite_rate"),
    "out_of_range_predictions": ("numerical", "out_of_range"),
    "out_of_range_prediction_rate": ("numerical", "out_of_range_rate"),
    "latency_regression": ("comparison", "latency_regression"),
    "throughput_ratio": ("comparison", "throughput_ratio"),
}
"""Where the window checks of ``shipyard.monitoring.checks`` store each rule metric: a
section of the result's service health (or its summary) and a key."""
WINDOW_METRICS = (
    "prediction_drift", "schema_violations", "rows", "error_rate", "load_failures",
    "latency_p50", "latency_p95", "latency_p99", "drift_share", *CHECK_METRICS, *METRICS,
)  # fmt: skip
KNOWN_METRICS = (*FEATURE_METRICS, *WINDOW_METRICS)
Severity = Literal["info", "warning", "critical"]


def _key(*path: str | int) -> str:
    """``monitoring.rules[0].metric`` for a key path under the section (no file known)."""
    return dotted((SECTION, *path))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SinkSpec(_Strict):
    type: Literal["log", "webhook", "slack", "email"]
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=5.0, gt=0)
    retries: int = Field(default=3, ge=0, le=20)
    backoff: float = Field(default=0.5, ge=0)
    host: str | None = None
    port: int = 25
    sender: str | None = None
    to: list[str] = Field(default_factory=list)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> SinkSpec:
        if self.type in ("webhook", "slack") and not self.url:
            raise ValueError(f"a {self.type} sink needs a url")
        if self.type == "email" and not (self.host and self.sender and self.to):
            raise ValueError("an email sink needs host, sender and to")
        return self


class Rule(_Strict):
    name: str = Field(min_length=1, max_length=200)
    metric: str
    features: list[str] | Literal["*"] | None = None
    above: float | None = None
    below: float | None = None
    for_windows: int = Field(default=1, alias="for", ge=1, le=100)
    severity: Severity = "warning"
    sinks: list[str] = Field(default_factory=lambda: ["log"])
    retrain: bool = False
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _age_as_duration(cls, raw: Any) -> Any:
        """``model_age`` is in days; its bound may be written as a duration (``30d``)."""
        if not isinstance(raw, dict) or raw.get("metric") != "model_age":
            return raw
        found = dict(raw)
        for key in ("above", "below"):
            if isinstance(found.get(key), str):
                found[key] = _days(found[key])
        return found

    @model_validator(mode="after")
    def _one_bound(self) -> Rule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self

    @property
    def per_feature(self) -> bool:
        return self.metric in FEATURE_METRICS

    def breached(self, value: float) -> bool:
        return value > self.above if self.above is not None else value < (self.below or 0.0)

    @property
    def condition(self) -> str:
        return f"> {self.above:g}" if self.above is not None else f"< {self.below:g}"


def _days(text: str) -> float:
    match = DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (write a number and a unit: 12h, 30d, 8w)")
    return float(match[1]) * UNITS[match[2]] / 86400


class DriftSettings(_Strict):
    numeric_method: str = "psi"
    categorical_method: str = "jensen_shannon"
    thresholds: dict[str, float] = Field(default_factory=dict)  # statistic -> drift level


class MonitoringConfig(_Strict):
    window: str = "1h"
    label: str | None = None
    task: Literal["classification", "regression"] | None = None
    positive_label: Any = None
    drift: DriftSettings = Field(default_factory=DriftSettings)
    sinks: dict[str, SinkSpec] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    delivery_wait: float = Field(default=10.0, ge=0)
    dependency_level: Literal["major", "minor", "exact"] = "minor"
    _at: Callable[..., str] = PrivateAttr(default_factory=lambda: _key)
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The shipyard.yaml this was read from: the pipeline a retrain runs."""
        return self._path

    @model_validator(mode="after")
    def _names(self) -> MonitoringConfig:
        names = [rule.name for rule in self.rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(twice)}")
        return self

    def sink(self, name: str) -> SinkSpec:
        if name == "log" and name not in self.sinks:
            return SinkSpec(type="log")
        return self.sinks[name]


def parse_config(
    section: Any, *, name: str | None = None, locate: Locate | None = None
) -> MonitoringConfig:
    """The monitoring section as a :class:`MonitoringConfig`. Errors name the key path, and
    with ``locate`` (from ``shipyard.core.yamlfile.load_yaml``) the file's line:
    ``shipyard.yaml:23 monitoring.rules[0].metric: unknown metric 'aucc' (known: ...)``."""

    def at(*path: str | int) -> str:
        return (
            where(name, locate, (SECTION, *path)) if name and locate else dotted((SECTION, *path))
        )

    try:
        config = MonitoringConfig.model_validate(section or {})
    except ValidationError as exc:
        raise ConfigurationError(
            validation_problems(exc, section or {}, lambda key_path: at(*key_path)),
            hint="See the monitoring section in the docs.",
        ) from None
    config._at = at
    for index, rule in enumerate(config.rules):
        if rule.metric not in KNOWN_METRICS:
            raise ConfigurationError(
                f"{at('rules', index, 'metric')}: unknown metric {rule.metric!r} "
                f"(known: {', '.join(KNOWN_METRICS)}).", hint="Fix the rule's metric.",
            )  # fmt: skip
        if rule.features is not None and not rule.per_feature:
            raise ConfigurationError(
                f"{at('rules', index, 'features')}: metric {rule.metric!r} is not per feature."
            )
        for position, sink in enumerate(rule.sinks):
            if sink != "log" and sink not in config.sinks:
                raise ConfigurationError(
                    f"{at('rules', index, 'sinks', position)}: unknown sink {sink!r} "
                    f"(declared: {', '.join(['log', *config.sinks])}).",
                    hint="Declare it under monitoring.sinks.",
                )  # fmt: skip
    return config


def check_features(
    config: MonitoringConfig, features: list[str], columns: Mapping[str, Any] | None = None
) -> None:
    """Refuse rules naming a feature the model does not have, and a ``label`` the reference
    data (``columns``) does not hold."""
    if config.label is not None and columns is not None and config.label not in columns:
        raise ConfigurationError(
            f"{config._at('label')}: the reference data has no column {config.label!r} "
            f"(columns: {', '.join(columns)}).",
            hint="Name the label column of the training data, or leave `label` out.",
        )
    known = set(features)
    for index, rule in enumerate(config.rules):
        if not isinstance(rule.features, list):
            continue
        for position, name in enumerate(rule.features):
            if name not in known:
                raise ConfigurationError(
                    f"{config._at('rules', index, 'features', position)}: unknown feature "
                    f"{name!r} (known: {', '.join(features)}).",
                    hint="Use the model's input column names.",
                )  # fmt: skip


def load_config(path: str | Path | None = None) -> MonitoringConfig:
    """The monitoring section of ``path`` (default: ``shipyard.yaml`` in the working
    directory); an empty configuration when there is none."""
    file = Path(path) if path is not None else find_config_file()
    if file is None or not file.is_file():
        return MonitoringConfig()
    document, locate = load_yaml(file)
    if not isinstance(document, dict):
        raise ConfigurationError(f"{file} must hold a mapping at the top level.")
    config = parse_config(document.get(SECTION), name=file.name, locate=locate)
    config._path = file.resolve()
    return config
