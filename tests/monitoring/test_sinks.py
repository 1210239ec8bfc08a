"""Every sink delivers to a real receiver on loopback (an HTTP server, an SMTP server); a
failing webhook is retried with backoff and its failure recorded, without blocking the monitor."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from shipyard.monitoring import monitor_run, parse_config
from tests.monitoring.conftest import DEPLOYMENT, Monitored, Receiver, free_port, make_frame

RULE = {"name": "income-drift", "metric": "drift", "features": ["income"], "above": 0.2,
        "severity": "critical"}  # fmt: skip


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def _drift_then_clean(monitored: Monitored, config: Any) -> None:
    for index, drift in enumerate([("income",), ()]):
        start, end = monitored.window(index, make_frame(1500, seed=index, drift=drift))
        monitor_run(DEPLOYMENT, since=start, until=end, config=config,
                    workspace=monitored.workspace)  # fmt: skip


def test_every_sink_delivers_the_alert_and_its_resolution(
    monitored: Monitored,
    receiver: Receiver,
    smtp: tuple[Mailbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack = Receiver()
    mailbox, port = smtp
    config = parse_config({
        "sinks": {
            "ops": {"type": "webhook", "url": receiver.url, "headers": {"X-Team": "ml"}},
            "team": {"type": "slack", "url": slack.url},
            "oncall": {"type": "email", "host": "127.0.0.1", "port": port,
                       "sender": "shipyard@example.com", "to": ["oncall@example.com"]},
        },
        "rules": [{**RULE, "sinks": ["log", "ops", "team", "oncall"]}],
    })  # fmt: skip
    with caplog.at_level(logging.INFO, logger="shipyard.monitoring"):
        _drift_then_clean(monitored, config)
    slack.stop()

    events = [json.loads(body) for body in receiver.bodies]
    assert [e["event"] for e in events] == ["opened", "resolved"]
    assert events[0]["alert"]["rule"] == "income-drift"
    assert events[0]["alert"]["details"]["features"] == ["income"]
    assert events[0]["text"].startswith("[CRITICAL] churn-prod: income-drift")
    assert [json.loads(b)["text"][:10] for b in slack.bodies] == ["[CRITICAL]", "[RESOLVED]"]
    assert len(mailbox.messages) == 2
    assert mailbox.messages[0].rcpt_tos == ["oncall@example.com"]
    assert b"Subject: [CRITICAL] churn-prod: income-drift" in mailbox.messages[0].content
    logged = [r for r in caplog.records if "income-drift" in r.getMessage()]
    assert [r.levelno for r in logged] == [logging.CRITICAL, logging.INFO]

    alert = monitored.workspace.monitoring.list_alerts()[0]
    assert alert.delivery_failures == 0 and alert.delivery_attempts == 8
    assert set(alert.deliveries) == {"log", "ops", "team", "oncall"}


def test_a_failing_webhook_is_retried_with_backoff_then_delivered(monitored: Monitored) -> None:
    flaky = Receiver(fail=2)
    config = parse_config({
        "sinks": {"ops": {"type": "webhook", "url": flaky.url, "retries": 3, "backoff": 0.1}},
        "rules": [{**RULE, "sinks": ["ops"]}],
    })  # fmt: skip
    start, end = monitored.window(0, make_frame(1500, seed=0, drift=["income"]))
    began = time.monotonic()
    monitor_run(DEPLOYMENT, since=start, until=end, config=config, workspace=monitored.workspace)
    assert time.monotonic() - began >= 0.3  # 0.1 s, then 0.2 s of backoff before the third try
    flaky.stop()
    alert = monitored.workspace.monitoring.list_alerts()[0]
    assert flaky.requests == 3 and len(flaky.bodies) == 1
    assert alert.deliveries["ops"]["delivered"] and alert.deliveries["ops"]["attempts"] == 3
    assert alert.delivery_failures == 0


def test_a_dead_webhook_is_recorded_as_failed_and_never_blocks_the_monitor(
    monitored: Monitored,
) -> None:
    dead = Receiver(fail=-1)
    slow = Receiver(hold=True)  # answers only once stopped
    config = parse_config({
        "sinks": {"dead": {"type": "webhook", "url": dead.url, "retries": 2, "backoff": 0.05},
                  "slow": {"type": "webhook", "url": slow.url, "timeout": 30}},
        "rules": [{**RULE, "sinks": ["dead", "slow"]}],
        "delivery_wait": 0.5,
    })  # fmt: skip
    start, end = monitored.window(0, make_frame(1500, seed=0, drift=["income"]))
    began = time.monotonic()
    result = monitor_run(DEPLOYMENT, since=start, until=end, config=config,
                         workspace=monitored.workspace)  # fmt: skip
    assert time.monotonic() - began < 20  # bounded by delivery_wait, not by the hook's 30 s
    assert result.summary["drifted"] == ["income"]
    deadline = time.monotonic() + 30  # the dead hook's retries finish in the background
    while "dead" not in (alert := monitored.workspace.monitoring.list_alerts()[0]).deliveries:
        assert time.monotonic() < deadline, "the failed delivery was never recorded"
        time.sleep(0.1)
    assert alert.deliveries["dead"] == {**alert.deliveries["dead"], "delivered": False,
                                        "attempts": 3}  # fmt: skip
    assert "500" in alert.deliveries["dead"]["error"]
    assert dead.requests == 3
    dead.stop()
    slow.stop()
