"""Sections of a version's stored evaluation beyond its gates and metrics."""

from __future__ import annotations

from typing import Any

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.registry import latest_evaluation, resolve


def feature_importance(model: str, *, workspace: Workspace | None = None) -> dict[str, Any] | None:
    """The ``feature_importance`` section of the newest evaluation of ``model`` (``name/3``,
    ``name@production`` or ``name`` for the latest version): the metric, each feature's
    permutation importance (``features``; ``importances`` maps feature to mean), and the
    features ``flagged`` (importance <= 0), and ``shap`` (mean |SHAP value| per feature, or why
    SHAP was skipped); None when that evaluation did not measure it
    (``evaluation.feature_importance: false`` in shipyard.yaml)."""
    ws = workspace or workspace_for()
    version = resolve(model, workspace=ws)
    evaluation = latest_evaluation(version.model_name, version.version, workspace=ws)
    if evaluation is None or evaluation.feature_importance is None:
        return None
    return {"model": version.ref, "evaluation_id": evaluation.id, **evaluation.feature_importance}
