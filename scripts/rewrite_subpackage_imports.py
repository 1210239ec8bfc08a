"""One-off: rewrite `from shipyard.<pkg> import name` (pkg: data, models, evaluation,
pipeline, tracking) to import each name from the module that defines it, now that those
packages' __init__ files are plain. Run from the repository root on a branch's code, then
`ruff check --fix . && ruff format .`. Delete once every branch is merged."""

import ast
import subprocess
import sys
from pathlib import Path

TABLES = {
    "shipyard.data": {
        "Check": "shipyard.data.expectations",
        "Column": "shipyard.data.expectations",
        "ColumnSchema": "shipyard.data.schema",
        "ContentHasher": "shipyard.data.content_hash",
        "DataError": "shipyard.data.errors",
        "DataValidationError": "shipyard.data.errors",
        "DatasetDiff": "shipyard.data.diff",
        "DatasetRef": "shipyard.data.refs",
        "DatasetSchema": "shipyard.data.schema",
        "DriftReport": "shipyard.data.drift",
        "Expectations": "shipyard.data.expectations",
        "Failure": "shipyard.data.report",
        "FeatureDrift": "shipyard.data.drift",
        "RowBounds": "shipyard.data.expectations",
        "SchemaChange": "shipyard.data.diff",
        "SqlQuery": "shipyard.data.sql",
        "Thresholds": "shipyard.data.drift",
        "ValidationReport": "shipyard.data.report",
        "compare": "shipyard.data.drift",
        "configured_expectations": "shipyard.data.config",
        "content_hash": "shipyard.data.content_hash",
        "convert": "shipyard.data.versions",
        "dataset_drift": "shipyard.data.api",
        "diff_datasets": "shipyard.data.api",
        "diff_versions": "shipyard.data.diff",
        "get_dataset": "shipyard.data.api",
        "infer_expectations": "shipyard.data.infer",
        "is_path_like": "shipyard.data.refs",
        "log_version": "shipyard.data.versions",
        "open_source": "shipyard.data.readers",
        "parse_dataset_ref": "shipyard.data.refs",
        "profile_table": "shipyard.data.profile",
        "read_expectations_file": "shipyard.data.config",
        "read_table": "shipyard.data.readers",
        "read_version": "shipyard.data.versions",
        "render_yaml": "shipyard.data.infer",
        "repository": "shipyard.data.versions",
        "resolve": "shipyard.data.versions",
        "schema_of": "shipyard.data.schema",
        "validate": "shipyard.data.validate",
        "validate_version": "shipyard.data.versions",
    },
    "shipyard.evaluation": {
        "Baseline": "shipyard.evaluation.result",
        "Case": "shipyard.evaluation.spec",
        "DEFAULT_METRICS": "shipyard.evaluation.catalog",
        "DirectionalGate": "shipyard.evaluation.spec",
        "EvaluationResult": "shipyard.evaluation.result",
        "EvaluationSpec": "shipyard.evaluation.spec",
        "FairnessGate": "shipyard.evaluation.spec",
        "Gate": "shipyard.evaluation.spec",
        "GateOutcome": "shipyard.evaluation.result",
        "InvarianceGate": "shipyard.evaluation.spec",
        "METRICS": "shipyard.evaluation.catalog",
        "MetricInfo": "shipyard.evaluation.catalog",
        "MinimumFunctionalityGate": "shipyard.evaluation.spec",
        "NoRegressionGate": "shipyard.evaluation.spec",
        "SliceGate": "shipyard.evaluation.spec",
        "ThresholdGate": "shipyard.evaluation.spec",
        "check_spec": "shipyard.evaluation.spec_check",
        "evaluate": "shipyard.evaluation.evaluate",
        "metric_names": "shipyard.evaluation.catalog",
        "render_html": "shipyard.evaluation.report",
        "render_markdown": "shipyard.evaluation.report",
        "write_report": "shipyard.evaluation.report",
    },
    "shipyard.models": {
        "ColumnSpec": "shipyard.models.signature",
        "DType": "shipyard.models.signature",
        "ExtraPolicy": "shipyard.models.signature",
        "FORMAT_VERSION": "shipyard.models.manifest",
        "FileEntry": "shipyard.models.manifest",
        "Flavor": "shipyard.models.flavors",
        "LoadedModel": "shipyard.models.loaded",
        "MANIFEST_NAME": "shipyard.models.manifest",
        "Manifest": "shipyard.models.manifest",
        "ModelVersionWarning": "shipyard.models.manifest",
        "OutputSpec": "shipyard.models.signature",
        "Prediction": "shipyard.models.flavors",
        "PythonFlavor": "shipyard.models.flavors",
        "SavedFlavor": "shipyard.models.flavors",
        "Serialization": "shipyard.models.manifest",
        "Signature": "shipyard.models.signature",
        "SklearnFlavor": "shipyard.models.flavors",
        "Trust": "shipyard.models.flavors",
        "available_flavors": "shipyard.models.flavors",
        "fetch_package": "shipyard.models.storage",
        "flavor_for": "shipyard.models.flavors",
        "get_flavor": "shipyard.models.flavors",
        "infer_signature": "shipyard.models.signature",
        "load_package": "shipyard.models.package",
        "register_flavor": "shipyard.models.flavors",
        "save_package": "shipyard.models.package",
        "store_package": "shipyard.models.storage",
        "to_plain": "shipyard.models.plain",
    },
    "shipyard.pipeline": {
        "PipelineConfig": "shipyard.pipeline.config",
        "PipelineResult": "shipyard.pipeline.result",
        "ReproduceResult": "shipyard.pipeline.reproduce",
        "StepEvent": "shipyard.pipeline.result",
        "StepResult": "shipyard.pipeline.result",
        "load_pipeline_config": "shipyard.pipeline.config",
        "reproduce": "shipyard.pipeline.reproduce",
        "retrain": "shipyard.pipeline.runner",
        "run_pipeline": "shipyard.pipeline.runner",
    },
    "shipyard.tracking": {
        "ActiveRun": "shipyard.tracking.run",
        "active_run": "shipyard.tracking.fluent",
        "load_dataset": "shipyard.tracking.datasets",
        "log_artifact": "shipyard.tracking.fluent",
        "log_dataset": "shipyard.tracking.datasets",
        "log_metric": "shipyard.tracking.fluent",
        "log_metrics": "shipyard.tracking.fluent",
        "log_model": "shipyard.tracking.fluent",
        "log_param": "shipyard.tracking.fluent",
        "log_params": "shipyard.tracking.fluent",
        "seed_everything": "shipyard.tracking.fluent",
        "set_tag": "shipyard.tracking.fluent",
        "set_tags": "shipyard.tracking.fluent",
        "start_run": "shipyard.tracking.fluent",
        "validate_dataset": "shipyard.tracking.datasets",
    },
}


