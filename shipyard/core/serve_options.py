"""How an online server behaves, declared once: each field of :class:`ServeOptions` carries its
default, help, validation, the setting that supplies its default, its command-line flag, and
whether a deployment's ``config`` may set it. Everything else is derived from these fields:

- the ``serve_*`` / ``prediction_log_*`` settings (:func:`setting_fields`),
- the keys a deployment's ``config`` accepts (:data:`DEPLOYMENT_KEYS`),
- the options and help of ``shipyard serve`` (``shipyard.cli.serve``),
- validation, here in ``__post_init__``, the same for every way in.

The object is frozen and passed to worker processes as JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from shipyard.core.errors import UsageError

DEFAULT_PORT = 8000


def option(
    default: Any,
    help: str,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    choices: tuple[str, ...] = (),
    setting: str | None = None,
    flag: str | None = "",
    deployable: bool = True,
) -> Any:
    """A :class:`ServeOptions` field. ``flag`` is the command-line option (``""``: derived
    from the name, None: not on the command line); ``setting`` the settings key that supplies
    the default; ``deployable`` whether a deployment's ``config`` may set it."""
    metadata = {"help": help, "ge": ge, "gt": gt, "le": le, "choices": choices,
                "setting": setting, "flag": flag, "deployable": deployable}  # fmt: skip
    if isinstance(default, tuple | list | dict):
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class ServeOptions:
    """Everything a server process needs besides the model: where, how fast, how safe.

    ``deployment`` names the stored deployment to serve (see ``shipyard deploy``).
    ``max_batch_size`` and ``max_wait_ms`` bound adaptive micro-batching; a batch waits only
    while other requests are being read, never when the server is idle. ``threads`` caps the
    native thread pools (OpenMP, BLAS) of each server process, 1 by default: online batches are
    small, and a gradient-boosting model that starts an OpenMP team per call answers a single
    row two to three times slower with 2 threads than with 1 (measured on 2 cores).
    """

    deployment: str
    host: str = option("127.0.0.1", "Address to bind (loopback by default).", deployable=False)
    port: int = option(DEFAULT_PORT, "TCP port.", ge=0, le=65535, deployable=False)
    workers: int = option(1, "Worker processes.", ge=1, le=64, deployable=False)
    batching: bool = option(True, "Micro-batch concurrent requests.")
    max_batch_size: int = option(64, "Most rows predicted in one model call.", ge=1,
                                 setting="serve_max_batch_size")  # fmt: skip
    max_wait_ms: float = option(2.0, "Longest a request waits for others to batch with (ms).",
                                ge=0, setting="serve_max_wait_ms")  # fmt: skip
    poll_interval: float = option(2.0, "Seconds between checks for alias moves.", gt=0,
                                  setting="serve_poll_interval")  # fmt: skip
    max_body_bytes: int = option(1_048_576, "Largest request body the server accepts (bytes).",
                                 ge=1024, setting="serve_max_body_bytes",
                                 flag="--max-body")  # fmt: skip
    tokens: tuple[str, ...] = option((), "Bearer tokens (at least 8 characters each).",
                                     flag=None, deployable=False)  # fmt: skip
    extra: Literal["reject", "ignore"] = option(
        "reject", "Unexpected columns: reject or ignore.", choices=("reject", "ignore")
    )
    unknown_categories: Literal["reject", "allow"] = option(
        "reject", "What happens to categories the signature lacks:",
        choices=("reject", "allow"))  # fmt: skip
    sticky_header: str = option("x-shipyard-key", "Header whose value keeps a caller on one "
                                "variant.", flag=None)  # fmt: skip
    log_predictions: bool = option(True, "Write the prediction log.", flag="--log/--no-log")
    log_flush_interval: float = option(
        2.0, "Seconds between prediction-log writes: a crash loses at most this much.", gt=0,
        setting="prediction_log_flush_interval", flag=None)  # fmt: skip
    log_max_pending_rows: int = option(
        100_000, "Prediction-log rows buffered before writers wait.", gt=0,
        setting="prediction_log_max_pending_rows", flag=None)  # fmt: skip
    log_failure: Literal["refuse", "answer"] = option(
        "refuse", "While the prediction log cannot write: refuse predictions at once (503) or "
        "answer them and count each unlogged one.", choices=("refuse", "answer"),
        setting="serve_log_failure")  # fmt: skip
    max_shadow_queue: int = option(1_000, "Shadow requests queued before more are dropped.",
                                   ge=0, flag=None)  # fmt: skip
    access_log: bool = option(False, "Log every request (JSON).")
    trusted: bool = option(False, "Allow every model whose loading runs code (pickle, joblib).",
                           deployable=False)  # fmt: skip
    trusted_types: tuple[str, ...] = option(
        (), "A skops type to trust (repeatable), besides the trusted_types setting; e.g. "
        "sklearn.tree._tree.Tree for a decision tree or a forest.", flag="--trust",
        deployable=False)  # fmt: skip
    graceful_timeout: float = option(30.0, "Seconds to finish requests on shutdown.", ge=0,
                                     flag=None)  # fmt: skip
    explain: bool = option(False, "Serve POST /explain: SHAP attributions per prediction.")
    explain_rate: float = option(5.0, "Most /explain requests per second (each worker).", gt=0)
    threads: int | None = option(None, "Native (OpenMP, BLAS) threads per worker; 1.", ge=1)
    settings: dict[str, Any] = field(default_factory=dict)
    metrics_dir: str | None = None
    """Set by the supervisor of several workers: the directory where each keeps its metrics,
    so any worker's ``/metrics`` shows the sum over all of them."""

    def __post_init__(self) -> None:
        problems = [
            problem
            for name, spec in OPTIONS.items()
            if (problem := _check(name, getattr(self, name), spec)) is not None
        ]
        if any(not token or len(token) < 8 for token in self.tokens):
            problems.append("every bearer token needs at least 8 characters")
        if problems:
            raise UsageError(
                f"Invalid serving options: {'; '.join(problems)}.",
                hint="See `shipyard serve --help` for each option's range.",
            )
        object.__setattr__(self, "sticky_header", self.sticky_header.lower())

    @property
    def native_threads(self) -> int:
        """Native threads each server process may use."""
        return max(1, self.threads or 1)

    def replace(self, **changes: Any) -> ServeOptions:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return orjson.dumps(dataclasses.asdict(self), default=str).decode()

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        data = orjson.loads(text)
        data["tokens"] = tuple(data.get("tokens") or ())
        data["trusted_types"] = tuple(data.get("trusted_types") or ())
        return cls(**data)


