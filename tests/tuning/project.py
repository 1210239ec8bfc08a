"""The pipeline test project with a ``tune`` section: a LogisticRegression's C and class
weight, searched on the roc_auc the evaluation computes. Its training function reports an
intermediate value, so a pruner has something to judge."""

from __future__ import annotations

from pathlib import Path

from tests.pipeline.project import CONFIG, make_project

TUNE = """\
tune:
  study: credit-search
  metric: roc_auc
  trials: {trials}
  sampler: random
  pruner: {pruner}
  seed: 5
  params:
    C: {{type: float, low: 0.001, high: 10.0, log: true}}
    class_weight: {{type: categorical, choices: [balanced, null]}}
"""

TRAIN = """

def tuned(train, params, label, trial=None):
    import time

    model = fit(train, params, label)
    if trial is not None:
        trial.report(float(model.score(train.drop(columns=[label]), train[label])), 0)
        if trial.should_prune():
            trial.prune()
        time.sleep(float(params.get("pause", 0)))
    return model
"""


def make_tuning_project(
    directory: Path, *, trials: int = 6, pruner: str = "none", pause: float = 0.0,
    rows: int = 600,
) -> Path:  # fmt: skip
    """The project in ``directory``; returns its shipyard.yaml."""
    config = CONFIG.replace("entrypoint: train:fit", "entrypoint: train:tuned").replace(
        "params: {C: 1.0}", f"params: {{C: 1.0, pause: {pause}}}"
    )
    config = config.replace("evaluation:", TUNE.format(trials=trials, pruner=pruner)
                            + "evaluation:", 1)  # fmt: skip
    path = make_project(directory, rows=rows, config=config)
    with (directory / "train.py").open("a") as handle:
        handle.write(TRAIN)
    return path
