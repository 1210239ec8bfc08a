"""What the root command's options resolve to, shared with every sub-command."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from shipyard import Workspace


READ_ONLY_COMMANDS = frozenset({
    "runs list", "runs show", "models list", "models show", "data list",
    "data show", "data diff", "deployments list", "deployments show", "audit", "lineage",
    "alerts list", "db current",
})  # fmt: skip
"""Commands that only read: pointed at a store that does not exist, they say so and create
nothing. Every other command creates a missing store (at the current schema) as it writes."""


@dataclass
class CliState:
    overrides: dict[str, Any] = field(default_factory=dict)
    _workspace: Workspace | None = None
    read_only: bool = False

    def settings(self) -> Settings:
        return load_settings(**self.overrides)

    def workspace(self) -> Workspace:
        if self._workspace is None:
            from shipyard import open_workspace  # the store loads when used

            self._workspace = open_workspace(self.settings(), create=not self.read_only)
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``--set key=value`` pairs as a dict; a malformed pair is a usage error."""
    known = set(Settings.model_fields)
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(
                f"--set {pair!r} is not KEY=VALUE.", hint="For example: --set project=churn"
            )
        if key not in known:
            raise UsageError(
                f"--set {key!r} is not a setting.",
                hint=f"Settings: {', '.join(sorted(known))}.",
            )
        values[key] = value
    return values


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    names: list[str] = []
    here: Any = ctx
    while here.parent is not None:  # the command's own names, whatever the program is called
        names.append(here.info_name or "")
        here = here.parent
    root.obj.read_only = " ".join(reversed(names)) in READ_ONLY_COMMANDS
    return root.obj
