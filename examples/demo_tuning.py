"""The tuning and explanation part of `make demo`: the credit project of the pipeline part,
copied with a `tune:` section, searched with `shipyard tune` (every trial a tracked run), then
`shipyard run`, whose tune step resumes the study and whose train step uses the best params;
finally the tuned version explains two predictions with `sy.explain`.

``examples/demo.py`` calls ``run(step, first)`` after the pipeline part (which scaffolds
.demo/credit); it returns the next free step number.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from demo_pipeline import shipyard

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / ".demo" / "credit"
PROJECT = ROOT / ".demo" / "tuned"
TUNE = """
tune:
  study: credit-search
  metric: roc_auc
  trials: 6
  sampler: tpe
  seed: 3
  params:
    C: {type: float, low: 0.001, high: 10.0, log: true}
"""


def run(step: Callable[[int, str], None], first: int) -> int:
    import os

    import pandas as pd

    import shipyard as sy

    step(first, "Tune the training params: six Optuna trials, each a tracked run")
    shutil.rmtree(PROJECT, ignore_errors=True)
    shutil.copytree(SOURCE, PROJECT, ignore=shutil.ignore_patterns(".shipyard", ".git"))
    config = PROJECT / "shipyard.yaml"
    config.write_text(config.read_text().replace("\nevaluation:", TUNE + "\nevaluation:", 1))
    shipyard("tune", cwd=PROJECT)

    step(first + 1, "Train with the best params: the tune step resumes the study")
    shipyard("run", cwd=PROJECT)
    here = Path.cwd()
    os.chdir(PROJECT)
    try:
        [model] = sy.list_models()
        version = sy.list_model_versions(model.name)[-1]
        source = sy.get_run(version.source_run_id or "")
        print(f"  {version.ref} was trained by run {source.id} with C={source.params['C']}, "
              f"tuned by study run {source.tags['shipyard.tuning.study']}")  # fmt: skip

        step(first + 2, "Explain two predictions of the tuned version (SHAP, per input column)")
        loaded = sy.load_model(version.ref)
        rows = pd.read_parquet(PROJECT / "data" / "applications.parquet").head(2)
        found = sy.explain(loaded, rows[loaded.signature.names])
        for number, attributions in enumerate(found.rows()):
            top = sorted(attributions.items(), key=lambda item: -abs(item[1]))[:3]
            shown = ", ".join(f"{name} {value:+.2f}" for name, value in top)
            print(f"  row {number}: log-odds {found.base_value:+.2f} (base) … {shown}")
    finally:
        os.chdir(here)
    return first + 3
