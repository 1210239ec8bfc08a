"""Lineage: where a model version came from and where it went, read from the store.

Upstream of a version: the run that trained it (and the run that evaluated it), the dataset
versions those runs read, where each dataset version came from (its source, the versions it
was derived from, the run that wrote it), and the runs those steps belong to. Downstream: the
aliases pointing at it and the deployments serving it, by version or through an alias.

Edges point the way data flows (source -> dataset -> run -> model version -> alias ->
deployment). The graph is data: a JSON document or a Mermaid flowchart; the CLI draws it
as a tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipyard._store.deployments import DeploymentRecord
from shipyard._store.records import ModelVersionRecord
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.data.versions import resolve as resolve_dataset
from shipyard.registry import ModelRef, resolve

SOURCE, DATASET, RUN, MODEL_VERSION, ALIAS, DEPLOYMENT = (
    "source", "dataset", "run", "model_version", "alias", "deployment",
)  # fmt: skip

# How the Mermaid flowchart draws each kind of node: (opening, closing) around the label.
_SHAPES = {
    SOURCE: ('[/"', '"/]'), DATASET: ('[("', '")]'), RUN: ('["', '"]'),
    MODEL_VERSION: ('{{"', '"}}'), ALIAS: ('(["', '"])'), DEPLOYMENT: ('[["', '"]]'),
}  # fmt: skip

# How a tree reads an edge from its downstream end ("trained in run …") and its upstream end.
UPSTREAM_VERBS = {
    "registered": "trained in", "evaluated": "evaluated in", "input": "read",
    "output": "written by", "derived": "derived from", "ingested": "from",
    "parent": "step of",
}  # fmt: skip
# Sources that name no place to trace back to (shipyard.data.readers describes them so).
_IN_MEMORY = ("pandas DataFrame", "polars DataFrame", "Arrow ")
DOWNSTREAM_VERBS = {"alias": "as", "serves": "served by", "shadows": "shadowed by",
               "routes": "routed to"}  # fmt: skip


@dataclass(frozen=True)
class LineageNode:
    id: str
    kind: str
    label: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label,
                "attributes": dict(self.attributes)}  # fmt: skip


@dataclass(frozen=True)
class LineageEdge:
    """``source`` feeds ``target``; ``relation`` says how, ``label`` adds detail (a dataset's
    context such as "train", a deployment's traffic share)."""

    source: str
    target: str
    relation: str
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "relation": self.relation,
                "label": self.label}  # fmt: skip


@dataclass
class LineageGraph:
    """The lineage of one model version (``root``): nodes by id, and edges between them."""

    root: str
    nodes: dict[str, LineageNode] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)

    def upstream(self, node_id: str) -> list[tuple[LineageEdge, LineageNode]]:
        """What feeds ``node_id`` directly, with the edge from each."""
        return [(e, self.nodes[e.source]) for e in self.edges if e.target == node_id]

    def downstream(self, node_id: str) -> list[tuple[LineageEdge, LineageNode]]:
        """What ``node_id`` feeds directly, with the edge to each."""
        return [(e, self.nodes[e.target]) for e in self.edges if e.source == node_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "nodes": [node.to_dict() for node in self.nodes.values()],
            "edges": [edge.to_dict() for edge in self.edges],
        }

    def to_mermaid(self) -> str:
        """A Mermaid ``flowchart LR`` of the graph; the root version is drawn in bold."""
        short = {node_id: f"n{index}" for index, node_id in enumerate(self.nodes)}
        lines = ["flowchart LR"]
        for node in self.nodes.values():
            opening, closing = _SHAPES[node.kind]
            lines.append(f"    {short[node.id]}{opening}{_mermaid_text(node.label)}{closing}")
        for edge in self.edges:
            text = edge.relation + (f": {edge.label}" if edge.label else "")
            lines.append(
                f'    {short[edge.source]} -->|"{_mermaid_text(text)}"| {short[edge.target]}'
            )
        lines.append("    classDef root stroke-width:3px")
        lines.append(f"    class {short[self.root]} root")
        return "\n".join(lines) + "\n"


def lineage(ref: str | ModelRef, *, workspace: Workspace | None = None) -> LineageGraph:
    """The lineage graph of a model version: ``name/3``, ``name@production`` or ``name``."""
    ws = workspace or workspace_for()
    version = resolve(ref, workspace=ws)
    return _Builder(ws).build(version)


