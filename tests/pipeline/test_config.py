from __future__ import annotations

from pathlib import Path

import pytest

from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConfigurationError
from shipyard.core.yamlfile import parse_scalar, parse_yaml
from shipyard.pipeline.config import load_pipeline_config
from shipyard.pipeline.runner import run_pipeline
from tests.pipeline.project import CONFIG, make_project


def test_locate_gives_the_line_of_any_key_and_refuses_duplicated_keys() -> None:
    document, locate = parse_yaml("a: 1\nb:\n  c:\n    - x\n    - {d: 2}\n")
    assert document == {"a": 1, "b": {"c": ["x", {"d": 2}]}}
    assert locate(("b", "c", 1, "d")) == 5
    assert locate(("b", "missing")) == 2  # the mapping that lacks it
    with pytest.raises(ConfigurationError, match=r"<yaml>:3 a: duplicated key \(first at line 1\)"):
        parse_yaml("a: 1\nb: 2\na: 3\n")


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = make_project(tmp_path, config=CONFIG.replace("  seed: 11", "  seed: [11"))
    with pytest.raises(ConfigurationError, match=r"^shipyard.yaml:\d+: "):
        load_pipeline_config(path)


def test_a_bad_key_or_value_names_the_key_and_its_line(tmp_path: Path) -> None:
    path = make_project(tmp_path, config=CONFIG.replace("  seed: 11", "  sead: 11"))
    with pytest.raises(ConfigurationError) as caught:
        load_pipeline_config(path)
    assert "shipyard.yaml:14 train.sead: unknown key" in str(caught.value)
    bad_split = CONFIG.replace("test_size: 0.3", "test_size: 3")
    with pytest.raises(ConfigurationError, match=r"shipyard.yaml:5 data.split.test_size: "):
        load_pipeline_config(make_project(tmp_path, config=bad_split))


def test_overrides_are_typed_like_yaml_scalars_and_named_when_wrong(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    config = load_pipeline_config(
        path, overrides=["train.params.C=0.5", "train.params.features=[age, region]",
                         "evaluation.gates[0].min=0.6"])  # fmt: skip
    assert config.train.params == {"C": 0.5, "features": ["age", "region"]}
    assert config.evaluation.gates[0].min == 0.6  # type: ignore[union-attr]
    assert parse_scalar("true") is True and parse_scalar("5") == 5 and parse_scalar("x") == "x"
    with pytest.raises(ConfigurationError, match=r"train.seed \(--set\): "):
        load_pipeline_config(path, overrides=["train.seed=-3"])


def test_a_promotion_policy_naming_an_unknown_gate_is_refused(tmp_path: Path) -> None:
    config = CONFIG.replace("gates: [auc, no-worse, parity]", "gates: [auc, auc-typo]")
    with pytest.raises(ConfigurationError, match=r"shipyard.yaml:\d+ promotion.production.gates"
                       r"\[1\]: unknown gate 'auc-typo'"):  # fmt: skip
        load_pipeline_config(make_project(tmp_path, config=config))


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            "metric: roc_auc, min: 0.7",
            "metric: roc_aucc, min: 0.7",
            r"shipyard.yaml:20 evaluation.gates\[0\].metric: unknown metric 'roc_aucc'",
        ),
        (
            "sensitive: sex",
            "sensitive: gender",
            r"shipyard.yaml:23 evaluation.gates\[2\].sensitive: unknown column 'gender'",
        ),
    ],
)
def test_a_gate_on_an_unknown_metric_or_column_is_refused_before_training(
    tmp_path: Path, sqlite_workspace: Workspace, before: str, after: str, message: str
) -> None:
    path = make_project(tmp_path, config=CONFIG.replace(before, after))
    with pytest.raises(ConfigurationError, match=message):
        run_pipeline(path, workspace=sqlite_workspace)
    steps = {run.name for run in sqlite_workspace.runs.list(limit=20) if run.kind == "step"}
    assert "train" not in steps and "version" in steps
