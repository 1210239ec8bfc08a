"""What the steps of one pipeline run hand each other (:class:`State`), and the helpers
several steps share: a dataset version's entry in the step outputs, a trained model back
from its package.

Each step lives in its own module (``data_steps``, ``train_step``, ``evaluate_step``,
``registry_steps``): its ``compute`` runs inside its own tracked run and returns its outputs
as plain JSON values; its ``key`` says what the outputs depend on (None: never cached); its
``verify`` checks that cached outputs still point at existing records and blobs. Heavy
libraries (pandas, scikit-learn, the evaluation package) are imported only when a step
actually computes, so a fully cached run stays light.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipyard._store.records import DatasetVersionRecord
from shipyard._store.workspace import Workspace
from shipyard.pipeline.config import PipelineConfig


@dataclass
class State:
    """What the steps of one pipeline run hand each other."""

    config: PipelineConfig
    workspace: Workspace
    code_hash: str = ""
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: Any = None
    package: dict[str, Any] = field(default_factory=dict)
    evaluation: Any = None
    tuned: dict[str, Any] = field(default_factory=dict)
    """The study's outcome when a ``tune`` step ran: study, study_run_id, best_params."""
    evaluation_outputs: dict[str, Any] = field(default_factory=dict)
    evaluation_run_id: str | None = None
    version: int | None = None
    status: str | None = None
    tables: dict[str, Any] = field(default_factory=dict)
    """Arrow tables of dataset versions this run stored, by role: read back from memory."""

    def frame(self, role: str, *, context: str | None) -> Any:
        """The dataset version of ``role`` as a new DataFrame, recorded as an input of the
        active run: converted from the table this run stored it from, or read from the store
        (hash verified)."""
        from shipyard.tracking.datasets import load_dataset
        from shipyard.tracking.fluent import active_run

        table = self.tables.get(role)
        if table is None:
            ref = self.datasets[role]["ref"]
            return load_dataset(ref, context=context, workspace=self.workspace)
        run = active_run()
        if run is not None:
            self.workspace.datasets.record_usage(run.id, self.datasets[role]["id"], "input",
                                                 context)  # fmt: skip
        return table.to_pandas()


def dataset_entry(record: DatasetVersionRecord) -> dict[str, Any]:
    columns = {str(c["name"]): str(c["dtype"]) for c in record.schema.get("columns", [])}
    return {
        "id": record.id, "name": record.dataset_name, "version": record.version,
        "ref": record.ref, "content_hash": record.content_hash, "columns": columns,
    }  # fmt: skip


def load_packaged_model(state: State, package_hash: str) -> Any:
    """The trained model as serving loads it: its package, from the local cache (hashes
    verified), as a LoadedModel.

    The types skops reported as not known to be safe when this pipeline's train step saved
    the package, and the class a python-flavor package is loaded by (both listed in its
    manifest, whose hash the step recorded), are trusted here: they came from the training
    code this pipeline ran itself. Serving the version still needs them trusted explicitly."""
    from shipyard.models.manifest import Manifest
    from shipyard.models.package import load_package
    from shipyard.models.storage import fetch_package
    from shipyard.registry import trust_for

    ws = state.workspace
    directory = fetch_package(package_hash, ws.artifacts, ws.cache_dir / "packages")
    trusted = trust_for(state.config.model.trusted, ws)
    if trusted is not True:
        manifest = Manifest.read(directory)
        produced = list(manifest.extra.get("untrusted_types") or ())
        if manifest.serialization == "reference" and manifest.extra.get("class"):
            produced.append(manifest.extra["class"])  # the training code's own model class
        trusted = frozenset(trusted or ()) | frozenset(str(name) for name in produced)
    return load_package(directory, trusted=trusted, warm=False)