class _Builder:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.graph = LineageGraph(root="")
        self.visited: set[str] = set()

    def build(self, version: ModelVersionRecord) -> LineageGraph:
        root = self._model_version(version)
        self.graph.root = root
        if version.source_run_id is not None:
            self._edge(self._run(version.source_run_id), root, "registered")
        evaluation = self.ws.promotion.latest_evaluation(version.model_name, version.version)
        if evaluation is not None and evaluation.run_id not in (None, version.source_run_id):
            self._edge(self._run(str(evaluation.run_id)), root, "evaluated")
        for alias in version.aliases:
            name = f"{version.model_name}@{alias}"
            self._edge(root, self._node(f"alias:{name}", ALIAS, f"alias {name}"), "alias")
        for deployment in self.ws.deployments.list(model=version.model_name):
            self._deployment(deployment, version, root)
        return self.graph

    # -- nodes -----------------------------------------------------------------------------

    def _model_version(self, version: ModelVersionRecord) -> str:
        attributes: dict[str, Any] = {
            "status": version.status, "flavor": version.flavor,
            "package_hash": version.package_hash, "created_at": version.created_at,
        }  # fmt: skip
        evaluation = self.ws.promotion.latest_evaluation(version.model_name, version.version)
        if evaluation is not None:
            attributes["evaluation"] = "passed" if evaluation.passed else "failed"
            failed = [str(gate["name"]) for gate in evaluation.failed_gates]
            if failed:
                attributes["failed_gates"] = failed
        return self._node(f"model:{version.ref}", MODEL_VERSION, f"model {version.ref}",
                          attributes)  # fmt: skip

    def _run(self, run_id: str) -> str:
        node_id = f"run:{run_id}"
        if node_id in self.visited:
            return node_id
        self.visited.add(node_id)
        run = self.ws.runs.get(run_id)
        self._node(node_id, RUN, f"run {run.name} {run.id}", {
            "kind": run.kind, "status": run.status, "project": run.project,
            "git_commit": run.git_commit, "git_dirty": run.git_dirty, "seed": run.seed,
            "start_time": run.start_time,
        })  # fmt: skip
        if run.parent_run_id is not None:
            self._edge(self._run(run.parent_run_id), node_id, "parent")
        for usage in self.ws.datasets.run_datasets(run_id):
            if usage.role == "input":
                self._edge(self._dataset(usage.dataset_ref), node_id, "input", usage.context)
        return node_id

    def _dataset(self, ref: str) -> str:
        node_id = f"dataset:{ref}"
        if node_id in self.visited:
            return node_id
        self.visited.add(node_id)
        record = resolve_dataset(self.ws, ref)
        self._node(node_id, DATASET, f"dataset {ref}", {
            "rows": record.row_count, "content_hash": record.content_hash,
            "source": record.source, "created_at": record.created_at,
        })  # fmt: skip
        if record.source and not record.source.startswith(_IN_MEMORY):
            source = self._node(f"source:{record.source}", SOURCE, f"source {record.source}")
            self._edge(source, node_id, "ingested")
        for parent in record.parents:
            self._edge(self._dataset(parent), node_id, "derived")
        if record.created_by_run_id is not None:
            self._edge(self._run(record.created_by_run_id), node_id, "output")
        return node_id

    def _deployment(self, deployment: DeploymentRecord, version: ModelVersionRecord,
                    root: str) -> None:  # fmt: skip
        total = sum(float(route.get("weight", 0)) for route in deployment.routes) or 1.0
        links: list[tuple[str, str, str | None]] = []
        for route in deployment.routes:
            share = f"{100 * float(route.get('weight', 0)) / total:.0f}%"
            if route.get("version") == version.version:
                links.append((root, "serves", share))
            elif route.get("alias") in version.aliases:
                links.append((f"alias:{version.model_name}@{route['alias']}", "routes", share))
        if version.version in deployment.shadows:
            links.append((root, "shadows", None))
        if not links:
            return
        node_id = self._node(
            f"deployment:{deployment.name}", DEPLOYMENT,
            f"deployment {deployment.name} ({deployment.mode})",
            {"mode": deployment.mode, "status": deployment.status},
        )  # fmt: skip
        for source, relation, label in links:
            self._edge(source, node_id, relation, label)

    # -- graph -----------------------------------------------------------------------------

    def _node(self, node_id: str, kind: str, label: str,
              attributes: Mapping[str, Any] | None = None) -> str:  # fmt: skip
        if node_id not in self.graph.nodes:
            plain = {key: _plain(value) for key, value in (attributes or {}).items()}
            self.graph.nodes[node_id] = LineageNode(node_id, kind, label, plain)
        return node_id

    def _edge(self, source: str, target: str, relation: str, label: str | None = None) -> None:
        edge = LineageEdge(source, target, relation, label)
        if edge not in self.graph.edges:
            self.graph.edges.append(edge)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def summary(node: LineageNode) -> Iterator[tuple[str, Any]]:
    """The few attributes of ``node`` worth a glance in a tree."""
    keys = {
        MODEL_VERSION: ("status", "evaluation", "failed_gates"),
        RUN: ("kind", "status", "git_commit"),
        DATASET: ("rows",),
        DEPLOYMENT: ("status",),
    }.get(node.kind, ())
    for key in keys:
        value = node.attributes.get(key)
        if value is not None:
            if key == "git_commit":
                value = str(value)[:10]
            elif isinstance(value, list):
                value = ", ".join(map(str, value))
            yield key, value


def _mermaid_text(text: str) -> str:
    """Label text safe inside Mermaid's quotes."""
    return text.replace('"', "#quot;").replace("\n", " ")
