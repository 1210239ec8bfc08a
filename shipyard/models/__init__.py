"""Model packages: signatures, flavors, saving and loading with integrity checks.

A model version is a directory with a manifest ``shipyard-model.json`` (DESIGN.md section 5).
``save_package`` writes one, ``load_package`` verifies every hash and loads it,
``store_package``/``fetch_package`` move it through the content-addressed artifact store, and a
:class:`LoadedModel` validates input against the signature and predicts over a batch.
"""

import typing as _typing

from shipyard.core.lazy import attach as _attach

if _typing.TYPE_CHECKING:
    from shipyard.models.flavors import (
        Flavor as Flavor,
        LightGBMFlavor as LightGBMFlavor,
        OnnxFlavor as OnnxFlavor,
        Prediction as Prediction,
        PythonFlavor as PythonFlavor,
        SavedFlavor as SavedFlavor,
        SklearnFlavor as SklearnFlavor,
        TorchFlavor as TorchFlavor,
        Trust as Trust,
        XGBoostFlavor as XGBoostFlavor,
        available_flavors as available_flavors,
        flavor_for as flavor_for,
        get_flavor as get_flavor,
        register_flavor as register_flavor,
    )
    from shipyard.models.loaded import (
        LoadedModel as LoadedModel,
    )
    from shipyard.models.manifest import (
        FORMAT_VERSION as FORMAT_VERSION,
        MANIFEST_NAME as MANIFEST_NAME,
        FileEntry as FileEntry,
        Manifest as Manifest,
        ModelVersionWarning as ModelVersionWarning,
        Serialization as Serialization,
    )
    from shipyard.models.onnx_conversion import (
        OnnxConversionError as OnnxConversionError,
    )
    from shipyard.models.package import (
        load_package as load_package,
        save_package as save_package,
    )
    from shipyard.models.plain import (
        to_plain as to_plain,
    )
    from shipyard.models.signature import (
        ColumnSpec as ColumnSpec,
        DType as DType,
        ExtraPolicy as ExtraPolicy,
        OutputSpec as OutputSpec,
        Signature as Signature,
        TensorSpec as TensorSpec,
        infer_signature as infer_signature,
    )
    from shipyard.models.storage import (
        fetch_package as fetch_package,
        store_package as store_package,
    )

_EXPORTS = {
    "ColumnSpec": "shipyard.models.signature",
    "DType": "shipyard.models.signature",
    "ExtraPolicy": "shipyard.models.signature",
    "FORMAT_VERSION": "shipyard.models.manifest",
    "FileEntry": "shipyard.models.manifest",
    "Flavor": "shipyard.models.flavors",
    "LightGBMFlavor": "shipyard.models.flavors",
    "LoadedModel": "shipyard.models.loaded",
    "MANIFEST_NAME": "shipyard.models.manifest",
    "Manifest": "shipyard.models.manifest",
    "ModelVersionWarning": "shipyard.models.manifest",
    "OnnxConversionError": "shipyard.models.onnx_conversion",
    "OnnxFlavor": "shipyard.models.flavors",
    "OutputSpec": "shipyard.models.signature",
    "Prediction": "shipyard.models.flavors",
    "PythonFlavor": "shipyard.models.flavors",
    "SavedFlavor": "shipyard.models.flavors",
    "Serialization": "shipyard.models.manifest",
    "Signature": "shipyard.models.signature",
    "SklearnFlavor": "shipyard.models.flavors",
    "TensorSpec": "shipyard.models.signature",
    "TorchFlavor": "shipyard.models.flavors",
    "Trust": "shipyard.models.flavors",
    "XGBoostFlavor": "shipyard.models.flavors",
    "available_flavors": "shipyard.models.flavors",
    "fetch_package": "shipyard.models.storage",
    "flavor_for": "shipyard.models.flavors",
    "get_flavor": "shipyard.models.flavors",
    "infer_signature": "shipyard.models.signature",
    "load_package": "shipyard.models.package",
    "register_flavor": "shipyard.models.flavors",
    "save_package": "shipyard.models.package",
    "store_package": "shipyard.models.storage",
    "to_plain": "shipyard.models.plain",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _attach(__name__, _EXPORTS)
