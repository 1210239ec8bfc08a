"""Refuse a ``.pt2`` archive that ``torch.export.load`` would unpickle.

A ``torch.export`` archive keeps the graph as JSON and plain tensors as raw bytes, but it may
also hold pickled parts: weights or constants flagged ``use_pickle``, custom and opaque objects,
legacy weight files, and sample inputs that ``torch.export.load`` retries with
``weights_only=False`` when the safe load fails. Any of those runs code on load, so an archive
holding one is loaded only with ``trusted=True``; everything else is checked here first.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from shipyard.core.errors import ModelError, UnsafeModelError

_MODEL_FILE = "models/{}.json"


def check_pt2(path: Path, torch: Any) -> None:
    """Raise UnsafeModelError naming the first part of ``path`` that would be unpickled."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            models = [PurePosixPath(n) for n in names if _is_model_file(n)]
            if not models:
                raise ModelError(f"{path.name} holds no exported program.")
            for model in models:
                root, name = str(model.parent.parent), model.stem
                _check_model(archive, names, f"{root}/" if root != "." else "", name, torch)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{path.name} is not a torch.export archive: {exc}") from exc


def _is_model_file(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return len(parts) >= 2 and parts[-2] == "models" and name.endswith(".json")


def _check_model(
    archive: zipfile.ZipFile, names: set[str], root: str, name: str, torch: Any
) -> None:
    for legacy in (f"{root}data/weights/{name}.pt", f"{root}data/constants/{name}.pt"):
        if legacy in names:
            _unsafe(f"legacy pickled weights ({legacy})")
    for kind in ("weights", "constants"):
        config_file = f"{root}data/{kind}/{name}_{kind}_config.json"
        if config_file not in names:
            _unsafe(f"no {kind} description ({config_file})")
        try:
            config = json.loads(archive.read(config_file))["config"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{config_file} is not a torch.export {kind} description.") from exc
        for key, meta in config.items():
            if not isinstance(meta, dict) or meta.get("use_pickle") is not False:
                _unsafe(f"the pickled {kind[:-1]} {key!r}")
            if kind == "constants" and not str(meta.get("path_name", "")).startswith("tensor_"):
                _unsafe(f"the custom object {key!r}")
    sample = f"{root}data/sample_inputs/{name}.pt"
    if sample in names:
        try:
            torch.load(io.BytesIO(archive.read(sample)), weights_only=True)
        except Exception:
            _unsafe(f"sample inputs that only load as a pickle ({sample})")


def _unsafe(part: str) -> None:
    raise UnsafeModelError(
        f"This torch.export archive holds {part}; loading it would run the code in a pickle, "
        "so it was not loaded.",
        hint="Pass trusted=True only if you trust where this package came from.",
    )
