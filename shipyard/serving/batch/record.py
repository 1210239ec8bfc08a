"""The record of a batch job: a deployment of mode ``batch`` whose route is the model version
that scored, whose config says what was read and written, and whose stats hold the counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard._store.deployments import DeploymentRepository
from shipyard._store.records import ModelVersionRecord
from shipyard._store.workspace import Workspace
from shipyard.serving.batch.job import JobFolder


@dataclass
class JobRecord:
    workspace: Workspace
    name: str
    repository: DeploymentRepository

    @classmethod
    def start(
        cls,
        workspace: Workspace,
        name: str,
        version: ModelVersionRecord,
        config: dict[str, Any],
        challenger: ModelVersionRecord | None = None,
    ) -> JobRecord:
        """Record the job as started; a challenger of the same model is its shadow."""
        repository = DeploymentRepository(workspace.db)
        same_model = challenger is not None and challenger.model_name == version.model_name
        repository.apply(
            name, model=version.model_name, mode="batch",
            routes=[{"version": version.version, "weight": 100}],
            shadows=[challenger.version] if challenger is not None and same_model else [],
            config=config, actor=workspace.actor, reason="batch job",
        )  # fmt: skip
        repository.set_status(name, "running", actor=workspace.actor)
        return cls(workspace, name, repository)

    def finish(self, summary: dict[str, Any]) -> None:
        self.repository.update_stats(self.name, summary)
        self.repository.set_status(self.name, "finished", actor=self.workspace.actor)

    def fail(self, folder: JobFolder, error: BaseException) -> None:
        self.repository.update_stats(
            self.name,
            {"rows_scored": folder.rows_scored, "rows_rejected": folder.rows_rejected,
             "parts_done": len(folder.parts), "error": f"{type(error).__name__}: {error}"},
        )  # fmt: skip
        self.repository.set_status(self.name, "failed", actor=self.workspace.actor,
                                   reason=str(error)[:500])  # fmt: skip
