"""``shipyard tune``: run or resume the hyperparameter search of shipyard.yaml's ``tune``."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard.cli.output import ConfigOption, JsonOption, SetOption, print_json, print_table, say
from shipyard.cli.state import state
from shipyard.pipeline.tuning import tune as run_tuning


def tune(
    ctx: typer.Context,
    config: ConfigOption = None,
    sets: SetOption = None,
    trials: Annotated[
        int | None, typer.Option(min=1, help="Trials the study should have in all.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.001, help="Stop starting trials after this many seconds.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Search the training params (every trial a tracked run); the same study resumes."""
    result = run_tuning(
        config, overrides=sets or [], trials=trials, timeout=timeout,
        workspace=state(ctx).workspace(),
    )  # fmt: skip
    if as_json:
        print_json(result.to_dict())
        return
    counts = ", ".join(f"{n} {state_}" for state_, n in sorted(result.trials.items()))
    say(f"Study {result.study} (run {result.study_run_id}): {counts}.")
    say(f"Best {result.metric}: {result.best_value} with {result.best_params}")
    if result.importances:
        print_table("Param importances", ["param", "importance"],
                    ([k, f"{v:.3f}"] for k, v in result.importances.items()))  # fmt: skip
