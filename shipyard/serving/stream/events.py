"""Events as the worker sees them, whatever the broker: a key, the raw payload, where it came
from; and the three things an event can become: a result, or a dead letter (with its error and
the original payload, unchanged, so it can be replayed once fixed).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

from shipyard.core.errors import FieldProblem
from shipyard.serving.row_scorer import RowFailure

Headers = list[tuple[str, bytes]]

DECODE, VALIDATION, PREDICTION = "decode", "validation", "prediction"
"""Why an event became a dead letter: its payload is not a JSON object, it does not match the
model's signature, or the model refused it."""

MAX_ERROR_CHARS = 2000


@dataclass(slots=True)
class Event:
    """One event read from a source."""

    key: bytes | None
    value: bytes | None
    request_id: str
    """Where the event is in its source (``topic/partition/offset``, ``stream/entry-id``): the
    request id of its prediction-log row and of its result."""
    created_ms: float | None = None
    """When the event entered the source (Unix ms), for the end-to-end latency."""


@dataclass
class Batch:
    """Events read together, column by column (no object per event on the happy path), and
    what the source needs to acknowledge them afterwards."""

    keys: list[bytes | None]
    values: list[bytes | None]
    request_ids: list[str]
    stamps: list[float | None]
    """When each event entered the source (Unix ms), or None when the source does not say."""
    ack: Any
    redelivered: int = 0
    """Events already delivered once to the group (a worker died holding them)."""

    def __len__(self) -> int:
        return len(self.values)

    def event(self, position: int) -> Event:
        """The event at ``position`` as one object (for a dead letter)."""
        return Event(self.keys[position], self.values[position], self.request_ids[position],
                     self.stamps[position])  # fmt: skip


@dataclass(slots=True)
class DeadLetter:
    event: Event
    kind: str
    error: str
    problems: list[FieldProblem] = field(default_factory=list)


def decode(batch: Batch) -> tuple[list[dict[str, Any]], list[int], list[DeadLetter]]:
    """The JSON objects of ``batch`` with their positions, and dead letters for the rest."""
    records: list[dict[str, Any]] = []
    positions: list[int] = []
    dead: list[DeadLetter] = []
    loads = orjson.loads
    for position, value in enumerate(batch.values):
        try:
            record = loads(value) if value else None
        except orjson.JSONDecodeError as exc:
            dead.append(DeadLetter(batch.event(position), DECODE,
                                   f"the payload is not JSON: {exc}"))  # fmt: skip
            continue
        if type(record) is dict:
            records.append(record)
            positions.append(position)
        elif not value:
            dead.append(DeadLetter(batch.event(position), DECODE, "the event has no payload"))
        else:
            kind = type(record).__name__
            dead.append(DeadLetter(batch.event(position), DECODE,
                                   f"the payload is a JSON {kind}, not an object"))  # fmt: skip
    return records, positions, dead


def columns(records: list[dict[str, Any]], names: Collection[str], extra: str) -> Any:
    """``records`` as a dict of object columns when every record has the same fields (the
    usual case): ``Signature.prepare`` then checks whole columns, without walking records.
    With ``extra="ignore"`` only the signature's columns are built (the others would be
    dropped). Records whose fields differ are returned as they are, so that ``prepare``
    names each record lacking a field."""
    if not records or not records[0]:
        return records
    first = records[0].keys()
    if not all(record.keys() == first for record in records):
        return records
    wanted = [key for key in first if key in names] if extra == "ignore" else list(first)
    if not wanted:
        return records
    count = len(records)
    return {key: np.fromiter(map(itemgetter(key), records), dtype=object, count=count)
            for key in wanted}  # fmt: skip


def invalid(event: Event, failure: RowFailure) -> DeadLetter:
    """The dead letter of an event that does not match the signature."""
    problems = list(failure.problems)
    text = "; ".join(f"{p.field.split('[')[0]}: {p.problem}" for p in problems)
    return DeadLetter(event, VALIDATION, text or failure.message, problems)


def result_value(request_id: str, model: str, version: int, prediction: Any) -> bytes:
    """The payload of a result event (a prediction JSON cannot hold is sent as its text)."""
    return orjson.dumps(
        {"request_id": request_id, "model": model, "version": version, "prediction": prediction},
        default=str,
    )


def result_headers(model: str, version: int, latency_ms: float) -> Headers:
    """Headers (Kafka) or fields (Redis) of every result of one batch."""
    return [("shipyard-model", model.encode()), ("shipyard-version", str(version).encode()),
            ("shipyard-latency-ms", f"{latency_ms:.3f}".encode())]  # fmt: skip


def dead_letter_headers(letter: DeadLetter, source: str, model: str, version: int) -> Headers:
    """What travels with the original payload of a dead letter: why, and from where."""
    document: Mapping[str, Any] = {
        "kind": letter.kind,
        "problems": [{"field": p.field, "problem": p.problem} for p in letter.problems],
    }
    return [
        ("shipyard-error", letter.error[:MAX_ERROR_CHARS].encode()),
        ("shipyard-error-kind", letter.kind.encode()),
        ("shipyard-error-detail", orjson.dumps(document)[: MAX_ERROR_CHARS * 2]),
        ("shipyard-request-id", letter.event.request_id.encode()),
        ("shipyard-source", source.encode()),
        ("shipyard-model", model.encode()),
        ("shipyard-version", str(version).encode()),
    ]
