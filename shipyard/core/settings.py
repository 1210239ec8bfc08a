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
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from shipyard.core.errors import ConfigurationError
from shipyard.core.serve_options import setting_fields
from shipyard.core.yamlfile import DEFAULT_MAX_BYTES, load_yaml, where

CONFIG_FILE = "shipyard.yaml"
ENV_PREFIX = "SHIPYARD_"


class _Settings(BaseModel):
    """Where Shipyard keeps its records and how it behaves (resolve with
    :func:`load_settings`). The serving defaults (``serve_max_batch_size``,
    ``prediction_log_flush_interval``, …) are added from their one declaration in
    :mod:`shipyard.core.serve_options`."""

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
    trusted_types: tuple[str, ...] = Field(
        default=(),
        description="Model types this workspace trusts to load beyond the safe defaults, e.g. "
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor.",
    )
    config_max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES,
        gt=0,
        description="Largest configuration file read (shipyard.yaml, expectations, monitors); "
        "set it with SHIPYARD_CONFIG_MAX_BYTES, since it bounds reading shipyard.yaml itself.",
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


if TYPE_CHECKING:
    Settings = _Settings
else:
    Settings = create_model("Settings", __base__=_Settings, __module__=__name__, **setting_fields())
    Settings.__qualname__ = "Settings"
    Settings.__doc__ = _Settings.__doc__


def find_config_file(start: Path | None = None) -> Path | None:
    """``shipyard.yaml`` in ``start`` (default: the working directory), if there is one."""
    candidate = (start or Path.cwd()) / CONFIG_FILE
    return candidate if candidate.is_file() else None


def _read_yaml_settings(path: Path | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``settings`` section of ``path`` (with ``project``), and for each key its place
    (``shipyard.yaml:4 settings.store_url``)."""
    if path is None:
        return {}, {}
    document, locate = load_yaml(path)
    document = {} if document is None else document
    if not isinstance(document, dict):
        raise ConfigurationError(
            f"{path.name} must hold a mapping at the top level.", hint="See `shipyard init`."
        )
    section = document.get("settings") or {}
    if not isinstance(section, dict):
        raise ConfigurationError(f"{where(path, locate, ('settings',))}: must be a mapping.")
    values: dict[str, Any] = dict(section)
    places = {str(key): where(path, locate, ("settings", key)) for key in section}
    if "project" in document and "project" not in values:
        values["project"] = document["project"]
        places["project"] = where(path, locate, ("project",))
    base = path.parent
    if "home" in values:
        values["home"] = _relative_to(base, str(values["home"]))
    else:
        values["home"] = base / ".shipyard"
    for key in ("store_url", "artifacts_url"):
        if isinstance(values.get(key), str):
            values[key] = _resolve_url(base, values[key])
    values["config_file"] = path
    return values, places


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

    Raises :class:`ConfigurationError` naming the bad key (with its line in shipyard.yaml,
    or its environment variable) when a value is invalid.
    """
    values, places = _read_yaml_settings(find_config_file())
    environment = _environment_settings()
    values.update(environment)
    explicit = {key: value for key, value in overrides.items() if value is not None}
    values.update(explicit)
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else "settings"
            if key in explicit:
                label = key
            elif key in environment:
                label = f"{ENV_PREFIX}{key.upper()}"
            else:
                label = places.get(key) or ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{label}: {err['msg']}")
        raise ConfigurationError(
            f"Invalid settings: {'; '.join(problems)}.",
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
