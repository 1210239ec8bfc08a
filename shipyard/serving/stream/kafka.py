"""Kafka, through confluent-kafka (librdkafka): a consumer-group source and a producer sink.

At-least-once: automatic offset *storing* is off, so only offsets the worker stored are ever
committed, and it stores and commits a batch's offsets only once every result of the batch is
delivered; the background auto-commit is a safety net. The commit is synchronous: the worker
sends the next batch's results only once the broker has the offsets, so a worker killed at any
moment leaves one batch at most whose results were sent and whose offsets were not committed.
On a rebalance the worker first waits for its results and commits what it stored, so the
partition's next owner starts right after.
The producer is idempotent: its own retries never duplicate or reorder a result.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from shipyard.core.errors import BrokerError, NotFoundError
from shipyard.core.logging import get_logger
from shipyard.serving.stream.delivery import Ticket
from shipyard.serving.stream.endpoints import Endpoint
from shipyard.serving.stream.events import Batch, Headers

log = get_logger(__name__)


def _kafka() -> Any:
    try:
        import confluent_kafka
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise BrokerError("Kafka streams need confluent-kafka.",
                          hint="pip install 'shipyard[kafka]'") from exc  # fmt: skip
    return confluent_kafka


def _client_logger() -> logging.Logger:
    return logging.getLogger("shipyard.serving.stream.librdkafka")


def _unreachable(endpoint: Endpoint, error: Exception) -> BrokerError:
    return BrokerError(
        f"Cannot reach the Kafka broker at {endpoint.address}: {error}.",
        hint="Check the address and that the broker is running (see docs: streaming).",
    )


class KafkaSource:
    def __init__(
        self,
        endpoint: Endpoint,
        group: str,
        *,
        start: str,
        options: Mapping[str, Any],
        before_revoke: Callable[[], None],
    ) -> None:
        kafka = _kafka()
        self.endpoint = endpoint
        self.description = str(endpoint)
        self._before_revoke = before_revoke
        self._closing = False
        self._kafka = kafka
        config = {
            "bootstrap.servers": endpoint.address, "group.id": group,
            "enable.auto.commit": True, "enable.auto.offset.store": False,
            "auto.commit.interval.ms": 1000, "auto.offset.reset": start,
            "logger": _client_logger(), **options,
        }  # fmt: skip
        self._consumer = kafka.Consumer(config)

    def check(self, timeout: float) -> None:
        try:
            metadata = self._consumer.list_topics(self.endpoint.name, timeout=timeout)
        except self._kafka.KafkaException as exc:
            raise _unreachable(self.endpoint, exc) from None
        topic = metadata.topics.get(self.endpoint.name)
        if topic is None or topic.error is not None or not topic.partitions:
            raise NotFoundError(
                f"The Kafka topic {self.endpoint.name!r} does not exist on "
                f"{self.endpoint.address}.",
                hint="Create it (with as many partitions as workers you plan to run), or check "
                "the --source URL.",
            )
        self._consumer.subscribe([self.endpoint.name], on_assign=self._assigned,
                                 on_revoke=self._revoked, on_lost=self._revoked)  # fmt: skip

    def _assigned(self, _consumer: Any, partitions: list[Any]) -> None:
        log.info("assigned partitions %s", sorted(p.partition for p in partitions),
                 extra={"source": self.description})  # fmt: skip

    def _revoked(self, consumer: Any, partitions: list[Any]) -> None:
        """Deliver what is in flight and commit it before the partitions move on."""
        if self._closing:  # close() delivered and committed everything already
            return
        self._before_revoke()
        try:
            consumer.commit(asynchronous=False)
        except self._kafka.KafkaException as exc:
            if exc.args[0].code() != self._kafka.KafkaError._NO_OFFSET:
                log.warning("committing offsets at a rebalance failed: %s", exc)
        log.info("revoked partitions %s", sorted(p.partition for p in partitions),
                 extra={"source": self.description})  # fmt: skip

    def poll(self, max_events: int, timeout: float) -> Batch | None:
        messages = self._consumer.consume(max_events, timeout)
        if not messages:
            return None
        if not all(message.error() is None for message in messages):  # rare: errors, EOFs
            for message in messages:
                if message.error() is not None:
                    self._on_error(message.error())
            messages = [message for message in messages if message.error() is None]
            if not messages:
                return None
        # column by column, one comprehension each: the per-event cost of a batch
        where = [(m.topic(), m.partition(), m.offset()) for m in messages]
        request_ids = [f"{topic}/{partition}/{offset}" for topic, partition, offset in where]
        stamps = [float(stamp) if kind else None
                  for kind, stamp in [m.timestamp() for m in messages]]  # fmt: skip
        last = {(topic, partition): offset for topic, partition, offset in where}
        keys: list[bytes | None] = [m.key() for m in messages]
        values: list[bytes | None] = [m.value() for m in messages]
        return Batch(keys, values, request_ids, stamps, last)

    def _on_error(self, error: Any) -> None:
        if error.fatal():
            raise BrokerError(f"The Kafka consumer failed: {error.str()}.")
        if error.code() != self._kafka.KafkaError._PARTITION_EOF:
            log.warning("Kafka consumer error: %s", error.str(), extra={"source": self.description})

    def ack(self, batch: Batch) -> None:
        partition = self._kafka.TopicPartition
        offsets = [partition(topic, number, offset + 1)
                   for (topic, number), offset in batch.ack.items()]  # fmt: skip
        try:
            self._consumer.store_offsets(offsets=offsets)
            # committed now, and waited for: the next batch's results are sent only after this
            # (a worker killed outright leaves one batch at most to be answered twice)
            committed = self._consumer.commit(offsets=offsets, asynchronous=False)
        except self._kafka.KafkaException as exc:  # the partition moved away meanwhile
            log.info("offsets not committed (read again by the partition's owner): %s", exc)
            return
        failed = [p for p in committed or () if p.error is not None]
        if failed:
            log.info("offsets not committed (read again by the partition's owner): %s",
                     ", ".join(f"{p.topic}/{p.partition}: {p.error}" for p in failed))  # fmt: skip

    def lag(self) -> int | None:
        assignment = self._consumer.assignment()
        if not assignment:
            return None
        total = 0
        for position in self._consumer.position(assignment):
            low, high = self._consumer.get_watermark_offsets(position, cached=True)
            if high < 0:
                continue
            total += max(0, high - (position.offset if position.offset >= 0 else low))
        return total

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(self._kafka.KafkaException):  # nothing stored since
            self._consumer.commit(asynchronous=False)
        self._consumer.close()
        self._before_revoke = _nothing  # the worker no longer needs reaching from here


def _nothing() -> None:
    return None


class KafkaSink:
    def __init__(self, endpoint: Endpoint, options: Mapping[str, Any]) -> None:
        kafka = _kafka()
        self.endpoint = endpoint
        self._kafka = kafka
        config = {
            "bootstrap.servers": endpoint.address, "enable.idempotence": True,
            "linger.ms": 2, "logger": _client_logger(), **options,
        }  # fmt: skip
        self._producer = kafka.Producer(config)

    def check(self, timeout: float) -> None:
        try:
            self._producer.list_topics(timeout=timeout)
        except self._kafka.KafkaException as exc:
            raise _unreachable(self.endpoint, exc) from None

    def send(self, name: str, key: bytes | None, value: bytes, headers: Headers,
             ticket: Ticket) -> None:  # fmt: skip
        ticket.outstanding += 1
        while True:
            try:
                self._producer.produce(name, value, key, headers=headers,
                                       on_delivery=ticket.delivered)  # fmt: skip
                return
            except BufferError:  # the local queue is full: let deliveries drain it
                self._producer.poll(0.05)

    def send_many(self, name: str, keys: list[bytes | None], values: list[bytes],
                  headers: Headers, ticket: Ticket) -> None:  # fmt: skip
        """``send`` for each (key, value), with one delivery callback object for them all."""
        ticket.outstanding += len(values)
        produce, delivered = self._producer.produce, ticket.delivered
        for key, value in zip(keys, values, strict=True):
            try:
                produce(name, value, key, headers=headers, on_delivery=delivered)
            except BufferError:  # the local queue is full: let deliveries drain it, then retry
                ticket.outstanding -= 1
                self.send(name, key, value, headers, ticket)

    def push(self) -> None:
        self._producer.poll(0)

    def wait(self, timeout: float) -> None:
        self._producer.flush(timeout)

    def flush(self, timeout: float) -> None:
        left = self._producer.flush(timeout)
        if left:
            raise BrokerError(
                f"{left} results were not delivered to {self.endpoint.address} within "
                f"{timeout:.0f} s.",
                hint="Their events were not acknowledged and will be read again.",
            )

    def close(self) -> None:
        self._producer.flush(5)
        self._producer.close()
