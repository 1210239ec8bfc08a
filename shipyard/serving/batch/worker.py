"""Scoring one part, in whichever process runs it: read in bounded batches, score, and write
the part's output (and rejects) to temporary files that are renamed into place at the end."""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import fsspec
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import threadpoolctl

from shipyard.models.loaded import LoadedModel
from shipyard.models.package import load_package
from shipyard.serving.batch.inputs import InputFile, Part, read_part
from shipyard.serving.batch.job import part_paths, temporary_path
from shipyard.serving.batch.log import LogTarget, PartLog
from shipyard.serving.batch.overlap import WriteBehind, read_ahead
from shipyard.serving.batch.scoring import score_batch

_models: dict[str, LoadedModel] = {}  # one loaded model per package, per worker process


@dataclass(frozen=True)
class Challenger:
    """A second model scored on the same rows in the same job, its rows marked ``challenger``
    (and the first model's ``champion``)."""

    package_dir: str
    version: int
    log: LogTarget | None = None


@dataclass(frozen=True)
class PartTask:
    part: Part
    output_root: str
    output_url: str
    package_dir: str
    trusted: bool | tuple[str, ...]
    version: int
    batch_rows: int
    schema: pa.Schema
    threads: int | None = None
    """Native threads (BLAS, OpenMP) each worker may use, so workers do not oversubscribe."""
    log: LogTarget | None = None
    """Where to log the predictions (None: not logged)."""
    keep: tuple[str, ...] = ()
    """Input columns copied to the output and the rejects."""
    challenger: Challenger | None = None

    def to_json(self) -> bytes:
        """The task as JSON, to send to a process that shares no memory with this one."""
        part = self.part
        return orjson.dumps(
            {
                "file": part.file.__dict__, "first_group": part.first_group,
                "end_group": part.end_group, "first_row": part.first_row, "rows": part.rows,
                "output_root": self.output_root, "output_url": self.output_url,
                "package_dir": self.package_dir, "trusted": self.trusted,
                "version": self.version, "batch_rows": self.batch_rows,
                "schema": self.schema.serialize().to_pybytes().hex(),
                "threads": self.threads,
                "log": None if self.log is None else self.log.__dict__,
                "keep": list(self.keep),
                "challenger": None if self.challenger is None else {
                    **self.challenger.__dict__,
                    "log": None if self.challenger.log is None else self.challenger.log.__dict__,
                },
            }
        )  # fmt: skip

    @classmethod
    def from_json(cls, data: bytes, *, package_dir: str | None = None) -> PartTask:
        raw = orjson.loads(data)
        part = Part(InputFile(**raw["file"]), raw["first_group"], raw["end_group"],
                    raw["first_row"], raw["rows"])  # fmt: skip
        schema = pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(raw["schema"])))
        challenger = raw.get("challenger")
        if challenger is not None:
            log = challenger.get("log")
            challenger = Challenger(challenger["package_dir"], challenger["version"],
                                    None if log is None else LogTarget(**log))  # fmt: skip
        return cls(part, raw["output_root"], raw["output_url"],
                   package_dir or raw["package_dir"], _trust(raw["trusted"]), raw["version"],
                   raw["batch_rows"], schema, raw.get("threads"),
                   None if raw.get("log") is None else LogTarget(**raw["log"]),
                   tuple(raw.get("keep") or ()), challenger)  # fmt: skip


@dataclass(frozen=True)
class PartResult:
    part_id: str
    rows: int
    rejected: int
    challenger_rows: int = 0
    challenger_rejected: int = 0

    def info(self) -> dict[str, int]:
        """What the job manifest records of the part."""
        info = {"rows": self.rows, "rejected": self.rejected}
        if self.challenger_rows or self.challenger_rejected:
            info |= {"challenger_rows": self.challenger_rows,
                     "challenger_rejected": self.challenger_rejected}  # fmt: skip
        return info


def model_for(
    package_dir: str, trusted: bool | tuple[str, ...], threads: int | None = None
) -> LoadedModel:
    model = _models.get(package_dir)
    if model is None:
        model = load_package(Path(package_dir), trusted=trusted, warm=threads is None)
        if threads is not None:
            # Set once per worker process, after the model's native libraries are loaded
            # (threadpoolctl limits the loaded ones only) and before it first runs.
            threadpoolctl.threadpool_limits(limits=threads)
            model = load_package(Path(package_dir), trusted=trusted)  # in memory: warms it
        _models[package_dir] = model
    return model