def rewrite(path: Path) -> bool:
    """Rewrite the imports of one file; True when it changed."""
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    lines = source.split("\n")
    edits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in TABLES):
            continue
        table, groups = TABLES[node.module], {}
        for alias in node.names:  # a name not in the table (a submodule) keeps its package
            groups.setdefault(table.get(alias.name, node.module), []).append(alias)
        if list(groups) == [node.module]:
            continue
        indent = lines[node.lineno - 1][: node.col_offset]
        new = []
        for module in sorted(groups):
            names = ", ".join(
                a.name + (f" as {a.asname}" if a.asname else "") for a in groups[module]
            )
            new.append(f"{indent}from {module} import {names}")
        tail = lines[node.end_lineno - 1][node.end_col_offset :]
        if "#" in tail:
            new[-1] += "  #" + tail.split("#", 1)[1]
        edits.append((node.lineno, node.end_lineno, new))
    for start, end, new in sorted(edits, reverse=True):
        lines[start - 1 : end] = new
    if edits:
        path.write_text("\n".join(lines), encoding="utf-8")
    return bool(edits)


def main() -> None:
    listed = subprocess.run(["git", "ls-files", "*.py"], capture_output=True, text=True, check=True)
    for name in listed.stdout.split():
        path = Path(name)
        packages = {package.rsplit(".", 1)[1] for package in TABLES}
        if path.name == "__init__.py" and path.parent == Path("shipyard", path.parent.name):
            if_plain = path.parent.name in packages
            if if_plain:
                continue
        if rewrite(path):
            sys.stdout.write(f"rewrote {name}\n")


if __name__ == "__main__":
    main()
