"""One error tree: every Shipyard error class is drawn in core/errors.py, and a user's mistake
in a public call is a ShipyardError with a message and a hint, never a bare ValueError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.core import errors
from shipyard.core.serve_options import ServeOptions
from shipyard.tracking.fluent import _active


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for child in list(found):
        found |= _subclasses(child)
    return found


def test_every_error_class_is_in_the_tree_drawn_in_core_errors() -> None:
    for module in pkgutil.walk_packages(sy.__path__, "shipyard."):
        if ".migrations" in module.name:  # Alembic scripts run only under Alembic
            continue
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional extra that is not installed
            continue
    assert errors.__doc__ is not None
    drawn = {
        line.split("── ")[1].split()[0] for line in errors.__doc__.splitlines() if "── " in line
    }
    names = {cls.__name__ for cls in _subclasses(errors.ShipyardError)}
    assert names - drawn == set(), "draw these in core/errors.py's tree"


BAD_CALLS: dict[str, Callable[[Workspace], Any]] = {
    "seed_everything text": lambda ws: sy.seed_everything("x"),  # type: ignore[arg-type]
    "seed_everything negative": lambda ws: sy.seed_everything(-1),
    "start_run then end done": lambda ws: sy.start_run(workspace=ws).end("done"),
    "promote bad version": lambda ws: sy.promote("churn", "²", "production", workspace=ws),
    "promote no alias": lambda ws: sy.promote("churn/1", workspace=ws),
    "promote not a name": lambda ws: sy.promote(3, 1, "production", workspace=ws),  # type: ignore[arg-type]
    "resolve bad ref": lambda ws: sy.resolve("churn/0", workspace=ws),
    "resolve not text": lambda ws: sy.resolve(None, workspace=ws),  # type: ignore[arg-type]
    "load_dataset alias": lambda ws: sy.load_dataset("churn@prod", workspace=ws),
    "approve bad version": lambda ws: sy.approve("churn/1e3", alias="production", workspace=ws),
    "check_policy no version": lambda ws: sy.check_policy("churn", workspace=ws),
    "load_settings bad": lambda ws: sy.load_settings(metric_flush_interval="soon"),
    "Column min above max": lambda ws: sy.Column(min=5, max=1),
    "Expectations rows text": lambda ws: sy.Expectations(rows="x"),  # type: ignore[arg-type]
    "EvaluationSpec no task": lambda ws: sy.EvaluationSpec(gates=[]),  # type: ignore[call-arg]
    "ServeOptions bad extra": lambda ws: ServeOptions(deployment="d", extra="allow"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_a_users_mistake_is_a_shipyard_error_with_a_hint(
    sqlite_workspace: Workspace, case: str
) -> None:
    with pytest.raises(sy.ShipyardError) as caught:
        BAD_CALLS[case](sqlite_workspace)
    assert caught.value.message and caught.value.hint, caught.value


LONG_RUNNING = {"serve", "stream", "monitor_watch", "retrain", "run_pipeline", "reproduce"}


def _public_functions() -> list[str]:
    names = []
    for name in sy.__all__:
        found = getattr(sy, name)
        if not inspect.isfunction(found) or name in LONG_RUNNING:
            continue
        parameters = inspect.signature(found).parameters.values()
        if any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters):
            names.append(name)
    return names


@pytest.mark.parametrize("bad", ["", 12345, None], ids=["empty", "int", "none"])
@pytest.mark.parametrize("name", _public_functions())
def test_every_public_function_given_a_bad_first_argument(
    sqlite_workspace: Workspace, name: str, bad: object
) -> None:
    """The first argument wrong (other required ones "x"): a ShipyardError with a hint, or a
    value the function can use (``seed_everything(12345)``) — never a bare Python error."""
    function = getattr(sy, name)
    parameters = inspect.signature(function).parameters.values()
    positional = [p for p in parameters if p.default is p.empty
                  and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]  # fmt: skip
    keywords = {
        p.name: "x" for p in parameters if p.default is p.empty and p.kind is p.KEYWORD_ONLY
    }
    if any(p.name == "workspace" for p in parameters):
        keywords["workspace"] = sqlite_workspace
    args = [bad] + ["x"] * (len(positional) - 1)
    token = _active.set(None)  # a run this call starts must not outlive the test
    try:
        function(*args, **keywords)
    except sy.ShipyardError as error:
        assert error.message and error.hint, f"{name}: {error!r} has no hint"
    finally:
        _active.reset(token)
