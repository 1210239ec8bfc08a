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
    sy.search_runs("metrics.auc > 0.8", order_by=["metrics.auc DESC"], max_results=10)

Everything public is listed in ``__all__``, written once in ``__init__.pyi`` (which type
checkers read); anything else is internal and may change. Names are imported on first use, so
``import shipyard`` (and every ``shipyard`` command) starts without loading what it won't use.
"""

from typing import Any as _Any

from shipyard.core.lazy import attach_stub as _attach_stub

_public, __dir__ = _attach_stub(__name__, __file__)  # __all__ too, on first use


def __getattr__(name: str) -> _Any:
    if name == "__version__":  # pyproject.toml's version, the one source, read when asked
        from shipyard.core.version import shipyard_version

        return shipyard_version()
    return _public(name)
