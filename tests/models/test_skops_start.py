"""skops' default trusted types are computed once per installation: a later process is
handed the same lists, checks a file exactly as the first did, and a tampered cache is
ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from shipyard.models.flavors import skops_estimators

TREE = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"

SCRIPT = """
import sys, orjson
from pathlib import Path
from shipyard.models.flavors.sklearn import skops_io
sio = skops_io()
if sys.argv[2] == "save":
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    x = np.random.default_rng(0).normal(size=(200, 3))
    model = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=3))
    sio.dump(model.fit(x, x[:, 0] > 0), sys.argv[1])
lists = sys.modules["skops.io._trusted_types"]
print(orjson.dumps({
    "untrusted": sio.get_untrusted_types(file=sys.argv[1]),
    "lists": {k: v for k, v in vars(lists).items() if k.endswith("_NAMES")},
    "walked": "sklearn.utils._testing" in sys.modules,
}).decode())
"""


def _run(tmp_path: Path, mode: str) -> dict[str, object]:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "m.skops"), mode],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def test_a_later_process_trusts_exactly_what_the_first_computed(tmp_path: Path) -> None:
    first = _run(tmp_path, "save")
    assert first["walked"] is True  # the first import on this installation walks sklearn
    assert len(list((tmp_path / "cache" / "shipyard").glob("skops-trusted-types-*.json"))) == 1
    later = _run(tmp_path, "load")
    assert later["walked"] is False  # no walk through every sklearn module any more
    assert later["lists"] == first["lists"]
    assert later["untrusted"] == first["untrusted"] == [TREE]  # still named, still refused


def test_a_cache_that_names_other_types_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    key = skops_estimators._key()
    path = skops_estimators.cache_file(key)
    path.parent.mkdir(parents=True)
    honest = {"SKLEARN_ESTIMATOR_TYPE_NAMES": ["sklearn.linear_model._base.LinearRegression"],
              "PRIMITIVE_TYPE_NAMES": ["builtins.int"]}  # fmt: skip
    path.write_bytes(orjson.dumps({"key": key, "lists": honest}))
    assert skops_estimators._cached(key) == honest
    for tampered in (
        {**honest, "SKLEARN_ESTIMATOR_TYPE_NAMES": ["builtins.eval"]},
        {**honest, "PRIMITIVE_TYPE_NAMES": ["os.system"]},
        {**honest, "OTHER_TYPE_NAMES": ["sklearn.base.BaseEstimator"]},
    ):
        path.write_bytes(orjson.dumps({"key": key, "lists": tampered}))
        assert skops_estimators._cached(key) is None
    path.write_bytes(orjson.dumps({"key": {**key, "sklearn": "0.0"}, "lists": honest}))
    assert skops_estimators._cached(key) is None  # another installation's lists
    assert skops_estimators.cache_file({**key, "sklearn": "0.0"}) != path  # in a file of its own
