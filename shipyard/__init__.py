"""Shipyard: continuous delivery for machine learning.

    import shipyard as sy

    with sy.start_run("baseline") as run:
        sy.seed_everything(42)
        sy.log_params({"C": 1.0})
        sy.log_metric("auc", 0.91)
        version = run.log_model(model, "churn", input_example=X.head())
    sy.promote("churn", version.version, "production", reason="beats baseline")
    model = sy.load_model("churn@production")
    model.predict(rows)

Everything public is listed in ``__all__``; anything else is internal and may change.
"""

from shipyard.core.errors import (
    ArtifactError as ArtifactError,
)
from shipyard.core.errors import (
    ArtifactIntegrityError as ArtifactIntegrityError,
)
from shipyard.core.errors import (
    ConfigurationError as ConfigurationError,
)
from shipyard.core.errors import (
    ConflictError as ConflictError,
)
from shipyard.core.errors import (
    InputValidationError as InputValidationError,
)
from shipyard.core.errors import (
    MigrationRequiredError as MigrationRequiredError,
)
from shipyard.core.errors import (
    ModelError as ModelError,
)
from shipyard.core.errors import (
    NotFoundError as NotFoundError,
)
from shipyard.core.errors import (
    ShipyardError as ShipyardError,
)
from shipyard.core.errors import (
    StoreError as StoreError,
)
from shipyard.core.errors import (
    UnsafeModelError as UnsafeModelError,
)
from shipyard.core.errors import (
    UsageError as UsageError,
)
from shipyard.core.settings import Settings as Settings
from shipyard.core.settings import load_settings as load_settings
from shipyard.models import LoadedModel as LoadedModel
from shipyard.models import infer_signature as infer_signature
from shipyard.registry import alias_history as alias_history
from shipyard.registry import load_model as load_model
from shipyard.registry import promote as promote
from shipyard.registry import resolve as resolve
from shipyard.registry import rollback as rollback
from shipyard.serving.batch import batch_score as batch_score
from shipyard.store.workspace import Workspace as Workspace
from shipyard.store.workspace import open_workspace as open_workspace
from shipyard.tracking import ActiveRun as ActiveRun
from shipyard.tracking import active_run as active_run
from shipyard.tracking import log_artifact as log_artifact
from shipyard.tracking import log_metric as log_metric
from shipyard.tracking import log_metrics as log_metrics
from shipyard.tracking import log_model as log_model
from shipyard.tracking import log_param as log_param
from shipyard.tracking import log_params as log_params
from shipyard.tracking import seed_everything as seed_everything
from shipyard.tracking import set_tag as set_tag
from shipyard.tracking import set_tags as set_tags
from shipyard.tracking import start_run as start_run

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "ArtifactError",
    "ArtifactIntegrityError",
    "ConfigurationError",
    "ConflictError",
    "InputValidationError",
    "LoadedModel",
    "MigrationRequiredError",
    "ModelError",
    "NotFoundError",
    "Settings",
    "ShipyardError",
    "StoreError",
    "UnsafeModelError",
    "UsageError",
    "Workspace",
    "active_run",
    "alias_history",
    "batch_score",
    "infer_signature",
    "load_model",
    "load_settings",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "open_workspace",
    "promote",
    "resolve",
    "rollback",
    "seed_everything",
    "set_tag",
    "set_tags",
    "start_run",
]
