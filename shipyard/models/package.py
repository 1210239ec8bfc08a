"""Save a model as a package directory, and load one back with every hash verified.

A package holds the flavor's files, ``input_example.json`` (records, as a client would send
them) and the manifest ``shipyard-model.json`` listing the SHA-256 and size of every other
file. Saving writes into a temporary directory beside the target and renames it into place, so
a package directory either is complete or does not exist.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from shipyard.core.errors import ArtifactMissingError, ModelError, ShipyardError, UsageError
from shipyard.core.ids import new_id
from shipyard.models import in_use
from shipyard.models.flavors import Flavor, flavor_for, get_flavor
from shipyard.models.flavors.base import Trust
from shipyard.models.integrity import hash_files, verify_files
from shipyard.models.loaded import LoadedModel
from shipyard.models.manifest import MANIFEST_NAME, Manifest, ModelVersionWarning
from shipyard.models.onnx_conversion import DEFAULT_TOLERANCE, convert_checked
from shipyard.models.plain import to_plain
from shipyard.models.signature import Signature, infer_inputs, infer_output
from shipyard.models.tensors import infer_tensor

INPUT_EXAMPLE = "input_example.json"
EXAMPLE_ROWS = 100
"""At most this many rows of the input example are stored (and run at warm-up)."""


def save_package(
    model: Any,
    directory: str | Path,
    *,
    input_example: Any,
    signature: Signature | Mapping[str, Any] | None = None,
    flavor: str | Flavor | None = None,
    serialization: str | None = None,
    trusted: bool = False,
    source_run_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
    as_onnx: bool = False,
    onnx_tolerance: float = DEFAULT_TOLERANCE,
    evaluation_data: Any = None,
) -> Manifest:
    """Write ``model`` as a package into ``directory``, which must not exist yet.

    The signature is inferred from ``input_example`` (and the model) unless given. The example
    is validated against the signature and run through the model before anything is written,
    so a package that is saved can also be served. Unsafe serializations (pickle, joblib) need
    ``trusted=True``. Returns the manifest written.

    ``as_onnx=True`` saves a scikit-learn model as its ONNX conversion instead, once the
    conversion predicts as the model does (within ``onnx_tolerance``) on the input example and
    on ``evaluation_data`` when given; see :mod:`shipyard.models.onnx_conversion`.
    """
    target = Path(directory)
    if target.exists():
        raise UsageError(
            f"{target} already exists; a model package is written into a new directory.",
            hint="Choose a new directory, or remove the old package first.",
        )
    chosen = _choose_flavor(model, flavor)
    sig, example = _signature_and_example(model, chosen, input_example, signature)
    added = dict(extra or {})
    if as_onnx:
        frames = [("input example", sig.prepare(example))]
        if evaluation_data is not None:
            frames.append(("evaluation set", sig.prepare(evaluation_data, extra="ignore")))
        source = f"{type(model).__module__}.{type(model).__qualname__}"
        model, check = convert_checked(model, sig, frames, tolerance=onnx_tolerance)
        chosen = get_flavor("onnx")
        added["converted_from"] = {"estimator": source, **check.to_dict()}
    model = chosen.for_saving(model, sig.prepare(example), serialization=serialization)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.tmp-{new_id()}"
    staging.mkdir()
    try:
        saved = chosen.save(model, staging, serialization=serialization, trusted=trusted)
        (staging / INPUT_EXAMPLE).write_bytes(orjson.dumps(example))
        manifest = Manifest(
            flavor=chosen.name,
            serialization=saved.serialization,
            signature=sig.to_dict(),
            files={},
            framework_versions=dict(sorted(saved.framework_versions.items())),
            input_example=INPUT_EXAMPLE,
            source_run_id=source_run_id,
            extra={**saved.extra, **added},
        )
        manifest = manifest.with_files(hash_files(staging))
        manifest.write(staging)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _choose_flavor(model: Any, flavor: str | Flavor | None) -> Flavor:
    if flavor is None:
        return flavor_for(model)
    chosen = get_flavor(flavor) if isinstance(flavor, str) else flavor
    if not chosen.handles(model):
        raise ModelError(
            f"The {chosen.name} flavor cannot package a {type(model).__qualname__}.",
            hint="Leave flavor unset to pick one automatically.",
        )
    return chosen


def _signature_and_example(
    model: Any,
    flavor: Flavor,
    input_example: Any,
    signature: Signature | Mapping[str, Any] | None,
) -> tuple[Signature, list[dict[str, Any]]]:
    """The signature, and the example as plain records, proven to run through the model."""
    if input_example is None:
        raise ModelError(
            "A model package needs an input example.",
            hint="Pass input_example= with a few rows of real input, e.g. X_test.head().",
        )
    if isinstance(signature, Mapping):
        signature = Signature.from_dict(signature)
    if signature is None:
        signature = Signature(
            infer_inputs(input_example, model), tensor=infer_tensor(input_example)
        )
    given = signature
    frame = given.prepare(_head(input_example), extra="reject")
    try:
        predictions = flavor.predict(model, frame)
    except Exception as exc:
        raise ModelError(
            f"The model failed to predict on its own input example: {type(exc).__name__}: {exc}",
            hint="Pass an input_example the model accepts (e.g. a few rows of X_test).",
        ) from exc
    if given.outputs is None:
        given = replace(given, outputs=infer_output(predictions, model))
    records: list[dict[str, Any]] = to_plain(frame)
    return given, records


def _head(example: Any) -> Any:
    head = getattr(example, "head", None)
    if callable(head):
        return head(EXAMPLE_ROWS)
    if isinstance(example, list):
        return example[:EXAMPLE_ROWS]
    shape = getattr(example, "shape", None)
    if shape is not None and len(shape) >= 2:
        return example[:EXAMPLE_ROWS]
    return example


def load_package(
    directory: str | Path, *, trusted: Trust = False, warm: bool = True
) -> LoadedModel:
    """Load a package: verify every file's hash first, then load via the flavor, then warm up.

    A missing file raises ArtifactMissingError and a changed one ArtifactIntegrityError, each
    naming the file, before any of the package is deserialised. Pickle and joblib packages, and
    skops files with types not known to be safe, need ``trusted=True`` or those type names.
    With ``warm`` the stored input example is run through ``predict`` once.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ArtifactMissingError(f"There is no model package at {root}.")
    manifest_path = root / MANIFEST_NAME
    key = in_use.key_for(root, manifest_path.read_bytes() if manifest_path.is_file() else b"",
                         trusted)  # fmt: skip
    loaded = in_use.find(key)
    if loaded is None:  # not in memory in this process: verify every file, then deserialise
        manifest = Manifest.read(root)
        verify_files(root, manifest)
        flavor = get_flavor(manifest.flavor)
        signature = Signature.from_dict(manifest.signature)
        _warn_on_framework_change(manifest, flavor.framework_versions())
        raw = flavor.load(root, manifest, trusted=trusted)
        loaded = LoadedModel(raw, flavor=flavor, manifest=manifest, signature=signature,
                             directory=root)  # fmt: skip
        loaded = in_use.keep(key, loaded)
    if warm and loaded.manifest.input_example and not in_use.is_warm(loaded):
        _warm_up(loaded, root / loaded.manifest.input_example)
        in_use.mark_warm(loaded)
    return loaded


def _warm_up(loaded: LoadedModel, path: Path) -> None:
    try:
        example = orjson.loads(path.read_bytes())
        loaded.predict(example)
    except ShipyardError as exc:
        raise ModelError(
            f"The model loaded but failed on its own input example: {exc}",
            hint="The package may have been saved with different library versions.",
        ) from exc
    except Exception as exc:
        raise ModelError(
            f"The model loaded but failed on its own input example: {type(exc).__name__}: {exc}",
            hint="The package may have been saved with different library versions.",
        ) from exc


def _warn_on_framework_change(manifest: Manifest, current: Mapping[str, str]) -> None:
    """Warn when a library the package was saved with is not installed at that version now
    (asking the flavor first: it knows which build of its framework is installed)."""
    changed = []
    for distribution, saved in sorted(manifest.framework_versions.items()):
        installed = current.get(distribution)
        try:
            installed = installed or importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != saved:
            changed.append(f"{distribution} {saved} → {installed}")
    if changed:
        warnings.warn(
            f"This {manifest.flavor} model was saved with other library versions "
            f"({'; '.join(changed)}); its predictions may differ.",
            ModelVersionWarning,
            stacklevel=3,
        )
