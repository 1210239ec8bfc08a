"""Settings: one object, resolved once, from (highest first) explicit arguments, the
environment (``SHIPYARD_STORE_URL``, ``SHIPYARD_ARTIFACTS_URL``, …), ``shipyard.yaml`` and
defaults.

In ``shipyard.yaml`` the project name is the top-level ``project`` key and settings live under
``settings``; relative paths there are relative to the file::

    project: churn
    settings:
      store_url: sqlite:///.shipyard/shipyard.db
      artifacts_url: .shipyard/artifacts
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shipyard.core.errors import ConfigurationError

CONFIG_FILE = "shipyard.yaml"
ENV_PREFIX = "SHIPYARD_"


class Settings(BaseModel):
    """Where Shipyard keeps its records and how it behaves (resolve with
    :func:`load_settings`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(
        default=Path(".shipyard"),
        description="Folder for the default SQLite store and artifact folder.",
    )
    store_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; default SQLite in `home`.",
    )
    artifacts_url: str | None = Field(
        default=None,
        description="fsspec URL or path of the artifact store; default `home`/artifacts.",
    )
    project: str = Field(default="default", min_length=1, description="Project of new runs.")
    actor: str | None = Field(
        default=None, description="Who is acting, for the audit log; default user@host."
    )
    metric_flush_interval: float = Field(
        default=2.0, gt=0, description="Seconds between background flushes of buffered metrics."
    )
    metric_buffer_size: int = Field(
        default=50_000, gt=0, description="Buffered metrics that trigger an early flush."
    )
    capture_git: bool = Field(default=True, description="Record git commit, dirty flag, diff.")
    capture_packages: bool = Field(default=True, description="Record installed packages.")
    serve_max_batch_size: int = Field(
        default=64, gt=0, description="Most rows the server predicts in one model call."
    )
    serve_max_wait_ms: float = Field(
        default=2.0, ge=0, description="Longest a request waits for others to batch with."
    )
    serve_poll_interval: float = Field(
        default=2.0, gt=0, description="Seconds between the server's checks for alias moves."
    )
    serve_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body the server accepts."
    )
    prediction_log_flush_interval: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between prediction-log writes: a crash loses at most this much.",
    )
    prediction_log_max_pending_rows: int = Field(
        default=100_000, gt=0, description="Prediction-log rows buffered before writers wait."
    )
    trusted_types: tuple[str, ...] = Field(
        default=(),
        description="Model types this workspace trusts to load beyond the safe defaults, e.g. "
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor.",
    )
    trusted_modules: tuple[str, ...] = Field(
        default=(),
        description="Modules (and their submodules) whose classes a python-flavor package may "
        "name to be loaded by reference; importing a module runs its code, so nothing is "
        "trusted by default. E.g. [churn_model].",
    )
    heartbeat_interval: float = Field(
        default=15.0, gt=0, description="Seconds between a live run's heartbeats."
    )
    heartbeat_timeout: float = Field(
        default=600.0,
        gt=0,
        description="A run on another host whose last heartbeat is older than this many "
        "seconds is reaped as killed.",
    )
    config_file: Path | None = Field(
        default=None, description="The shipyard.yaml these settings were read from, if any."
    )

    @field_validator("store_url", "artifacts_url")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def resolved_store_url(self) -> str:
        """The metadata store URL, with the SQLite default filled in."""
        if self.store_url:
            return self.store_url
        return f"sqlite:///{(self.home / 'shipyard.db').as_posix()}"

    @property
    def resolved_artifacts_url(self) -> str:
        """The artifact store URL, with the local default filled in."""
        if self.artifacts_url:
            return self.artifacts_url
        return (self.home / "artifacts").as_posix()


def find_config_file(start: Path | None = None) -> Path | None:
    """``shipyard.yaml`` in ``start`` (default: the working directory), if there is one."""
    candidate = (start or Path.cwd()) / CONFIG_FILE
    return candidate if candidate.is_file() else None


def _read_yaml_settings(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(
            f"Cannot read {path}: {exc}", hint="Fix the YAML syntax or remove the file."
        ) from exc
    if not isinstance(document, dict):
        raise ConfigurationError(
            f"{path} must hold a mapping at the top level.", hint="See `shipyard init`."
        )
    section = document.get("settings") or {}
    if not isinstance(section, dict):
        raise ConfigurationError(f"`settings` in {path} must be a mapping.")
    values: dict[str, Any] = dict(section)
    if "project" in document:
        values.setdefault("project", document["project"])
    base = path.parent
    if "home" in values:
        values["home"] = _relative_to(base, str(values["home"]))
    else:
        values["home"] = base / ".shipyard"
    for key in ("store_url", "artifacts_url"):
        if isinstance(values.get(key), str):
            values[key] = _resolve_url(base, values[key])
    values["config_file"] = path
    return values


def _relative_to(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _resolve_url(base: Path, url: str) -> str:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        relative = url.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            return f"sqlite:///{_relative_to(base, relative).as_posix()}"
    if "://" not in url:
        return _relative_to(base, url).as_posix()
    return url


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings; ``overrides`` win over environment, file and defaults.

    Raises :class:`ConfigurationError` naming the bad key when a value is invalid.
    """
    values = _read_yaml_settings(find_config_file())
    values.update(_environment_settings())
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(
            f"Invalid settings: {problems}.",
            hint="Check SHIPYARD_* environment variables, shipyard.yaml and options.",
        ) from exc


_LIST_SETTINGS = {"trusted_types", "trusted_modules"}
"""Settings whose environment variable holds a JSON list."""


def _environment_settings() -> dict[str, Any]:
    """``SHIPYARD_<NAME>`` variables (any case) of the settings there are; the value is given
    to the setting as text (a JSON list for list settings), to be validated with the rest."""
    found: dict[str, Any] = {}
    for variable, text in os.environ.items():
        if not variable.upper().startswith(ENV_PREFIX):
            continue
        name = variable[len(ENV_PREFIX) :].lower()
        if name not in Settings.model_fields:
            continue
        if name in _LIST_SETTINGS:
            try:
                found[name] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigurationError(
                    f"{variable} is not a JSON list: {exc.msg}.",
                    hint=f'Write it as {variable}=\'["first", "second"]\'.',
                ) from None
        else:
            found[name] = text
    return found
