"""Model packages: signatures, flavors, saving and loading with integrity checks.

A model version is a directory with a manifest ``shipyard-model.json`` (DESIGN.md section 5).
``save_package`` writes one, ``load_package`` verifies every hash and loads it,
``store_package``/``fetch_package`` move it through the content-addressed artifact store, and a
:class:`LoadedModel` validates input against the signature and predicts over a batch.
"""

from shipyard.models.flavors import (
    Flavor,
    Prediction,
    PythonFlavor,
    SavedFlavor,
    SklearnFlavor,
    Trust,
    available_flavors,
    flavor_for,
    get_flavor,
    register_flavor,
)
from shipyard.models.loaded import LoadedModel
from shipyard.models.manifest import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    ModelVersionWarning,
    Serialization,
)
from shipyard.models.package import load_package, save_package
from shipyard.models.plain import to_plain
from shipyard.models.signature import (
    ColumnSpec,
    DType,
    ExtraPolicy,
    OutputSpec,
    Signature,
    infer_signature,
)
from shipyard.models.storage import fetch_package, store_package

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "ColumnSpec",
    "DType",
    "ExtraPolicy",
    "FileEntry",
    "Flavor",
    "LoadedModel",
    "Manifest",
    "ModelVersionWarning",
    "OutputSpec",
    "Prediction",
    "PythonFlavor",
    "SavedFlavor",
    "Serialization",
    "Signature",
    "SklearnFlavor",
    "Trust",
    "available_flavors",
    "fetch_package",
    "flavor_for",
    "get_flavor",
    "infer_signature",
    "load_package",
    "register_flavor",
    "save_package",
    "store_package",
    "to_plain",
]
