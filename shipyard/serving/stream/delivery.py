"""The contract between the worker and a broker, and how at-least-once is kept.

A :class:`Source` hands out batches and acknowledges them (Kafka: stores and commits the
offsets, waiting for the broker; Redis: ``XACK``). A :class:`Sink` sends events and tells a
batch's :class:`Ticket` as each one is delivered. The worker acknowledges a batch only when
its ticket has no event outstanding, and in the order the batches were read, so a worker
killed at any moment leaves unacknowledged every event whose results were not delivered:
they are read again (by it after a restart, or by another worker of the group). It sends a
batch's results only once the batches before are acknowledged, so the events read again whose
results were already sent (the duplicates) are those of one batch at most.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from shipyard.core.errors import BrokerError
from shipyard.serving.stream.events import Batch, Headers


class Ticket:
    """Deliveries outstanding for one batch; a failed delivery is kept to be raised."""

    __slots__ = ("error", "outstanding")

    def __init__(self) -> None:
        self.outstanding = 0
        self.error: str | None = None

    def delivered(self, error: Any = None, _message: Any = None) -> None:
        """A delivery report (the signature of confluent-kafka's ``on_delivery``)."""
        self.outstanding -= 1
        if error is not None and self.error is None:
            self.error = str(error)


class Source(Protocol):
    description: str

    def check(self, timeout: float) -> None:
        """Connect, or raise BrokerError saying which broker cannot be reached."""

    def poll(self, max_events: int, timeout: float) -> Batch | None: ...

    def ack(self, batch: Batch) -> None: ...

    def lag(self) -> int | None:
        """Events in the source not yet read by the group (None when unknown)."""

    def close(self) -> None: ...


class Sink(Protocol):
    def check(self, timeout: float) -> None: ...

    def send(self, name: str, key: bytes | None, value: bytes, headers: Headers,
             ticket: Ticket) -> None: ...  # fmt: skip

    def send_many(self, name: str, keys: list[bytes | None], values: list[bytes],
                  headers: Headers, ticket: Ticket) -> None:  # fmt: skip
        """``send`` each (key, value) of one batch, all with the same headers."""

    def push(self) -> None:
        """Hand what was sent to the broker now (do not wait for the acknowledgements)."""

    def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for what was sent to be delivered (or fail)."""

    def flush(self, timeout: float) -> None:
        """Wait until everything sent is delivered (or failed)."""

    def close(self) -> None: ...


class InFlight:
    """Batches whose results are on their way, acknowledged in order as their tickets clear."""

    def __init__(self, ack: Callable[[Batch], None]) -> None:
        self._ack = ack
        self._queue: deque[tuple[Ticket, Batch]] = deque()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, ticket: Ticket, batch: Batch) -> None:
        self._queue.append((ticket, batch))

    def settle(self) -> int:
        """Acknowledge the delivered batches at the front; returns how many events that was.
        A failed delivery raises BrokerError, leaving that batch and the later ones unacked."""
        done = 0
        while self._queue:
            ticket, batch = self._queue[0]
            if ticket.error is not None:
                raise BrokerError(
                    f"A result could not be delivered: {ticket.error}.",
                    hint="The events of that batch were not acknowledged; they are read again "
                    "when the worker restarts. Check that the sink accepts writes.",
                )
            if ticket.outstanding > 0:
                break
            self._queue.popleft()
            self._ack(batch)
            done += len(batch)
        return done
