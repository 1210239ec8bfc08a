"""The ``shipyard`` command. Errors are mapped to messages and exit codes here, once:
a :class:`ShipyardError` prints one sentence plus a hint and exits with its own code (1 for
user errors, 2 for usage errors).

Subcommands load on demand: each is named here with the module and attribute that define it,
and its module (with the libraries it needs: pandas, scikit-learn, uvicorn…) is imported only
when that command runs, or when ``--help`` lists the commands with their help text. So
``shipyard run`` pays for the pipeline's imports and nothing else.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from shipyard.cli import launch
from shipyard.cli.output import print_error
from shipyard.cli.state import CliState, parse_sets
from shipyard.core.errors import ShipyardError

#: Every subcommand, in the order ``--help`` lists them (commands, then groups): name ->
#: "module:attribute" under ``shipyard.cli`` (a Typer app is a group; a function a command).
SUBCOMMANDS: dict[str, str] = {
    "init": "init:init",
    "run": "pipeline:run",
    "reproduce": "pipeline:reproduce",
    "tune": "tune:tune",
    "ci": "ci:ci",
    "smoke": "smoke:smoke",
    "rollout": "rollout:app",
    "promote": "registry:promote",
    "rollback": "registry:rollback",
    "approve": "registry:approve",
    "lineage": "lineage:lineage",
    "batch": "batch:batch",
    "serve": "serve:serve",
    "stream": "stream:stream",
    "ab": "ab:app",
    "ui": "ui:ui",
    "runs": "runs:app",
    "models": "models:app",
    "data": "data:app",
    "db": "db:app",
    "audit": "audit:app",
    "deploy": "serve:deploy_app",
    "deployments": "serve:deployments_app",
    "monitor": "monitor:monitor_app",
    "alerts": "monitor:alerts_app",
    "scorecard": "scorecard:app",
    "staleness": "checks:staleness_command",
}

#: Commands defined in one module and mounted in another's group: (group module:attribute,
#: command name, "module:attribute" of its function).
MOUNTED = [
    ("models:app", "policy", "registry:policy"),
    ("models:app", "offline-online", "checks:offline_online_command"),
    ("models:app", "importance", "checks:importance_command"),
]


def _resolve(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(f"shipyard.cli.{module_name}"), attribute)
    if isinstance(found, typer.Typer):
        for group, name, command in MOUNTED:
            if group == target and all(c.name != name for c in found.registered_commands):
                found.command(name)(_resolve(command))
    return found


class _LazyCommands(MutableMapping[str, Any]):
    """The root group's commands: built from :data:`SUBCOMMANDS` on first lookup."""

    def __init__(self, built: MutableMapping[str, Any], owner: typer.Typer) -> None:
        self._built = dict(built)
        self._owner = owner

    def _build(self, name: str) -> Any:
        found, owner = _resolve(SUBCOMMANDS[name]), self._owner
        if isinstance(found, typer.Typer):
            return get_group_from_info(
                TyperInfo(found, name=name),
                pretty_exceptions_short=owner.pretty_exceptions_short,
                rich_markup_mode=owner.rich_markup_mode,
                suggest_commands=owner.suggest_commands,
            )
        return get_command_from_info(
            CommandInfo(name=name, callback=found),
            pretty_exceptions_short=owner.pretty_exceptions_short,
            rich_markup_mode=owner.rich_markup_mode,
        )

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in SUBCOMMANDS:
                raise KeyError(name)
            self._built[name] = self._build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from SUBCOMMANDS
        yield from (name for name in self._built if name not in SUBCOMMANDS)

    def __len__(self) -> int:
        return len(set(SUBCOMMANDS) | set(self._built))

    def __contains__(self, name: object) -> bool:
        return name in SUBCOMMANDS or name in self._built


class _Group(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands(self.commands, app)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        found = super().resolve_command(ctx, args)  # imports the command's module
        launch.command_ready()
        return found

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ShipyardError as error:
            print_error(error)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="shipyard",
    help="Continuous delivery for machine learning: track, register, promote, serve, watch.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    ctx: typer.Context,
    store: Annotated[
        str | None, typer.Option(help="Metadata store URL (default: SQLite in .shipyard/).")
    ] = None,
    artifacts: Annotated[
        str | None, typer.Option(help="Artifact store URL or folder (default .shipyard/artifacts).")
    ] = None,
    home: Annotated[
        Path | None, typer.Option(help="Folder of the default store and artifacts.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting, KEY=VALUE (repeatable)."),
    ] = None,
) -> None:
    """Settings come from these options, then SHIPYARD_* variables, then shipyard.yaml."""
    overrides: dict[str, Any] = parse_sets(set_ or [])
    if store is not None:
        overrides["store_url"] = store
    if artifacts is not None:
        overrides["artifacts_url"] = artifacts
    if home is not None:
        overrides["home"] = home
    ctx.obj = CliState(overrides=overrides)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    app()