OPTIONS: dict[str, Mapping[str, Any]] = {
    f.name: f.metadata for f in dataclasses.fields(ServeOptions) if "help" in f.metadata
}
"""Each option's declaration (help, bounds, choices, setting, flag, deployable), by name."""

_DEFAULTS: dict[str, Any] = {
    f.name: f.default if f.default is not dataclasses.MISSING else () for f in
    dataclasses.fields(ServeOptions)
}  # fmt: skip

DEPLOYMENT_KEYS = frozenset(name for name, spec in OPTIONS.items() if spec["deployable"])
"""The serving options a deployment's ``config`` may set."""


_KINDS: dict[type, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float),
                                        str: (str,), tuple: (tuple, list)}  # fmt: skip


def _check(name: str, value: Any, spec: Mapping[str, Any]) -> str | None:
    default = _DEFAULTS[name]
    kinds = _KINDS.get(type(default), ()) if default is not None else (int,)
    wrong_bool = isinstance(value, bool) and bool not in kinds
    if value is not None and kinds and (not isinstance(value, kinds) or wrong_bool):
        return f"{name} must be {kinds[-1].__name__}, not {type(value).__name__}"
    if spec["choices"] and value not in spec["choices"]:
        return f"{name} must be one of {', '.join(repr(c) for c in spec['choices'])}"
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if spec["ge"] is not None and value < spec["ge"]:
        return f"{name} must be at least {spec['ge']:g}"
    if spec["gt"] is not None and value <= spec["gt"]:
        return f"{name} must be greater than {spec['gt']:g}"
    if spec["le"] is not None and value > spec["le"]:
        return f"{name} must be at most {spec['le']:g}"
    return None


def setting_fields() -> dict[str, tuple[Any, Any]]:
    """The settings that supply serving defaults, as pydantic field definitions."""
    from pydantic import Field

    found: dict[str, tuple[Any, Any]] = {}
    for item in dataclasses.fields(ServeOptions):
        if item.metadata.get("setting"):
            spec = item.metadata
            found[spec["setting"]] = (type(item.default), Field(
                default=item.default, description=spec["help"], ge=spec["ge"], gt=spec["gt"],
                le=spec["le"],
            ))  # fmt: skip
    return found


def defaults_from_settings(settings: object) -> dict[str, Any]:
    """Serving defaults taken from ``settings`` (an object with the ``setting`` fields)."""
    return {
        name: getattr(settings, spec["setting"])
        for name, spec in OPTIONS.items()
        if spec["setting"] and getattr(settings, spec["setting"], None) is not None
    }