def seed_model(package_dir: str, model: LoadedModel) -> None:
    """Use ``model``, already loaded by this process, for parts scored here."""
    _models[package_dir] = model


def forget_models() -> None:
    """Drop the models loaded for parts scored in this process (the job is over)."""
    _models.clear()


def score_part(task: PartTask) -> PartResult:
    """Score one part with the model (and the challenger, if any) into its output files,
    reading the next batch and writing the last while each is scored (see
    :mod:`~shipyard.serving.batch.overlap`)."""
    arms = [_Arm(model_for(task.package_dir, task.trusted, task.threads), task.version,
                 None if task.challenger is None else "champion", task.log)]  # fmt: skip
    if task.challenger is not None:
        challenger = task.challenger
        arms.append(_Arm(model_for(challenger.package_dir, task.trusted, task.threads),
                         challenger.version, "challenger", challenger.log))  # fmt: skip
    fs, _ = fsspec.core.url_to_fs(task.output_url)
    out_path, rejects_path = part_paths(task.output_root, task.part.id)
    out_temp, rejects_temp = temporary_path(out_path), temporary_path(rejects_path)
    row = task.part.first_row
    text_input = task.part.file.format == "csv"
    columns = list(dict.fromkeys([n for arm in arms for n in arm.model.signature.names]))
    columns += [name for name in task.keep if name not in columns]
    for arm in arms:
        if arm.log_target is not None:
            arm.log = PartLog(fs_of(arm.log_target.root_url), arm.log_target, task.part.id)
    try:
        with contextlib.ExitStack() as files:
            writer = pq.ParquetWriter(files.enter_context(fs.open(out_temp, "wb")), task.schema)
            files.callback(writer.close)
            rejects_writer: pq.ParquetWriter | None = None
            # Left (waiting for its last writes) before the writers above close.
            with WriteBehind(depth=1) as behind:
                for batch in read_ahead(read_part(task.part, task.batch_rows, columns)):
                    for arm in arms:
                        started = time.perf_counter()
                        scored = score_batch(
                            arm.model, batch, file_index=task.part.file.index, first_row=row,
                            version=arm.version, text_input=text_input, schema=task.schema,
                            keep=task.keep, arm=arm.name,
                        )  # fmt: skip
                        seconds = time.perf_counter() - started
                        if arm.log is not None and scored.inputs is not None:
                            behind.submit(functools.partial(
                                arm.log.write, scored.inputs, scored.predictions,
                                scored.output.column("row_id").to_numpy(), seconds))  # fmt: skip
                        behind.submit(functools.partial(writer.write_table, scored.output))
                        arm.rows += scored.output.num_rows
                        if scored.rejects is None:
                            continue
                        if rejects_writer is None:
                            fs.makedirs(rejects_path.rpartition("/")[0], exist_ok=True)
                            handle = files.enter_context(fs.open(rejects_temp, "wb"))
                            rejects_writer = pq.ParquetWriter(handle, scored.rejects.schema)
                            files.callback(rejects_writer.close)
                        behind.submit(functools.partial(rejects_writer.write_table,
                                                        scored.rejects))  # fmt: skip
                        arm.rejected += scored.rejects.num_rows
                    row += batch.num_rows
        if rejects_writer is not None:
            fs.mv(rejects_temp, rejects_path)
        elif fs.exists(rejects_path):
            fs.rm(rejects_path)  # left by an interrupted earlier attempt at this part
        for arm in arms:
            if arm.log is not None:
                arm.log.commit()
        fs.mv(out_temp, out_path)
    except BaseException:
        for arm in arms:
            if arm.log is not None:
                arm.log.discard()
        _discard(fs, out_temp, rejects_temp)
        raise
    champion, *others = arms
    result = PartResult(task.part.id, champion.rows, champion.rejected)
    if others:
        result = replace(result, challenger_rows=others[0].rows,
                         challenger_rejected=others[0].rejected)  # fmt: skip
    return result


@dataclass
class _Arm:
    model: LoadedModel
    version: int
    name: str | None
    log_target: LogTarget | None
    log: PartLog | None = None
    rows: int = 0
    rejected: int = 0


def fs_of(url: str) -> Any:
    return fsspec.core.url_to_fs(url)[0]


def _trust(value: bool | list[str]) -> bool | tuple[str, ...]:
    return value if isinstance(value, bool) else tuple(value)


def _discard(fs: Any, *paths: str) -> None:
    for path in paths:
        try:
            if fs.exists(path):
                fs.rm(path)
        except OSError:
            pass
