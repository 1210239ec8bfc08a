"""Serving options are declared once (core/serve_options.py); settings keys, deployment config
keys, validation and `shipyard serve`'s options are derived from that declaration."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from shipyard._store.workspace import Workspace
from shipyard.cli.app import app
from shipyard.core.errors import UsageError
from shipyard.core.serve_options import DEPLOYMENT_KEYS, OPTIONS, ServeOptions
from shipyard.core.settings import Settings, load_settings
from shipyard.serving.deploy import CONFIG_KEYS, deploy_online
from shipyard.serving.online.api import plan_options
from tests.packaged import package_hash


def _serve_command() -> Any:
    return get_command(app).commands["serve"]  # type: ignore[attr-defined]


def test_settings_and_deployment_keys_come_from_the_declaration() -> None:
    declared = {spec["setting"]: name for name, spec in OPTIONS.items() if spec["setting"]}
    assert set(declared) <= set(Settings.model_fields)
    defaults = {f.name: f.default for f in dataclasses.fields(ServeOptions)}
    for setting, name in declared.items():
        assert Settings.model_fields[setting].default == defaults[name]
    assert CONFIG_KEYS == DEPLOYMENT_KEYS
    assert {"max_batch_size", "log_predictions", "batching"} <= DEPLOYMENT_KEYS
    assert not {"trusted", "tokens", "host", "port", "workers"} & DEPLOYMENT_KEYS


def test_a_setting_and_the_option_validate_alike() -> None:
    # was: prediction_log_max_pending_rows=0 refused as a setting, accepted as an option
    with pytest.raises(UsageError, match="log_max_pending_rows must be greater than 0"):
        ServeOptions(deployment="d", log_max_pending_rows=0)
    with pytest.raises(Exception, match="prediction_log_max_pending_rows"):
        load_settings(prediction_log_max_pending_rows=0)
    with pytest.raises(UsageError, match="max_batch_size must be int"):
        ServeOptions(deployment="d", max_batch_size="3")  # type: ignore[arg-type]


def test_every_cli_flag_is_a_declared_option() -> None:
    names = {p.name for p in _serve_command().params} - {"target", "token_file"}
    assert names == {name for name, spec in OPTIONS.items() if spec["flag"] is not None}


def test_serve_and_stream_share_the_trust_options() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    for name in ("trusted_types", "trusted"):
        served = next(p for p in commands["serve"].params if p.name == name)
        streamed = next(p for p in commands["stream"].params
                        if p.opts == served.opts)  # fmt: skip
        assert streamed.help == served.help == OPTIONS[name]["help"]
    assert "--trust" in next(p for p in commands["stream"].params if p.name == "trust").opts


def test_the_cli_does_not_override_a_deployments_config_with_its_defaults(
    registered_workspace: Workspace,
) -> None:
    """Was: `shipyard serve` always passed batching=True, log_predictions=True, workers=1 …,
    so a deployment's `config: {log_predictions: false}` was silently ignored."""
    ws = registered_workspace
    deploy_online("quiet", routes=["churn/1=100"],
                  config={"log_predictions": False, "batching": False}, workspace=ws)  # fmt: skip
    context = _serve_command().make_context("serve", ["quiet"])
    given = {k: v for k, v in context.params.items() if k not in ("target", "token_file", "trust")}
    planned = plan_options("quiet", ws, **given)
    assert (planned.log_predictions, planned.batching) == (False, False)
    flagged = _serve_command().make_context("serve", ["quiet", "--log", "--max-batch-size", "8"])
    given = {k: v for k, v in flagged.params.items() if k not in ("target", "token_file", "trust")}
    planned = plan_options("quiet", ws, **given)
    assert (planned.log_predictions, planned.max_batch_size) == (True, 8)


def test_a_deployment_config_value_is_checked_when_it_is_written(
    registered_workspace: Workspace,
) -> None:
    with pytest.raises(UsageError, match="extra must be one of"):
        deploy_online("bad", routes=["churn/1"], config={"extra": "allow"},
                      workspace=registered_workspace)  # fmt: skip
    with pytest.raises(UsageError, match="Unknown serving option"):
        deploy_online("bad", routes=["churn/1"], config={"trusted": True},
                      workspace=registered_workspace)  # fmt: skip


@pytest.fixture
def registered_workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace(load_settings(home=tmp_path / "home", capture_git=False)) as ws:
        ws.models.create_version("churn", package_hash=package_hash(ws), flavor="python",
                                 signature=None, source_run_id=None, actor="trainer")  # fmt: skip
        yield ws
