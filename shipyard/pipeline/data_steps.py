"""The data steps: ``version`` (log the sources as dataset versions, split one source into
train and eval parts) and ``validate`` (check each part against its declared expectations).
See :mod:`shipyard.pipeline.state` for what ``key``, ``compute`` and ``verify`` mean."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shipyard._store.records import DatasetVersionRecord
from shipyard.pipeline.cache import dataset_exists
from shipyard.pipeline.sources import fingerprint, source_argument, split_table
from shipyard.pipeline.state import State, dataset_entry

if TYPE_CHECKING:
    from shipyard.tracking.run import ActiveRun


# -- version -------------------------------------------------------------------------------------


def version_key(state: State) -> dict[str, Any] | None:
    data, base = state.config.data, state.config.base_dir
    sources = {"source": data.source} if data.source is not None else {
        "train": data.train, "eval": data.eval}  # fmt: skip
    prints = {role: fingerprint(src, base) for role, src in sources.items() if src is not None}
    if any(value is None for value in prints.values()):
        return None  # SQL or remote sources are read again every run
    split = data.split.model_dump(mode="json") if data.split is not None else None
    return {"sources": prints, "split": split, "name": state.config.dataset_name,
            "label": state.config.evaluation.label}  # fmt: skip


def version_compute(state: State, run: ActiveRun) -> dict[str, Any]:
    from shipyard.data.versions import read_version
    from shipyard.tracking.datasets import log_dataset

    config, ws = state.config, state.workspace
    data, base, name = config.data, config.base_dir, config.dataset_name
    records: dict[str, DatasetVersionRecord] = {}
    if data.source is not None and data.split is not None:
        source = log_dataset(source_argument(data.source, base), name, context="source",
                             workspace=ws)  # fmt: skip
        train, evaluation = split_table(read_version(ws, source), data.split,
                                        label=config.evaluation.label)  # fmt: skip
        records["source"] = source
        for role, part in (("train", train), ("eval", evaluation)):
            records[role] = log_dataset(
                part, f"{name}-{role}", parents=[source.ref], role="output", context=role,
                workspace=ws,
            )  # fmt: skip
            state.tables[role] = part  # what was stored, kept for the steps of this run
    else:
        for role, src in (("train", data.train), ("eval", data.eval)):
            assert src is not None
            records[role] = log_dataset(source_argument(src, base), f"{name}-{role}",
                                        context=role, workspace=ws)  # fmt: skip
    return {"datasets": {role: dataset_entry(record) for role, record in records.items()}}


def version_verify(state: State, outputs: dict[str, Any]) -> bool:
    return all(dataset_exists(state.workspace, e) for e in outputs["datasets"].values())


# -- validate ------------------------------------------------------------------------------------


def _expectations(state: State) -> dict[str, Any]:
    """Each dataset role's declared expectations (by the version's dataset name; the train and
    eval parts of one source fall back to the source's)."""
    declared = state.config.datasets
    found = {}
    for role, entry in state.datasets.items():
        rules = declared.get(entry["name"])
        if rules is None and role != "source" and "source" not in state.datasets:
            rules = declared.get(state.config.dataset_name)
        if rules is not None:
            found[role] = rules
    return found


def validate_key(state: State) -> dict[str, Any]:
    return {
        role: [state.datasets[role]["content_hash"], rules.fingerprint()]
        for role, rules in _expectations(state).items()
    }


def validate_compute(state: State, run: ActiveRun) -> dict[str, Any]:
    from shipyard.data.errors import DataValidationError
    from shipyard.tracking.datasets import validate_dataset

    results: dict[str, Any] = {}
    for role, rules in _expectations(state).items():
        report = validate_dataset(state.datasets[role]["ref"], rules, workspace=state.workspace)
        results[role] = {"passed": report.passed, "headline": report.headline()}
        if not report.passed:
            raise DataValidationError(report)
    if not results:
        run.set_tag("shipyard.validation", "no expectations declared")
    return {"validations": results}
