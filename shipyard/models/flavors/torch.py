"""The PyTorch flavor: ``torch.export`` programs, TorchScript, or weights with an importable class.

Formats, safest first:

- ``torch-export`` (the default for a module): the module is exported with ``torch.export``
  on the input example, with a dynamic batch axis, and saved as ``model.pt2``; an archive that
  holds pickled parts loads only with ``trusted=True`` (see :mod:`._pt2`);
- ``torchscript``: a ``ScriptModule`` the caller made, saved with ``torch.jit.save``
  (deprecated upstream, so prefer ``torch-export``); its archive is code PyTorch runs, so it
  needs ``trusted=True`` at save and at load, as pickle does;
- ``state-dict``: the weights alone (``torch.save`` of the state dict, read back with
  ``weights_only=True``); the manifest records the module's class by import path and the
  constructor arguments from its ``init_kwargs`` attribute, if it has one. Loading imports that
  class only when the caller trusts it (see :mod:`shipyard.models.flavors.trust`);
- ``pickle``: the whole module, only with ``trusted=True`` at save and at load.

Models run on the CPU unless a device is set: ``TorchFlavor(device="cuda")`` registered with
``register_flavor(..., replace=True)``, or ``SHIPYARD_TORCH_DEVICE``. Floating inputs are cast
to the module's parameter dtype. PyTorch is imported on first use; without it, loading names
the ``torch`` extra.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ModelError, UnsupportedModelError
from shipyard.models.flavors._pt2 import check_pt2
from shipyard.models.flavors._support import installed_versions, is_instance_of, require
from shipyard.models.flavors.base import (
    Flavor,
    Prediction,
    SavedFlavor,
    Trust,
    check_serialization,
    refuse_untrusted_load,
)
from shipyard.models.flavors.python import class_reference
from shipyard.models.flavors.trust import import_trusted
from shipyard.models.manifest import Manifest
from shipyard.models.tensors import frame_tensor, frame_to_tensor

if TYPE_CHECKING:
    import pandas as pd

FILES = {
    "torch-export": "model.pt2",
    "torchscript": "model.ts",
    "state-dict": "weights.pt",
    "pickle": "model.pkl",
}
EXTRA = "torch"
DEVICE_VARIABLE = "SHIPYARD_TORCH_DEVICE"


class TorchFlavor(Flavor):
    """PyTorch modules and exported programs, on the CPU unless told otherwise."""

    name = "torch"

    def __init__(self, *, device: str | None = None) -> None:
        self._device = device

    @property
    def device(self) -> str:
        """Where loaded models run: the one given, else ``SHIPYARD_TORCH_DEVICE``, else CPU."""
        return self._device or os.environ.get(DEVICE_VARIABLE) or "cpu"

    def handles(self, model: Any) -> bool:
        return is_instance_of(model, "torch", ("Module", "ExportedProgram"))

    def framework_versions(self) -> dict[str, str]:
        return installed_versions("torch")

    def for_saving(self, model: Any, example: pd.DataFrame, *, serialization: str | None) -> Any:
        if serialization not in (None, "torch-export") or not _is_plain_module(model):
            return model
        torch = require("torch", EXTRA)
        tensor = _input(torch, model, example, device="cpu")
        if len(tensor) < 2:  # a batch of one would be traced as a constant size
            tensor = torch.cat([tensor, tensor])
        batch = torch.export.Dim("batch")
        try:
            return torch.export.export(model.eval(), (tensor,), dynamic_shapes=({0: batch},))
        except Exception as exc:
            raise UnsupportedModelError(
                f"torch.export could not export this {type(model).__name__}: {exc}",
                hint="Save its weights instead: serialization='state-dict' (its class must be "
                "importable), or pickle it with serialization='pickle' and trusted=True.",
            ) from exc

    def save(
        self, model: Any, directory: Path, *, serialization: str | None, trusted: bool
    ) -> SavedFlavor:
        torch = require("torch", EXTRA)
        default = "torchscript" if isinstance(model, torch.jit.ScriptModule) else "torch-export"
        chosen = check_serialization(
            self.name, serialization or default, tuple(FILES), trusted=trusted
        )
        path = directory / FILES[chosen]
        extra: dict[str, Any] = {}
        if chosen == "torch-export":
            if not isinstance(model, torch.export.ExportedProgram):
                raise ModelError("Only an exported program can be saved as torch-export.")
            torch.export.save(model, path)
        elif chosen == "torchscript":
            if not isinstance(model, torch.jit.ScriptModule):
                raise ModelError(
                    "serialization='torchscript' needs a ScriptModule.",
                    hint="Pass torch.jit.script(model), or use the default torch-export.",
                )
            with _quiet():
                torch.jit.save(model, str(path))
        elif chosen == "state-dict":
            extra["class"] = class_reference(type(model))
            extra["init_kwargs"] = dict(getattr(model, "init_kwargs", None) or {})
            torch.save(model.state_dict(), path)
        else:
            extra["class"] = f"{type(model).__module__}:{type(model).__qualname__}"
            torch.save(model, path)
        return SavedFlavor([path.name], chosen, self.framework_versions(), extra)

    def load(self, directory: Path, manifest: Manifest, *, trusted: Trust) -> Any:
        refuse_untrusted_load(manifest, trusted=trusted)
        if manifest.serialization not in FILES:
            raise ModelError(
                f"The torch flavor cannot load serialization {manifest.serialization!r}."
            )
        torch = require("torch", EXTRA)
        path = directory / FILES[manifest.serialization]
        device = self.device
        if manifest.serialization == "torch-export":
            if trusted is not True:
                check_pt2(path, torch)
            module = torch.export.load(path).module()
        elif manifest.serialization == "torchscript":
            with _quiet():
                module = torch.jit.load(str(path), map_location=device)
        elif manifest.serialization == "state-dict":
            cls = import_trusted(str(manifest.extra.get("class")), trusted=trusted,
                                 what="PyTorch model")  # fmt: skip
            if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
                raise ModelError(f"{manifest.extra.get('class')} is not a torch.nn.Module class.")
            module = cls(**(manifest.extra.get("init_kwargs") or {}))
            module.load_state_dict(torch.load(path, map_location=device, weights_only=True))
        else:
            module = torch.load(path, map_location=device, weights_only=False)  # trusted only
        if manifest.serialization != "torch-export":
            module.eval()
        return module.to(device)

    def predict(self, model: Any, frame: pd.DataFrame) -> Prediction:
        torch = require("torch", EXTRA)
        if isinstance(model, torch.export.ExportedProgram):
            model = model.module()
        tensor = _input(torch, model, frame, device=_device_of(model))
        with torch.inference_mode():
            output = model(tensor)
        if isinstance(output, tuple | list):
            output = output[0]
        result = output.detach().cpu().numpy()
        if result.ndim == 2 and result.shape[1] == 1:
            result = result.ravel()
        predictions: Prediction = result
        return predictions


def _is_plain_module(model: Any) -> bool:
    return is_instance_of(model, "torch", ("Module",)) and not is_instance_of(
        model, "torch", ("ScriptModule", "GraphModule")
    )


def _input(torch: Any, model: Any, frame: pd.DataFrame, *, device: Any) -> Any:
    tensor = torch.from_numpy(frame_to_tensor(frame, frame_tensor(frame)))
    if tensor.is_floating_point():
        tensor = tensor.to(_float_dtype(torch, model) or torch.float32)
    return tensor.to(device)


def _float_dtype(torch: Any, model: Any) -> Any:
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return None


def _device_of(model: Any) -> Any:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return "cpu"


class _quiet(warnings.catch_warnings):
    """TorchScript's save and load warn that it is deprecated; the caller chose it."""

    def __enter__(self) -> None:
        super().__enter__()
        warnings.simplefilter("ignore", DeprecationWarning)
