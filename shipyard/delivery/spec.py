"""The ``rollout:`` section of ``shipyard.yaml`` (also accepted as options of ``sy.rollout``).

::

    rollout:
      steps: [5, 25, 50, 100]     # the canary's share of traffic at each step, in percent
      interval: 1m                # shortest time at each step (a number is seconds)
      min_samples: 200            # fewest values per arm before a check is judged
      max_duration: 2h            # then on_failure applies, saying the evidence never came
      alpha: 0.05                 # chance an identical canary is ever rolled back
      on_failure: rollback        # or pause
      approval: true              # a person resumes the rollout before the last step
      labels: optional            # metric checks may be left out while no label arrived
      smoke: true                 # smoke tests before any traffic, and after promotion
      sinks: [ops]                # monitoring sinks the rollback alert goes to
      checks:
        - {name: errors, kind: error_rate, tolerance: 0.005, max: 0.02}
        - {name: p99, kind: latency, quantile: 0.99, max_ms: 300}
        - {name: accuracy, kind: metric, metric: accuracy, tolerance: 0.02, min: 0.8}
        - {name: drift, kind: divergence, max: 0.2}

Every error names the file and line: ``shipyard.yaml:14 rollout.checks[1].quantile: ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.core.errors import ConfigurationError, ShipyardError, UsageError
from shipyard.core.yamlfile import dotted, load_yaml, where
from shipyard.delivery.analysis import Check
from shipyard.delivery.decide import StepPlan
from shipyard.monitoring.window import parse_duration

SECTION = "rollout"
HIGHER_IS_BETTER = frozenset({"accuracy", "auc", "roc_auc", "f1", "precision", "recall", "r2"})
"""Metrics where a lower canary figure is the worse one."""
_GUARDRAIL = {"error_rate": "max", "latency": "max_ms", "divergence": "max"}
_CHECK_KEYS = frozenset({"name", "kind", "tolerance", "quantile", "metric", "higher_is_better",
                         "tau", "max", "max_ms", "min"})  # fmt: skip
_KEYS = frozenset({"steps", "interval", "min_samples", "max_duration", "alpha", "on_failure",
                   "approval", "labels", "smoke", "sinks", "checks", "servers",
                   "config"})  # fmt: skip


@dataclass(frozen=True)
class RolloutSpec:
    """A rollout's plan (:class:`StepPlan`) and what surrounds it: smoke tests, the sinks a
    rollback alert goes to, and the servers whose readiness and counters are read (besides
    the one the deployment records)."""

    plan: StepPlan = field(default_factory=StepPlan)
    smoke: bool = True
    sinks: tuple[str, ...] = ("log",)
    servers: tuple[str, ...] = ()
    config: str | None = None
    """The shipyard.yaml the smoke cases and monitoring sinks are read from."""

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "steps": list(plan.steps), "interval": plan.min_interval_s,
            "min_samples": plan.min_samples, "max_duration": plan.max_duration_s,
            "alpha": plan.alpha, "on_failure": plan.on_failure,
            "approval": plan.approval_before_last,
            "labels": "required" if plan.labels_required else "optional",
            "smoke": self.smoke, "sinks": list(self.sinks), "servers": list(self.servers),
            "config": self.config, "checks": [_check_dict(check) for check in plan.checks],
        }  # fmt: skip


def parse_spec(
    section: Mapping[str, Any] | None, *, at: Callable[..., str] | None = None
) -> RolloutSpec:
    """A :class:`RolloutSpec` from the section's plain data; ``at(*key_path)`` names a key
    in errors (default: its dotted path)."""
    place = at or (lambda *path: dotted((SECTION, *path)))
    data = dict(section or {})
    for key in data:
        if key not in _KEYS:
            raise ConfigurationError(f"{place(key)}: unknown key.",
                                     hint=f"Known: {', '.join(sorted(_KEYS))}.")  # fmt: skip
    defaults = StepPlan()
    try:
        checks = _checks(data.get("checks"), place) if "checks" in data else defaults.checks
        steps = data.get("steps", defaults.steps)
        if not isinstance(steps, list | tuple) or not all(_is_int(s) for s in steps):
            raise ConfigurationError(f"{place('steps')}: expected a list of whole percentages.",
                                     hint="For example steps: [5, 25, 50, 100].")  # fmt: skip
        labels = data.get("labels", "required")
        if labels not in ("required", "optional"):
            raise ConfigurationError(f"{place('labels')}: expected required or optional.")
        plan = StepPlan(
            steps=tuple(int(s) for s in steps),
            checks=checks,
            min_interval_s=_seconds(data, "interval", defaults.min_interval_s, place, zero=True),
            min_samples=_int(data, "min_samples", defaults.min_samples, place),
            max_duration_s=_seconds(data, "max_duration", defaults.max_duration_s, place),
            alpha=_number(data, "alpha", defaults.alpha, place),
            on_failure=data.get("on_failure", defaults.on_failure),
            labels_required=labels == "required",
            approval_before_last=_bool(data, "approval", False, place),
        )
    except ConfigurationError:
        raise
    except ShipyardError as exc:  # the plan's own checks: name the key they are about
        named = next((k for k in ("steps", "on_failure", "min_samples") if k in exc.message), None)
        raise ConfigurationError(
            f"{place(named) if named else place()}: {exc.message}", hint=exc.hint
        ) from None
    return RolloutSpec(
        plan=plan,
        smoke=_bool(data, "smoke", True, place),
        sinks=_strings(data, "sinks", ("log",), place),
        servers=_strings(data, "servers", (), place),
        config=str(data["config"]) if data.get("config") else None,
    )


def load_spec(path: str | Path | None) -> RolloutSpec | None:
    """The ``rollout:`` section of ``path`` (None when there is no file or no section)."""
    if path is None or not Path(path).is_file():
        return None
    document, locate = load_yaml(path)
    section = document.get(SECTION) if isinstance(document, dict) else None
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigurationError(f"{where(path, locate, (SECTION,))}: expected a mapping.",
                                 hint="See docs/rollouts.md for the rollout section.")  # fmt: skip
    return parse_spec(section, at=lambda *key: where(path, locate, (SECTION, *key)))


def spec_with(base: RolloutSpec | None, options: Mapping[str, Any]) -> RolloutSpec:
    """``base`` (the file's section, or the defaults) with ``options`` given in Python or on
    the command line laid over it, key by key; None values are ignored."""
    merged = {**(base or RolloutSpec()).to_dict(), **{k: v for k, v in options.items()
                                                       if v is not None}}  # fmt: skip
    return parse_spec(merged)


def _checks(value: Any, place: Callable[..., str]) -> tuple[Check, ...]:
    if isinstance(value, Check):
        return (value,)
    if not isinstance(value, list | tuple) or not value:
        raise ConfigurationError(f"{place('checks')}: expected a list of checks.",
                                 hint="For example checks: [{kind: error_rate}].")  # fmt: skip
    found = []
    for index, item in enumerate(value):
        if isinstance(item, Check):
            found.append(item)
            continue
        if not isinstance(item, Mapping):
            raise ConfigurationError(f"{place('checks', index)}: expected a mapping.")
        for key in item:
            if key not in _CHECK_KEYS:
                raise ConfigurationError(
                    f"{place('checks', index, key)}: unknown key.",
                    hint=f"A check may hold {', '.join(sorted(_CHECK_KEYS))}.")  # fmt: skip
        kind = item.get("kind", item.get("name"))
        metric = item.get("metric")
        higher = bool(item.get("higher_is_better", metric in HIGHER_IS_BETTER))
        guard = _guard_key(str(kind), higher)
        wrong = [k for k in ("max", "max_ms", "min") if k in item and k != guard]
        if wrong:
            raise ConfigurationError(
                f"{place('checks', index, wrong[0])}: a {kind} check's guard-rail is "
                f"{guard or 'not set this way'}.")  # fmt: skip
        try:
            found.append(Check(
                name=str(item.get("name") or metric or kind), kind=kind,
                tolerance=item.get("tolerance"),
                quantile=item.get("quantile"), metric=metric,
                higher_is_better=higher,
                limit=item.get(guard) if guard else None, tau=item.get("tau"),
            ))  # fmt: skip
        except ShipyardError as exc:
            raise ConfigurationError(f"{place('checks', index)}: {exc.message}",
                                     hint=exc.hint) from None  # fmt: skip
    return tuple(found)


def _check_dict(check: Check) -> dict[str, Any]:
    data: dict[str, Any] = {"name": check.name, "kind": check.kind}
    for key in ("tolerance", "quantile", "metric", "tau"):
        if getattr(check, key) is not None:
            data[key] = getattr(check, key)
    if check.kind == "metric":
        data["higher_is_better"] = check.higher_is_better
    if check.limit is not None:
        data[_guard_key(check.kind, check.higher_is_better) or "max"] = check.limit
    return data


def _guard_key(kind: str, higher_is_better: bool) -> str | None:
    """The key of a check's guard-rail: ``min`` for a metric where higher is better."""
    if kind == "metric":
        return "min" if higher_is_better else "max"
    return _GUARDRAIL.get(kind)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(
    data: Mapping[str, Any], key: str, default: float, place: Callable[..., str], *,
    zero: bool = False,
) -> float:  # fmt: skip
    value = data.get(key, default)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value > 0 or (zero and value == 0):
            return float(value)
    elif isinstance(value, str):
        try:
            return parse_duration(value).total_seconds()
        except UsageError:
            pass
    raise ConfigurationError(
        f"{place(key)}: {value!r} is not a duration.",
        hint="Write seconds, or a number and a unit: 30s, 5m, 1h.",
    )


def _int(data: Mapping[str, Any], key: str, default: int, place: Callable[..., str]) -> int:
    value = data.get(key, default)
    if not _is_int(value) or value < 1:
        raise ConfigurationError(f"{place(key)}: expected a whole number of at least 1.")
    return int(value)


def _number(data: Mapping[str, Any], key: str, default: float, place: Callable[..., str]) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ConfigurationError(f"{place(key)}: expected a number between 0 and 1.")
    return float(value)


def _bool(data: Mapping[str, Any], key: str, default: bool, place: Callable[..., str]) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(f"{place(key)}: expected true or false.")
    return value


def _strings(
    data: Mapping[str, Any], key: str, default: Sequence[str], place: Callable[..., str]
) -> tuple[str, ...]:
    value = data.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(f"{place(key)}: expected a list of names.")
    return tuple(value)
