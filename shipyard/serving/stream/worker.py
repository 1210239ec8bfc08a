"""The worker loop: read a batch, validate it against the signature, predict in one call, send
the results (keyed like their events) and the dead letters, and acknowledge the batch once all
of that is delivered. A batch is scored while the results of the one before are on their way,
but its own results are sent only once that batch is acknowledged (Kafka: its offsets
committed), so a worker killed at any moment has sent the results of one unacknowledged batch
at most: what is read again, and answered twice, is bounded by one batch (see ``delivery``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from shipyard.core.errors import ShipyardError
from shipyard.core.logging import get_logger
from shipyard.models.plain import to_plain
from shipyard.serving.prediction_log import ERROR, PredictionBatch, PredictionLog
from shipyard.serving.row_scorer import MODEL, score_rows
from shipyard.serving.stream.delivery import InFlight, Sink, Source, Ticket
from shipyard.serving.stream.endpoints import Endpoint
from shipyard.serving.stream.events import (
    PREDICTION,
    Batch,
    DeadLetter,
    Headers,
    columns,
    dead_letter_headers,
    decode,
    invalid,
    result_value,
)
from shipyard.serving.stream.follow import ModelFollower, Scorer
from shipyard.serving.stream.metrics import StreamMetrics
from shipyard.serving.stream.options import StreamOptions

log = get_logger(__name__)
LOG_TIMEOUT_SECONDS = 60.0
"""How long a batch waits for room in a full prediction log before the worker stops."""
LAG_EVERY_SECONDS = 1.0
LATENCY_SAMPLE = 64
"""Events of a batch whose end-to-end latency is observed (each standing for its share)."""
Outgoing = tuple[Sink, str, list[bytes | None], list[bytes], Headers]
"""Events to send together: the sink, the topic or stream, keys, values and shared headers."""


@dataclass
class StreamSummary:
    """What one worker did, returned when it stops."""

    deployment: str
    events_in: int = 0
    events_out: int = 0
    dead_letters: int = 0
    largest_batch: int = 0
    """The most events read in one batch (more than ``max_batch`` while backlogged)."""
    versions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def next_batch_size(size: int, read: int, smallest: int, largest: int) -> int:
    """The size of the next read after one of ``size`` that got ``read`` events: a full read
    means a backlog, so double (up to ``largest``); a read under half full means the source
    keeps up, so halve (down to ``smallest``, the configured ``max_batch``)."""
    if read >= size:
        return min(size * 2, largest)
    if read * 2 < size:
        return max(size // 2, smallest)
    return size


def arrow_inputs(frame: pd.DataFrame) -> pa.RecordBatch:
    """The validated frame as an Arrow record batch, built column by column here, so that the
    prediction log joins a flush's batches in Arrow instead of going back through pandas."""
    arrays = [
        pa.array(values.to_numpy(), from_pandas=True)  # NumPy-backed: NaN/NaT become nulls
        if isinstance(values.dtype, np.dtype)
        else pa.array(values)  # a pandas extension type (nullable Int64, boolean, …)
        for _, values in frame.items()
    ]
    return pa.RecordBatch.from_arrays(arrays, names=[str(name) for name in frame.columns])


