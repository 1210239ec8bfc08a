"""A real, tiny model package in a workspace's artifact store, for tests that register
versions without training: promotion and deployment verify a version's blobs."""

from __future__ import annotations

import tempfile
from pathlib import Path

from shipyard._store.records import ModelVersionRecord
from shipyard._store.workspace import Workspace
from shipyard.models.package import save_package
from shipyard.models.storage import store_package


class Constant:
    """Predicts 1 for every row; saves and loads itself by reference (no pickle)."""

    def predict(self, frame: object) -> list[int]:
        return [1] * len(frame)  # type: ignore[arg-type]

    def save_model(self, directory: Path) -> None:
        (directory / "constant.txt").write_text("1")

    @classmethod
    def load_model(cls, directory: Path) -> Constant:
        return cls()


def package_hash(workspace: Workspace) -> str:
    """The hash of a small python-flavor package stored in ``workspace``'s artifact store."""
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary) / "package"
        save_package(Constant(), directory, input_example=[{"x": 1.0}, {"x": 2.0}])
        return store_package(directory, workspace.artifacts)


def register(
    workspace: Workspace,
    count: int = 1,
    name: str = "churn",
    *,
    actor: str = "trainer",
    status: str = "ready",
) -> list[ModelVersionRecord]:
    """Register ``count`` versions of ``name``, each with a real stored package."""
    digest = package_hash(workspace)
    return [
        workspace.models.create_version(
            name, package_hash=digest, flavor="python", signature=None, source_run_id=None,
            actor=actor, status=status,
        )
        for _ in range(count)
    ]  # fmt: skip
