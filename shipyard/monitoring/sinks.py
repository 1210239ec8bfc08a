"""Where alerts go: the log, a webhook (JSON POST), a Slack-compatible webhook, email (SMTP).

Delivery never blocks the monitor: :class:`Dispatcher` queues each (alert, sink) and a
background thread sends it, retrying with exponential backoff (``backoff`` seconds, doubled
each time, ``retries`` times). The outcome, with the number of attempts and the last error, is
recorded on the alert. ``close(wait)`` waits at most ``wait`` seconds for what is queued.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from shipyard._store.monitoring import AlertRecord, MonitoringRepository
from shipyard.core.logging import get_logger
from shipyard.monitoring.config import SinkSpec

log = get_logger(__name__)
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}
MAX_BACKOFF = 60.0
QUEUE_SIZE = 1000


def payload(alert: AlertRecord, event: str) -> dict[str, Any]:
    """The JSON document a webhook receives: the alert and what happened to it."""
    return {"event": event, "alert": alert.to_dict(), "text": text(alert, event)}


def text(alert: AlertRecord, event: str) -> str:
    state = "RESOLVED" if event == "resolved" else alert.severity.upper()
    return f"[{state}] {alert.deployment}: {alert.rule} — {alert.message}"


def send(spec: SinkSpec, alert: AlertRecord, event: str) -> None:
    """Deliver once; raises on failure."""
    if spec.type == "log":
        level = logging.INFO if event == "resolved" else _LEVELS[alert.severity]
        log.log(level, "alert %s %s", alert.id, text(alert, event))
        return
    if spec.type in ("webhook", "slack"):
        body = payload(alert, event) if spec.type == "webhook" else {"text": text(alert, event)}
        response = httpx.post(str(spec.url), json=body, headers=spec.headers,
                              timeout=spec.timeout)  # fmt: skip
        response.raise_for_status()
        return
    message = EmailMessage()
    message["Subject"] = text(alert, event)
    message["From"] = str(spec.sender)
    message["To"] = ", ".join(spec.to)
    message.set_content(f"{text(alert, event)}\n\nDetails: {alert.details}\nAlert id: {alert.id}")
    with smtplib.SMTP(str(spec.host), spec.port, timeout=spec.timeout) as smtp:
        if spec.starttls:
            smtp.starttls()
        if spec.username:
            smtp.login(spec.username, os.environ.get(spec.password_env or "", ""))
        smtp.send_message(message)


@dataclass(frozen=True)
class Delivery:
    alert: AlertRecord
    sink: str
    spec: SinkSpec
    event: str  # "opened" or "resolved"


class Dispatcher:
    """A background sender with retries; outcomes are recorded on each alert."""

    def __init__(
        self,
        repository: MonitoringRepository,
        *,
        sender: Callable[[SinkSpec, AlertRecord, str], None] = send,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._repository = repository
        self._send = sender
        self._queue: queue.Queue[Delivery | None] = queue.Queue(QUEUE_SIZE)
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._thread = threading.Thread(target=self._run, name="shipyard-alert-sinks", daemon=True)
        self._thread.start()
        self.dropped = 0

    def submit(self, delivery: Delivery) -> None:
        try:
            self._queue.put_nowait(delivery)
        except queue.Full:
            self.dropped += 1
            self._record(delivery, 0, False, "the delivery queue is full")

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(item)
            finally:
                self._queue.task_done()

    def _deliver(self, item: Delivery) -> None:
        attempts, error = 0, None
        delay = item.spec.backoff
        while attempts <= item.spec.retries and not self._stop.is_set():
            attempts += 1
            try:
                self._send(item.spec, item.alert, item.event)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning("alert %s to %s failed (attempt %d): %s", item.alert.id,
                            item.sink, attempts, error)  # fmt: skip
                if attempts <= item.spec.retries:
                    self._sleep(min(delay, MAX_BACKOFF))
                    delay *= 2
                continue
            self._record(item, attempts, True, None)
            return
        self._record(item, attempts, False, error or "stopped before delivery")

    def _record(self, item: Delivery, attempts: int, delivered: bool, error: str | None) -> None:
        try:
            self._repository.record_delivery(item.alert.id, item.sink, attempts=attempts,
                                             delivered=delivered, error=error)  # fmt: skip
        except Exception as exc:  # the store is down: say so, never kill the sender
            log.error("Cannot record the delivery of alert %s: %s", item.alert.id, exc)

    def wait(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the queue to drain; whether it did."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.02, left))
        return True

    def close(self, wait: float = 10.0) -> bool:
        """Wait (bounded) for pending deliveries, then stop the thread; whether all went."""
        drained = self.wait(wait)
        if not drained:
            self._stop.set()  # abandon retries; in-flight sends end at their own timeout
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        if drained:
            self._thread.join(timeout=1.0)
        return drained
