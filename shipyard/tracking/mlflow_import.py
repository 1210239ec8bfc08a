"""``sy.import_mlflow_model``: an MLflow model as a registered, validated Shipyard version.

The model is read from its MLflow directory (:mod:`shipyard.models.mlflow_model`), converted
to the matching Shipyard flavor, saved in that flavor's safe format and registered by an
``import`` run. Like any package, it is checked before it is stored: its input example must
pass its signature and run through the converted model. The manifest keeps the source
(``extra.mlflow``: the URI, MLflow's flavors, signature, input example paths and
requirements).

``runs:/RUN/PATH`` and ``models:/NAME/VERSION`` (or ``@ALIAS``) are fetched through MLflow's
own client, which must then be installed (it is never a dependency of Shipyard); the import
run then also records the MLflow run's params, metrics and tags (tags as
``mlflow.tag.KEY``). A local directory needs no MLflow at all.
"""

from __future__ import annotations

import importlib
import math
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard._store.records import ModelVersionRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import ModelError, UsageError
from shipyard.core.names import check_model_name
from shipyard.models.flavors.base import Trust
from shipyard.registry import trust_for
from shipyard.tracking.fluent import start_run

IMPORT_KIND = "import"
SOURCE_TAG = "shipyard.imported_from"
MLFLOW_RUN_TAG = "shipyard.mlflow_run_id"
_URI_SCHEMES = ("runs:/", "models:/")


@dataclass
class _MlflowRun:
    """What the import run records of the MLflow run that produced the model."""

    run_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def import_mlflow_model(
    source: str | Path,
    name: str,
    *,
    trusted: Trust = False,
    input_example: Any = None,
    description: str | None = None,
    tracking_uri: str | None = None,
    workspace: Workspace | None = None,
) -> ModelVersionRecord:
    """Import the MLflow model at ``source`` (a directory, ``runs:/…`` or ``models:/…``) as
    the next version of ``name``, and return that version.

    Pickled content (a pickled scikit-learn model or PyTorch module, a ``python_function``
    model with custom code) is imported only with ``trusted=True``; skops files only with
    their types trusted. ``input_example`` replaces a missing (or unusable) stored example.
    """
    from shipyard.models.mlflow_model import (
        choose_flavor,
        input_example as stored_example,
        load_native,
        read_mlflow_model,
    )

    check_model_name(name)
    ws = workspace or workspace_for()
    text = str(source)
    with _local_copy(text, tracking_uri) as (directory, origin):
        model = read_mlflow_model(directory)
        flavor = choose_flavor(model)
        example = input_example if input_example is not None else stored_example(model)
        if example is None:
            raise ModelError(
                f"The MLflow model at {text} has no input example, and Shipyard needs one to "
                "infer and check its signature.",
                hint="Pass input_example= (or --example FILE) with a few rows of real input.",
            )
        converted = load_native(model, flavor, trusted=trust_for(trusted, ws))
        tags = {SOURCE_TAG: text, "shipyard.mlflow_flavor": flavor}
        if origin.run_id:
            tags[MLFLOW_RUN_TAG] = origin.run_id
        tags.update({f"mlflow.tag.{k}"[:250]: v for k, v in origin.tags.items()})
        with start_run(f"import {name}", kind=IMPORT_KIND, workspace=ws, tags=tags,
                       params=origin.params) as run:  # fmt: skip
            finite = {k: v for k, v in origin.metrics.items() if math.isfinite(v)}
            if finite:
                run.log_metrics(finite)
            return run.log_model(
                converted.model,
                name,
                input_example=example,
                flavor=converted.flavor,
                serialization=converted.serialization,
                trusted=trusted is True,
                description=description,
                extra={"mlflow": {**model.source(text, flavor), **converted.notes}},
            )


@contextmanager
def _local_copy(source: str, tracking_uri: str | None) -> Iterator[tuple[Path, _MlflowRun]]:
    """The model as a local directory (downloaded by MLflow for a URI), and its run."""
    if not source.startswith(_URI_SCHEMES):
        path = Path(source.removeprefix("file://")).expanduser()
        if not path.exists():
            raise UsageError(
                f"There is no MLflow model at {source}.",
                hint="Give the model's folder (holding MLmodel), runs:/RUN_ID/PATH or "
                "models:/NAME/VERSION.",
            )
        yield path, _MlflowRun(run_id=None)
        return
    mlflow = _mlflow(source)
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    with tempfile.TemporaryDirectory(prefix="shipyard-mlflow-") as temporary:
        try:
            local = mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=temporary)
            origin = _origin(mlflow, source)
        except Exception as exc:  # MLflow's own errors: a run or model it does not know
            raise ModelError(
                f"MLflow could not fetch {source}: {exc}",
                hint="Check the URI and the MLflow tracking URI (--tracking-uri, "
                "MLFLOW_TRACKING_URI).",
            ) from exc
        yield Path(local), origin


def _mlflow(source: str) -> Any:
    try:
        return importlib.import_module("mlflow")
    except ImportError as exc:
        raise ModelError(
            f"Fetching {source} needs MLflow's client, which is not installed here.",
            hint="pip install mlflow (or mlflow-skinny), or download the model with `mlflow "
            "artifacts download -u URI -d DIR` and import DIR.",
        ) from exc


def _origin(mlflow: Any, source: str) -> _MlflowRun:
    """The params, metrics and tags of the MLflow run a ``runs:/`` or ``models:/`` URI
    names (a registered model version's run; none for a model without one)."""
    client = mlflow.MlflowClient()
    if source.startswith("runs:/"):
        run_id: str | None = source.removeprefix("runs:/").split("/", 1)[0]
    else:
        ref = source.removeprefix("models:/")
        model_name, _, rest = ref.partition("/")
        if "@" in model_name:
            model_name, _, alias = model_name.partition("@")
            version = client.get_model_version_by_alias(model_name, alias)
        else:
            version = client.get_model_version(model_name, rest.split("/", 1)[0])
        run_id = version.run_id
    if not run_id:
        return _MlflowRun()
    data = client.get_run(run_id).data
    return _MlflowRun(
        run_id=run_id,
        params={str(k): str(v) for k, v in _items(data.params)},
        metrics={str(k): float(v) for k, v in _items(data.metrics)},
        tags={str(k): str(v) for k, v in _items(data.tags) if not str(k).startswith("mlflow.")},
    )


def _items(values: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    return sorted((values or {}).items())
