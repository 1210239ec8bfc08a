"""The scikit-learn flavor: estimators and pipelines, saved with skops by default.

skops stores an estimator without pickle, and lists every type in a file it does not trust. On
load, those types are refused (:class:`UnsafeModelError` naming them) unless the caller trusts
them: ``trusted=True``, or the list of type names it has reviewed (a workspace can list them once
in the ``trusted_types`` setting). Nothing is trusted by default beyond skops' own list: the
tree containers of forests and gradient boosting index their node arrays without bounds checks,
so a crafted file could read out-of-bounds memory at predict time.

``serialization="joblib"`` or ``"pickle"`` (for estimators skops cannot store) is accepted only
with ``trusted=True`` at save, and a package written that way loads only with ``trusted=True``.

scikit-learn and skops are imported on first use, so importing Shipyard stays fast.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pickle
import re
import sys
import threading
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ModelError, UnsafeModelError
from shipyard.models.flavors.base import (
    Flavor,
    Prediction,
    SavedFlavor,
    Trust,
    check_serialization,
    refuse_untrusted_load,
)
from shipyard.models.flavors.skops_estimators import import_skops_io
from shipyard.models.manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd

FILES = {"skops": "model.skops", "joblib": "model.joblib", "pickle": "model.pkl"}


def _is_estimator(model: Any) -> bool:
    return any(
        cls.__name__ == "BaseEstimator" and cls.__module__ == "sklearn.base"
        for cls in type(model).__mro__
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class SklearnFlavor(Flavor):
    """scikit-learn estimators, including Pipelines and ColumnTransformers."""

    name = "sklearn"

    def handles(self, model: Any) -> bool:
        return _is_estimator(model)

    def framework_versions(self) -> dict[str, str]:
        return {name: _version(name) for name in ("scikit-learn", "skops", "numpy")}

    def preload(self) -> None:
        import_scipy_first()
        skops_io()

    def save(
        self, model: Any, directory: Path, *, serialization: str | None, trusted: bool
    ) -> SavedFlavor:
        chosen = check_serialization(
            self.name, serialization or "skops", ("skops", "joblib", "pickle"), trusted=trusted
        )
        path = directory / FILES[chosen]
        extra: dict[str, Any] = {
            "estimator": f"{type(model).__module__}.{type(model).__qualname__}"
        }
        if chosen == "skops":
            sio = skops_io()
            try:
                sio.dump(model, path)
                make_reproducible(path)
            except Exception as exc:
                raise ModelError(
                    f"skops cannot store this {type(model).__name__}: {exc}",
                    hint="Pass serialization='joblib' and trusted=True to pickle it instead.",
                ) from exc
            extra["untrusted_types"] = sorted(sio.get_untrusted_types(file=path))
        elif chosen == "joblib":
            importlib.import_module("joblib").dump(model, path)
        else:
            with path.open("wb") as handle:
                pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return SavedFlavor([path.name], chosen, self.framework_versions(), extra)

    def load(self, directory: Path, manifest: Manifest, *, trusted: Trust) -> Any:
        refuse_untrusted_load(manifest, trusted=trusted)
        if manifest.serialization not in FILES:
            raise ModelError(
                f"The sklearn flavor cannot load serialization {manifest.serialization!r}."
            )
        path = directory / FILES[manifest.serialization]
        if manifest.serialization == "skops":
            return load_skops(path, trusted=trusted)
        if manifest.serialization == "joblib":
            return importlib.import_module("joblib").load(path)
        with path.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - only reached with trusted=True

    def predict(self, model: Any, frame: pd.DataFrame) -> Prediction:
        if getattr(model, "feature_names_in_", None) is not None:
            predictions: Prediction = model.predict(frame)
        else:  # fitted on an array: pass one (row-major, as arrays usually are), not names
            import numpy as np  # loaded by then: the frame is pandas

            predictions = model.predict(np.ascontiguousarray(frame.to_numpy()))
        return predictions


_TORCH_SHIM = "sklearn.externals.array_api_compat.torch"
_SKOPS_IMPORT = threading.Lock()


def skops_io() -> Any:
    """``skops.io``, imported without importing PyTorch. To list scikit-learn's estimators,
    skops walks every sklearn module, and the walk imports sklearn's array-API shim for
    PyTorch, which imports PyTorch itself when it is installed: seconds, for nothing a model
    file needs. The shim is hidden for that one import (the walk skips a module that does not
    import) and is importable again right after; when PyTorch is loaded already, nothing is
    hidden. The estimator list itself is found once per installation (see
    :mod:`~shipyard.models.flavors.skops_estimators`)."""
    with _SKOPS_IMPORT:
        if "skops.io" in sys.modules:
            return sys.modules["skops.io"]
        if "torch" in sys.modules or _TORCH_SHIM in sys.modules:
            return import_skops_io()
        sys.modules[_TORCH_SHIM] = None  # type: ignore[assignment]
        try:
            return import_skops_io()
        finally:
            if sys.modules.get(_TORCH_SHIM, sys) is None:
                del sys.modules[_TORCH_SHIM]


def import_scipy_first() -> None:
    """Import ``scipy.special`` now, while the process is small, when it may load a skops model
    later. On its import, skops finds the module of each of SciPy's few hundred ufuncs by
    walking ``sys.modules`` in import order until it meets ``scipy.special``: behind the
    thousands of modules a command has loaded by then, that walk costs a second of CPU; with
    SciPy among the first, a tenth of that. Nothing is imported without scikit-learn."""
    import importlib.util

    if "scipy.special" not in sys.modules and importlib.util.find_spec("sklearn") is not None:
        importlib.import_module("scipy.special")


def load_skops(path: Path, *, trusted: Trust) -> Any:
    """Load a skops file, refusing the types it holds that ``trusted`` does not name. With a
    list of trusted names the file is read once: skops itself refuses any other type, and
    only then is the file read again to name them all."""
    sio = skops_io()
    if trusted is not True:
        try:
            return sio.load(path, trusted=sorted(trusted or ()) or None)
        except sio.exceptions.UntrustedTypesFoundException:
            pass  # named below
        except zipfile.BadZipFile as exc:
            raise ModelError(f"{path.name} is not a readable skops file: {exc}") from exc
        except Exception as exc:
            raise _not_loaded(path, exc) from exc
    try:
        found: list[str] = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelError(f"{path.name} is not a readable skops file: {exc}") from exc
    allowed = set(found) if trusted is True else set(trusted or ())
    refused = sorted(name for name in found if name not in allowed)
    if refused:
        raise UnsafeModelError(
            f"{path.name} contains types that are not known to be safe to load: "
            f"{', '.join(refused)}.",
            hint="If you trust where this model came from, trust those types: "
            f"trusted={refused!r} (or trusted=True), or list them under `trusted_types` in "
            "shipyard.yaml / SHIPYARD_TRUSTED_TYPES.",
        )
    try:
        return sio.load(path, trusted=found or None)
    except Exception as exc:
        raise _not_loaded(path, exc) from exc


def _not_loaded(path: Path, exc: Exception) -> ModelError:
    return ModelError(
        f"skops could not load {path.name}: {exc}",
        hint="Check that scikit-learn and skops versions match those in the manifest.",
    )


_ID = re.compile(rb'"__id__": (\d+)')
_FILE = re.compile(rb'"(\d+)\.npy"')


def make_reproducible(path: Path) -> None:
    """Rewrite a skops file so that the same model gives the same bytes: skops names its
    array files and shared objects by ``id()`` (a memory address) and stamps the time on
    each zip entry. Here they are numbered in order of appearance and dated 1980-01-01, so
    a model retrained to the same values is the same package content (and a pipeline run
    reuses its version, see docs/pipeline.md)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    schema = next(data for info, data in entries if info.filename == "schema.json")
    ids: dict[bytes, bytes] = {}
    files: dict[bytes, bytes] = {}
    for found in _ID.finditer(schema):
        ids.setdefault(found.group(1), str(len(ids) + 1).encode())
    for found in _FILE.finditer(schema):
        files.setdefault(found.group(1), str(len(files) + 1).encode())
    schema = _ID.sub(lambda m: b'"__id__": ' + ids[m.group(1)], schema)
    schema = _FILE.sub(lambda m: b'"' + files[m.group(1)] + b'.npy"', schema)
    renamed = []
    for info, data in entries:
        name = info.filename
        if name == "schema.json":
            data = schema
        elif name.endswith(".npy") and name[:-4].encode() in files:
            name = files[name[:-4].encode()].decode() + ".npy"
        renamed.append((name, info.compress_type, data))
    temporary = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(temporary, "w") as target:
        for name, compression, data in sorted(renamed):
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = compression
            target.writestr(entry, data)
    temporary.replace(path)
