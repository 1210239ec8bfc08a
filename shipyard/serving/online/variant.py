"""One model version as the server runs it: validation policy, micro-batcher, and the batch
function that validates, predicts, splits the answers per request and logs them."""

from __future__ import annotations

import time
from dataclasses import replace
from itertools import repeat
from typing import Any

from shipyard.core.errors import ShipyardError
from shipyard.core.logging import get_logger
from shipyard.models.loaded import LoadedModel
from shipyard.models.plain import to_plain
from shipyard.models.signature import Signature
from shipyard.serving.online.batcher import Batcher, Gate, Job
from shipyard.serving.online.metrics import Metrics
from shipyard.serving.online.options import ServeOptions
from shipyard.serving.prediction_log import ERROR, PredictionBatch, PredictionLog
from shipyard.serving.row_scorer import MODEL, score_rows

log = get_logger(__name__)


def policy_signature(signature: Signature, unknown_categories: str) -> Signature:
    """The signature requests are checked against: categories dropped when they are allowed."""
    if unknown_categories != "allow":
        return signature
    return Signature(
        tuple(replace(c, categories=None) for c in signature.inputs), signature.outputs
    )


class Variant:
    """A loaded version serving one role (``serve`` or ``shadow``) in one deployment."""

    def __init__(
        self,
        model: LoadedModel,
        *,
        deployment: str,
        role: str,
        options: ServeOptions,
        gate: Gate,
        metrics: Metrics,
        prediction_log: PredictionLog | None,
    ) -> None:
        record = model.registered_as
        self.model = model
        self.name: str = record.model_name
        self.version: int = record.version
        self.label = f"{self.name}/{self.version}"
        self.header = self.label.encode()
        self.role = role
        self.deployment = deployment
        self.signature = policy_signature(model.signature, options.unknown_categories)
        self.extra = options.extra
        self.log_failure = options.log_failure
        self._metrics = metrics
        self._log = prediction_log
        self.batcher = Batcher(
            self.run, gate, max_batch_size=options.max_batch_size,
            max_wait=options.max_wait_ms / 1000, batching=options.batching,
            name=f"batcher-{self.label}-{role}",
        )  # fmt: skip

    def start(self) -> None:
        self.batcher.start()

    def run(self, jobs: list[Job]) -> None:
        """Validate, predict and log ``jobs`` together (the shared row scorer isolates the
        requests that fail); each job gets its result or its error."""
        records = jobs[0].records if len(jobs) == 1 else [r for j in jobs for r in j.records]
        scored = score_rows(self.model, records, signature=self.signature, extra=self.extra,
                            sizes=[len(job.records) for job in jobs])  # fmt: skip
        refused = []
        for failure in scored.failures:
            job = jobs[failure.item]
            job.error = failure.error()
            if failure.kind == MODEL:
                refused.append(job)
                self._metrics.model_error(self.label, len(job.records))
                log.warning("%s could not predict request %s: %s", self.label, job.request_id,
                            failure.message)  # fmt: skip
        if refused and self._log is not None:
            self._log_refused(refused)
        if scored.frame is None:
            return
        good = [job for job in jobs if job.error is None] if scored.failures else jobs
        plain: list[Any] = to_plain(scored.predictions)
        offset = 0
        for job in good:
            end = offset + len(job.records)
            job.result = plain[offset:end]
            offset = end
        self._metrics.batch(self.label, self.role, len(plain), len(good))
        if self._log is not None:
            self._write_log(good, scored.frame, plain)

    def _write_log(self, jobs: list[Job], frame: Any, plain: list[Any]) -> None:
        assert self._log is not None
        now = time.perf_counter()
        request_ids: list[str] = []
        latency: list[float] = []
        for job in jobs:
            count = len(job.records)
            request_ids.extend(repeat(job.request_id, count))
            latency.extend(repeat((now - job.started) * 1000.0, count))
        batch = PredictionBatch(
            deployment=self.deployment, model=self.name, version=self.version, inputs=frame,
            predictions=plain, request_ids=request_ids, latency_ms=latency, role=self.role,
        )  # fmt: skip
        try:  # never waits: this runs on the event loop
            if self.log_failure == "refuse":
                check_log(self._log)
            self._log.write(batch, timeout=0)
        except ShipyardError as error:
            self._metrics.event("log_failure", version=self.label)
            if self.log_failure == "answer":
                self._metrics.unlogged[(("version", self.label),)] += len(batch)
                return
            for job in jobs:
                job.result, job.error = None, error

    def _log_refused(self, jobs: list[Job]) -> None:
        """Log the rows the model raised on (role ``error``, a null prediction), so their
        rate over time can be read back; a log that cannot take them is counted, as ever."""
        assert self._log is not None
        records = [record for job in jobs for record in job.records]
        now = time.perf_counter()
        try:
            batch = PredictionBatch(
                deployment=self.deployment, model=self.name, version=self.version,
                inputs=self.signature.prepare(records, extra=self.extra),
                predictions=[None] * len(records),
                request_ids=[job.request_id for job in jobs for _ in job.records],
                latency_ms=[(now - job.started) * 1000.0 for job in jobs for _ in job.records],
                role=ERROR,
            )  # fmt: skip
            self._log.write(batch, timeout=0)
        except ShipyardError:
            self._metrics.event("log_failure", version=self.label)

    def describe(self) -> dict[str, Any]:
        return {"model": self.name, "version": self.version, "role": self.role,
                "flavor": self.model.manifest.flavor}  # fmt: skip


class PredictionLogFailingError(ShipyardError):
    """The prediction log cannot write, and the server refuses what it could not log."""

    http_status = 503


def check_log(prediction_log: PredictionLog) -> None:
    """Raise :class:`PredictionLogFailingError` while ``prediction_log`` is failing."""
    if prediction_log.failing:
        cause = prediction_log.stats.last_error or "its storage failed"
        raise PredictionLogFailingError(
            f"The prediction log cannot write ({cause}), so this server refuses predictions it "
            f"could not log.",
            hint="Fix the artifact store, or serve with --log-failure answer.",
        )
