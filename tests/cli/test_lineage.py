"""``shipyard lineage``: a real chain of runs, datasets, a model, an alias and deployments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.pipeline.lineage import lineage
from shipyard.registry import record_evaluation
from tests.cli.conftest import Invoke
from tests.registered_model import make_frame


@dataclass
class Chain:
    pipeline: str
    version_step: str
    split_step: str
    train_step: str
    evaluate_step: str
    source: str


@pytest.fixture
def chain(workspace: Workspace, tmp_path: Path) -> Chain:
    """credit.csv -> credit/1 (written by a version step) -> credit_train/1 (derived, written by
    a split step) -> train step -> credit/1, evaluated on credit/1 by an evaluate step; all
    steps children of one pipeline run. credit/1 is production, served by two deployments."""
    frame = make_frame(60)
    frame["label"] = (frame["age"] > 50).astype(int)
    csv = tmp_path / "credit.csv"
    frame.to_csv(csv, index=False)
    with sy.start_run("pipeline", kind="pipeline", workspace=workspace) as pipeline:
        with sy.start_run("version", kind="step") as version_step:
            raw = sy.log_dataset(csv, "credit", role="output")
        with sy.start_run("split", kind="step") as split_step:
            sy.log_dataset(frame.head(40), "credit_train", parents=[raw.ref], role="output")
        with sy.start_run("train", kind="step") as train_step:
            train = sy.load_dataset("credit_train/1", context="train")
            features = train[["age", "income"]]
            model = LogisticRegression().fit(features, train["label"])
            train_step.log_model(model, "credit", input_example=features.head(3))
        with sy.start_run("evaluate", kind="step") as evaluate_step:
            sy.load_dataset("credit/1", context="eval")
            record_evaluation(
                "credit", 1, passed=False, gates=[{"name": "auc_min", "passed": False}],
                metrics={"roc_auc": 0.6}, report_hashes={}, run_id=evaluate_step.id,
                workspace=workspace,
            )  # fmt: skip
    sy.promote("credit", 1, "production", workspace=workspace, force=True, reason="demo")
    workspace.deployments.apply("credit-online", model="credit", actor="t",
                                routes=[{"alias": "production", "weight": 100}])  # fmt: skip
    workspace.deployments.apply("credit-canary", model="credit", mode="online", actor="t",
                                routes=[{"version": 1, "weight": 90}], shadows=[1])  # fmt: skip
    steps = (version_step.id, split_step.id, train_step.id, evaluate_step.id)
    return Chain(pipeline.id, *steps, source=str(raw.source))


def test_the_graph_runs_from_the_source_to_the_deployments(
    workspace: Workspace, chain: Chain
) -> None:
    graph = lineage("credit@production", workspace=workspace)
    run = {name: f"run:{run_id}" for name, run_id in (
        ("pipeline", chain.pipeline), ("version", chain.version_step), ("split", chain.split_step),
        ("train", chain.train_step), ("evaluate", chain.evaluate_step),
    )}  # fmt: skip
    source = f"source:{chain.source}"
    assert graph.root == "model:credit/1"
    assert {n.id: n.kind for n in graph.nodes.values()} == {
        "model:credit/1": "model_version", run["train"]: "run", run["pipeline"]: "run",
        "dataset:credit_train/1": "dataset", "dataset:credit/1": "dataset", source: "source",
        run["version"]: "run", run["split"]: "run", run["evaluate"]: "run",
        "alias:credit@production": "alias",
        "deployment:credit-online": "deployment", "deployment:credit-canary": "deployment",
    }  # fmt: skip
    assert {(e.source, e.target, e.relation, e.label) for e in graph.edges} == {
        (run["train"], "model:credit/1", "registered", None),
        (run["pipeline"], run["train"], "parent", None),
        ("dataset:credit_train/1", run["train"], "input", "train"),
        ("dataset:credit/1", "dataset:credit_train/1", "derived", None),
        (run["split"], "dataset:credit_train/1", "output", None),
        (run["pipeline"], run["split"], "parent", None),
        (source, "dataset:credit/1", "ingested", None),
        (run["version"], "dataset:credit/1", "output", None),
        (run["pipeline"], run["version"], "parent", None),
        (run["evaluate"], "model:credit/1", "evaluated", None),
        (run["pipeline"], run["evaluate"], "parent", None),
        ("dataset:credit/1", run["evaluate"], "input", "eval"),
        ("model:credit/1", "alias:credit@production", "alias", None),
        ("alias:credit@production", "deployment:credit-online", "routes", "100%"),
        ("model:credit/1", "deployment:credit-canary", "serves", "100%"),
        ("model:credit/1", "deployment:credit-canary", "shadows", None),
    }  # fmt: skip
    model = graph.nodes["model:credit/1"].attributes
    assert (model["status"], model["evaluation"], model["failed_gates"]) == (
        "ready", "failed", ["auc_min"],
    )  # fmt: skip
    assert graph.nodes["dataset:credit/1"].attributes["rows"] == 60
    assert graph.nodes[run["train"]].attributes["kind"] == "step"
    assert json.loads(json.dumps(graph.to_dict()))["root"] == "model:credit/1"


def test_the_mermaid_flowchart_draws_every_node_and_edge(
    workspace: Workspace, chain: Chain
) -> None:
    graph = lineage("credit/1", workspace=workspace)
    short = {node_id: f"n{index}" for index, node_id in enumerate(graph.nodes)}
    text = graph.to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert f'    {short["model:credit/1"]}{{{{"model credit/1"}}}}' in lines
    assert f'    {short["dataset:credit/1"]}[("dataset credit/1")]' in lines
    assert f'    {short[f"run:{chain.train_step}"]}["run train {chain.train_step}"]' in lines
    assert f'    {short["alias:credit@production"]}(["alias credit@production"])' in lines
    online = short["deployment:credit-online"]
    assert f'    {online}[["deployment credit-online (online)"]]' in lines
    assert (f'    {short["dataset:credit_train/1"]} -->|"input: train"| '
            f'{short[f"run:{chain.train_step}"]}') in lines  # fmt: skip
    assert (f'    {short["alias:credit@production"]} -->|"routes: 100%"| '
            f'{short["deployment:credit-online"]}') in lines  # fmt: skip
    assert lines[-1] == f"    class {short['model:credit/1']} root"
    assert len([line for line in lines if "-->" in line]) == len(graph.edges) == 16
    assert len(lines) == 1 + len(graph.nodes) + len(graph.edges) + 2


def test_a_version_with_no_history_has_a_one_node_graph(workspace: Workspace) -> None:
    workspace.models.create_version(
        "bare", package_hash="ab" * 32, flavor="python", signature=None, source_run_id=None,
        actor="t",
    )  # fmt: skip
    graph = lineage("bare", workspace=workspace)
    assert (list(graph.nodes), graph.edges) == (["model:bare/1"], [])
    assert graph.to_mermaid() == (
        'flowchart LR\n    n0{{"model bare/1"}}\n    classDef root stroke-width:3px\n'
        "    class n0 root\n"
    )


def test_the_command_prints_a_tree_json_and_mermaid(shipyard_cli: Invoke, chain: Chain) -> None:
    result = shipyard_cli("lineage", "credit@production")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "model credit/1" in out and "status ready, evaluation failed" in out
    assert f"trained in run train {chain.train_step}" in out
    assert "read dataset credit_train/1 (train)" in out
    assert "derived from dataset credit/1" in out
    assert f"from source {chain.source}" in out
    assert "routed to deployment credit-online (online) (100%)" in out
    assert "(see above)" in out  # the pipeline run is the parent of three steps

    data = json.loads(shipyard_cli("lineage", "credit/1", "--json").stdout)
    assert data["root"] == "model:credit/1" and len(data["edges"]) == 16
    mermaid = shipyard_cli("lineage", "credit/1", "--mermaid").stdout
    assert mermaid.startswith("flowchart LR\n")

    both = shipyard_cli("lineage", "credit/1", "--json", "--mermaid")
    assert both.exit_code == 2 and "Choose one of --json and --mermaid" in both.output
    ghost = shipyard_cli("lineage", "ghost@production")
    assert ghost.exit_code == 1 and "'ghost' is not registered" in ghost.output
