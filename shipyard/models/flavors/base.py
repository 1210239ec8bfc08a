"""The one contract every flavor implements: recognise, save, load, and predict over a batch."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from shipyard.core.errors import ModelError, UnsafeModelError
from shipyard.models.manifest import SERIALIZATIONS, Manifest, Serialization

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Prediction: TypeAlias = "np.ndarray[Any, Any] | pd.Series[Any] | pd.DataFrame"
"""What a flavor's ``predict`` returns for a batch: one row of output per input row."""

UNSAFE_SERIALIZATIONS: frozenset[str] = frozenset({"joblib", "pickle", "torchscript"})
"""Serializations whose loading runs arbitrary code, allowed only for trusted models
(TorchScript archives hold code that PyTorch runs, so they count as code too)."""

Trust = bool | Collection[str]
"""What a caller trusts when loading: ``True`` (everything, pickle included), ``False``
(nothing beyond the safe defaults), or the names of specific types (e.g. a skops type such as
``sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor``) it has reviewed."""


@dataclass(frozen=True)
class SavedFlavor:
    """What a flavor wrote: the files (relative to the package), how, and with which versions."""

    files: list[str]
    serialization: Serialization
    framework_versions: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


class Flavor(ABC):
    """A way to save, load and run one family of models.

    ``save`` writes files into a package directory that already exists (the manifest is the
    package's job); ``load`` reads them back after the package has verified every hash;
    ``predict`` makes one vectorised call over a validated batch.
    """

    name: ClassVar[str]

    @abstractmethod
    def handles(self, model: Any) -> bool:
        """Whether this flavor knows how to package ``model``."""

    @abstractmethod
    def save(
        self, model: Any, directory: Path, *, serialization: str | None, trusted: bool
    ) -> SavedFlavor:
        """Write ``model`` into ``directory``; ``serialization=None`` picks the safe default."""

    @abstractmethod
    def load(self, directory: Path, manifest: Manifest, *, trusted: Trust) -> Any:
        """Load the model saved in ``directory``; refuse unsafe formats unless ``trusted``."""

    @abstractmethod
    def predict(self, model: Any, frame: pd.DataFrame) -> Prediction:
        """Predict for every row of ``frame`` in one call."""

    def framework_versions(self) -> dict[str, str]:
        """The versions of the libraries this flavor uses, as installed now."""
        return {}

    def preload(self) -> None:  # noqa: B027 (an optional hook: most flavors import lazily)
        """Import the libraries ``load`` needs, without loading or running anything (a server
        does it once before forking its workers)."""

    def for_saving(self, model: Any, example: pd.DataFrame, *, serialization: str | None) -> Any:
        """The object to save for ``model``, given its validated input example.

        The default saves the model itself; a flavor whose format is traced from an input
        (a ``torch.export`` program) builds it here.
        """
        return model

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def check_serialization(
    flavor: str, serialization: str, allowed: tuple[str, ...], *, trusted: bool
) -> Serialization:
    """Validate a requested serialization, refusing code-running ones unless ``trusted``."""
    if serialization not in allowed or serialization not in SERIALIZATIONS:
        raise ModelError(
            f"The {flavor} flavor cannot save with serialization {serialization!r}.",
            hint=f"Use one of: {', '.join(allowed)}.",
        )
    if serialization in UNSAFE_SERIALIZATIONS and not trusted:
        raise UnsafeModelError(
            f"Saving with {serialization} makes a package whose loading runs arbitrary code.",
            hint=f"Pass trusted=True if you trust this model and everyone who will load it "
            f"(loading will need trusted=True too), or save with {allowed[0]!r}.",
        )
    return serialization


def refuse_untrusted_load(manifest: Manifest, *, trusted: Trust) -> None:
    """Raise UnsafeModelError when the package is pickled and the caller did not trust it."""
    if manifest.serialization in UNSAFE_SERIALIZATIONS and trusted is not True:
        raise UnsafeModelError(
            f"This {manifest.flavor} model is serialized with {manifest.serialization}; "
            "loading it would run whatever code the file contains, so it was not loaded.",
            hint="Pass trusted=True only if you trust where this package came from.",
        )