class StreamWorker:
    def __init__(
        self,
        deployment: str,
        options: StreamOptions,
        *,
        source: Source,
        sinks: dict[Endpoint, Sink],
        follower: ModelFollower,
        metrics: StreamMetrics,
        prediction_log: PredictionLog | None,
        stop: threading.Event,
    ) -> None:
        self.deployment = deployment
        self.options = options
        self.source = source
        _, self._results, self._dead = options.endpoints()
        self._result_sink = sinks[self._results]
        self._dead_sink = sinks[self._dead]
        self._sinks = list({id(sink): sink for sink in sinks.values()}.values())
        self.follower = follower
        self.metrics = metrics
        self.prediction_log = prediction_log
        self.stop = stop
        self.in_flight = InFlight(source.ack)
        self.summary = StreamSummary(deployment)
        self.ready = False
        self.metrics_port: int | None = None
        """Where ``/metrics`` is served (None: not served)."""

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> StreamSummary:
        """Process batches until ``stop`` is set, then drain: deliver, acknowledge, close."""
        started = time.monotonic()
        wait = self.options.max_wait_ms / 1000
        smallest = size = self.options.max_batch
        largest = smallest * self.options.batch_growth
        next_lag = 0.0
        self.ready = True
        try:
            while not self.stop.is_set():
                batch = self.source.poll(size, wait)
                size = next_batch_size(size, 0 if batch is None else len(batch), smallest,
                                       largest)  # fmt: skip
                if batch is not None:
                    self.process(batch)
                self._settle()
                now = time.monotonic()
                if now >= next_lag:
                    self.metrics.lag, next_lag = self.source.lag(), now + LAG_EVERY_SECONDS
            self.deliver_in_flight(self.options.drain_timeout)
        finally:
            self.ready = False
            self.summary.seconds = round(time.monotonic() - started, 3)
        return self.summary

    def _settle(self) -> None:
        for sink in self._sinks:
            sink.push()
        done = self.in_flight.settle()
        if done:
            self.metrics.acknowledged[self.metrics.source] += done

    def _await_acknowledged(self) -> None:
        """Wait until every batch sent so far is delivered and acknowledged: the next batch's
        results go out only then. Deliveries that take long (a broker restarting) are waited
        for, as the sink's own timeout says; a failed one raises BrokerError."""
        while self.in_flight:
            for sink in self._sinks:
                sink.wait(0.1)
            self._settle()

    def deliver_in_flight(self, timeout: float = 30.0) -> None:
        """Wait for every result sent so far and acknowledge its batch (before a rebalance
        hands the partitions over, and when draining)."""
        for sink in self._sinks:
            sink.flush(timeout)
        self._settle()

    # -- one batch -------------------------------------------------------------------------

    def process(self, batch: Batch) -> None:
        """Split the batch's valid events between the served versions (sticky by message key),
        score each share with its version and send its results; score the shadows too, and
        only log what they say; dead-letter the rest."""
        started = time.perf_counter()
        routes = self.follower.current
        count = len(batch)
        self.metrics.received(count, batch.redelivered)
        records, positions, dead = decode(batch)
        outgoing: list[Outgoing] = []
        predicted = 0
        for scorer, share in zip(routes.served, routes.assign(batch.keys, positions),
                                 strict=True):  # fmt: skip
            if share:
                some = share if len(share) < len(records) else None
                predicted += self._serve(scorer, records if some is None else
                                         [records[i] for i in some],
                                         positions if some is None else
                                         [positions[i] for i in some],
                                         batch, dead, outgoing, started)  # fmt: skip
        for shadow in routes.shadows:
            self._shadow(shadow, records, positions, batch)
        primary = routes.primary
        for letter in dead:
            headers = dead_letter_headers(letter, self.source.description, primary.name,
                                          primary.version)  # fmt: skip
            outgoing.append((self._dead_sink, self._dead.name, [letter.event.key],
                             [letter.event.value or b""], headers))  # fmt: skip
            self.metrics.dead(letter.kind)
        self._await_acknowledged()  # the batch before is committed: only this one is exposed
        ticket = Ticket()
        for sink, name, keys, values, headers in outgoing:
            sink.send_many(name, keys, values, headers, ticket)
        self.in_flight.add(ticket, batch)
        self._observe(batch.stamps)
        self.summary.events_in += count
        self.summary.largest_batch = max(self.summary.largest_batch, count)
        self.summary.events_out += predicted
        self.summary.dead_letters += len(dead)

    def _serve(
        self,
        scorer: Scorer,
        records: list[dict[str, Any]],
        positions: list[int],
        batch: Batch,
        dead: list[DeadLetter],
        outgoing: list[Outgoing],
        started: float,
    ) -> int:
        """Score ``records`` with ``scorer``, add their results to ``outgoing`` and log them;
        returns how many were scored."""
        frame, rows, raw, predictions = self._score(scorer, records, positions, batch, dead)
        if frame is None or not rows:
            return 0
        latency_ms = (time.perf_counter() - started) * 1000.0
        request_ids = batch.request_ids
        if len(rows) < len(request_ids):
            request_ids = [request_ids[r] for r in rows]
        outgoing.append(self._results_of(scorer, batch.keys, rows, request_ids, predictions,
                                         latency_ms))  # fmt: skip
        if self.prediction_log is not None:
            self._log(scorer, frame, predictions if raw is None else raw, request_ids,
                      latency_ms)  # fmt: skip
        self.metrics.scored(scorer.label, len(rows), time.perf_counter() - started)
        if scorer.label not in self.summary.versions:
            self.summary.versions.append(scorer.label)
        return len(rows)

    def _shadow(self, scorer: Scorer, records: list[dict[str, Any]], positions: list[int],
                batch: Batch) -> None:  # fmt: skip
        """Score every valid event with a shadow version: its answers are logged (role
        ``shadow``), never sent; its failures are counted, never dead-lettered, and the events
        its model raised on are logged as errors of its version, as an online shadow's are."""
        if not records:
            return
        started = time.perf_counter()
        data = columns(records, scorer.names, self.options.extra)
        scored = score_rows(scorer.model, data, signature=scorer.signature,
                            extra=self.options.extra)  # fmt: skip
        if scored.failures:
            self.metrics.shadow_failed(scorer.label, len(scored.failures))
            refused = [failure.item for failure in scored.failures if failure.kind == MODEL]
            if refused and self.prediction_log is not None:
                self._log_refused(scorer, [records[i] for i in refused],
                                  [batch.request_ids[positions[i]] for i in refused])  # fmt: skip
        if scored.frame is None:
            return
        rows = positions if scored.whole else [positions[i] for i in scored.rows.tolist()]
        self.metrics.shadowed(scorer.label, len(rows))
        if self.prediction_log is not None:
            latency_ms = (time.perf_counter() - started) * 1000.0
            self._log(scorer, scored.frame, to_plain(scored.predictions),
                      [batch.request_ids[r] for r in rows], latency_ms, role="shadow")  # fmt: skip

    def _score(
        self,
        scorer: Scorer,
        records: list[dict[str, Any]],
        positions: list[int],
        batch: Batch,
        dead: list[DeadLetter],
    ) -> tuple[pd.DataFrame | None, list[int], np.ndarray[Any, Any] | None, list[Any]]:
        """Validate and predict the records in one call (the shared row scorer isolates the
        events that fail, each becoming a dead letter). Returns the scored frame, the event
        positions of its rows, the model's own 1-D array when every record was scored (the
        prediction log converts it in one pass), and plain values."""
        if not records:
            return None, [], None, []
        data = columns(records, scorer.names, self.options.extra)
        scored = score_rows(scorer.model, data, signature=scorer.signature,
                            extra=self.options.extra)  # fmt: skip
        refused = []
        for failure in scored.failures:
            event = batch.event(positions[failure.item])
            if failure.kind == MODEL:
                refused.append(failure.item)
                self.metrics.model_error(scorer.label)
                dead.append(DeadLetter(event, PREDICTION, "the model could not predict it: "
                                       + failure.message))  # fmt: skip
            else:
                dead.append(invalid(event, failure))
        if refused and self.prediction_log is not None:
            self._log_refused(scorer, [records[i] for i in refused],
                              [batch.request_ids[positions[i]] for i in refused])  # fmt: skip
        if scored.frame is None:
            return None, [], None, []
        output = scored.predictions
        if scored.whole:
            whole = output if isinstance(output, np.ndarray) and output.ndim == 1 else None
            return scored.frame, positions, whole, to_plain(output)
        rows = [positions[i] for i in scored.rows.tolist()]
        return scored.frame, rows, None, to_plain(output)

    def _results_of(
        self,
        scorer: Scorer,
        keys: list[bytes | None],
        rows: list[int],
        request_ids: list[str],
        predictions: list[Any],
        latency_ms: float,
    ) -> Outgoing:
        model, version = scorer.name, scorer.version
        pairs = zip(request_ids, predictions, strict=True)
        values = [result_value(request_id, model, version, value) for request_id, value in pairs]
        if len(rows) < len(keys):
            keys = [keys[row] for row in rows]
        return self._result_sink, self._results.name, keys, values, scorer.headers(latency_ms)

    def _log(self, scorer: Scorer, frame: pd.DataFrame, predictions: Any,
             request_ids: list[str], latency_ms: float, role: str = "serve") -> None:  # fmt: skip
        assert self.prediction_log is not None
        batch = PredictionBatch(
            deployment=self.deployment, model=scorer.name, version=scorer.version,
            inputs=arrow_inputs(frame), predictions=predictions, request_ids=request_ids,
            latency_ms=latency_ms, rows=np.zeros(len(request_ids), np.int32), role=role,
        )  # fmt: skip
        self.prediction_log.write(batch, timeout=LOG_TIMEOUT_SECONDS)

    def _log_refused(self, scorer: Scorer, records: list[dict[str, Any]],
                     request_ids: list[str]) -> None:  # fmt: skip
        """Log the events the model raised on (role ``error``, a null prediction) beside the
        dead letters, so their rate over time can be read back."""
        try:
            data = columns(records, scorer.names, self.options.extra)
            frame = scorer.signature.prepare(data, extra=self.options.extra)
            self._log(scorer, frame, [None] * len(records), request_ids, 0.0, role=ERROR)
        except ShipyardError as exc:
            log.warning("the rows %s raised on were not logged: %s", scorer.label, exc)

    def _observe(self, stamps: list[float | None]) -> None:
        now_ms = time.time() * 1000.0
        histogram, labels = self.metrics.end_to_end, self.metrics.source
        count = len(stamps)
        picks: list[tuple[float | None, int]]
        if count <= LATENCY_SAMPLE:
            picks = [(stamp, 1) for stamp in stamps]
        else:  # evenly spaced events stand for their neighbours: the counts stay exact
            edges = [i * count // LATENCY_SAMPLE for i in range(LATENCY_SAMPLE + 1)]
            picks = [(stamps[edges[i]], edges[i + 1] - edges[i]) for i in range(LATENCY_SAMPLE)]
        for stamp, weight in picks:
            if stamp is not None:
                histogram.observe(labels, max(0.0, (now_ms - stamp) / 1000.0), weight)
