"""A workspace: the metadata store and artifact store that settings point at, opened once.

Nothing here is global: code that needs the stores is handed a :class:`Workspace`, or calls
:func:`open_workspace` to resolve one from settings.
"""

from __future__ import annotations

import getpass
import os
import socket
from functools import cached_property
from pathlib import Path
from typing import Any

from shipyard._store.artifacts import ArtifactStore
from shipyard._store.audit import AuditRepository
from shipyard._store.database import Database
from shipyard._store.datasets import DatasetRepository
from shipyard._store.deployments import DeploymentRepository
from shipyard._store.migrate import ensure_schema
from shipyard._store.models import ModelRepository
from shipyard._store.monitoring import MonitoringRepository
from shipyard._store.promotion import PromotionRepository
from shipyard._store.rollouts import RolloutRepository
from shipyard._store.runs import RunRepository
from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings, load_settings


class Workspace:
    """The stores of one Shipyard installation, with a repository per aggregate."""

    def __init__(
        self, settings: Settings, *, check_schema: bool = True, create: bool = True
    ) -> None:
        """Open the stores of ``settings``; ``create=False`` (for commands that only read)
        refuses a store that does not exist rather than creating an empty one."""
        self.settings = settings
        self.db = Database(settings.resolved_store_url, create=create)
        if check_schema:
            try:
                self.db.check_reachable()
                ensure_schema(self.db)
            except BaseException:
                self.db.close()
                raise
        self.runs = RunRepository(self.db)
        self.models = ModelRepository(self.db)
        self.audit = AuditRepository(self.db)
        self.datasets = DatasetRepository(self.db)
        self.deployments = DeploymentRepository(self.db)
        self.promotion = PromotionRepository(self.db)
        self.monitoring = MonitoringRepository(self.db)
        self.rollouts = RolloutRepository(self.db)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.settings.resolved_artifacts_url)

    @property
    def cache_dir(self) -> Path:
        """Local folder for verified copies of packages fetched from the artifact store."""
        return self.settings.home / "cache"

    @property
    def actor(self) -> str:
        """Who acts, for the audit log: the setting, else ``user@host``."""
        return self.settings.actor or default_actor()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def default_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER", "unknown")
    return f"{user}@{socket.gethostname()}"


def open_workspace(
    settings: Settings | None = None, *, create: bool = True, **overrides: Any
) -> Workspace:
    """Open the workspace of ``settings`` (resolved from the environment when not given);
    ``create=False`` refuses a store that does not exist yet instead of creating it."""
    if settings is not None and not isinstance(settings, Settings):
        raise UsageError(
            f"settings must be a Settings object, not {type(settings).__name__}.",
            hint="Pass sy.load_settings(...), or keyword arguments: open_workspace(home=...).",
        )
    return Workspace(
        settings if settings is not None else load_settings(**overrides), create=create
    )


_open: dict[Settings, Workspace] = {}


def workspace_for(settings: Settings | None = None) -> Workspace:
    """The workspace for ``settings``, opened once per process and reused (a connection pool is
    expensive to build; the settings object is immutable, so it is a safe key)."""
    resolved = settings if settings is not None else load_settings()
    workspace = _open.get(resolved)
    if workspace is None:
        workspace = _open.setdefault(resolved, Workspace(resolved))
    return workspace
