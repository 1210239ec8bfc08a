"""What the two arms of a rollout served, read from where it is recorded.

- The prediction log (read as monitoring reads it, :class:`~shipyard.monitoring.logscan.LogWindow`):
  each arm's latency per request, its predictions, and the labels that came back as feedback,
  from which per-request outcomes (``accuracy`` 1/0, ``squared_error``, ``absolute_error``)
  are computed. A logged prediction that is null counts as a failed request.
- The servers' ``/metrics``: rows each version's model raised on (answered 500; in the log
  only with the role ``error``, which the log window never reads, so none counts twice),
  counted from a baseline taken when the rollout started; for a stream worker, the events
  its model raised on (``shipyard_stream_model_errors_total``, dead-lettered).
- The servers' and stream workers' ``/health/ready``: one that is not ready stops the rollout
  from judging at all, so nothing is ever promoted blind.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import numpy as np

from shipyard._store.workspace import Workspace
from shipyard.delivery.analysis import ArmData
from shipyard.monitoring.logscan import LogWindow
from shipyard.monitoring.performance import prediction_label as plain_label
from shipyard.monitoring.window import Window

_COUNTER = re.compile(
    r"^shipyard_(?:stream_)?(?P<name>model_errors|predictions)_total\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)$"
)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
TIMEOUT_S = 2.0


@dataclass(frozen=True)
class ServerState:
    """One server at one look: whether it is ready, and its counters per version."""

    url: str
    ready: bool
    problem: str = ""
    errors: Mapping[str, int] | None = None


def look_at_servers(urls: Sequence[str], model: str, versions: Sequence[int]) -> list[ServerState]:
    """Readiness and per-version model-error counters of every server (``errors`` maps the
    version, as text, to the rows its model raised on since the server started)."""
    states = []
    with httpx.Client(timeout=TIMEOUT_S) as client:
        for url in urls:
            base = url.rstrip("/")
            try:
                ready = client.get(f"{base}/health/ready")
                if ready.status_code != 200:
                    states.append(ServerState(base, False, f"/health/ready answered "
                                                           f"{ready.status_code}"))  # fmt: skip
                    continue
                text = client.get(f"{base}/metrics").text
            except httpx.HTTPError as exc:
                states.append(ServerState(base, False, f"cannot reach it ({exc})"))
                continue
            states.append(ServerState(base, True, errors=_model_errors(text, model, versions)))
    return states


def wait_until_serving(urls: Sequence[str], version: int, *, timeout_s: float) -> list[str]:
    """Wait until every server answers with ``version`` alone (as ``/health/ready`` lists what
    it serves); the servers that did not within ``timeout_s``."""
    pending = [url.rstrip("/") for url in urls]
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=TIMEOUT_S) as client:
        while pending and time.monotonic() < deadline:
            pending = [url for url in pending if not _serves_only(client, url, version)]
            if pending:
                time.sleep(0.1)
    return pending


def _serves_only(client: httpx.Client, url: str, version: int) -> bool:
    try:
        body = client.get(f"{url}/health/ready").json()
    except (httpx.HTTPError, ValueError):
        return False
    serving = body.get("serving") if isinstance(body, dict) else None
    if not isinstance(serving, list):
        return True  # a server that keeps its details to itself: the smoke test's header tells
    # an online server lists {"version": N, …}; a stream worker its versions as "NAME/N"
    versions = {item.get("version") if isinstance(item, dict) else _version_of(item)
                for item in serving}  # fmt: skip
    return versions == {version}


def _version_of(label: object) -> int | None:
    number = str(label).rpartition("/")[2]
    return int(number) if number.isdigit() else None


def _model_errors(text: str, model: str, versions: Sequence[int]) -> dict[str, int]:
    found = {str(v): 0 for v in versions}
    for line in text.splitlines():
        match = _COUNTER.match(line.strip())
        if match is None or match["name"] != "model_errors":
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        name, _, version = labels.get("version", "").rpartition("/")
        if name == model and version in found:
            found[version] += int(float(match["value"]))
    return found


def error_counts(
    states: Sequence[ServerState], baseline: Mapping[str, Mapping[str, int]]
) -> dict[str, int]:
    """Model errors per version since ``baseline`` (per server URL), summed over servers; a
    server whose counter went down restarted, and counts from zero."""
    total: dict[str, int] = {}
    for state in states:
        before = baseline.get(state.url, {})
        for version, count in (state.errors or {}).items():
            since = count - int(before.get(version, 0))
            total[version] = total.get(version, 0) + (since if since >= 0 else count)
    return total


def arm_data(
    workspace: Workspace,
    deployment: str,
    versions: Sequence[int],
    since: datetime,
    until: datetime,
    model_errors: Mapping[str, int],
) -> dict[int, ArmData]:
    """Each version's :class:`ArmData` over ``[since, until)`` of the deployment's log."""
    window = LogWindow(workspace.artifacts, deployment, Window(since, until))
    rows = window.served_rows(list(versions))
    arms = {}
    for version in versions:
        mine = [row for row in rows if row[0] == version]
        answered = [row for row in mine if row[2] is not None]
        predictions = [plain_label(row[2]) for row in answered]
        failures = len(mine) - len(answered) + int(model_errors.get(str(version), 0))
        arms[version] = ArmData(
            requests=len(mine) + int(model_errors.get(str(version), 0)),
            failures=failures,
            latency_ms=np.array([row[1] for row in answered], dtype=np.float64),
            predictions=_array(predictions),
            outcomes=_outcomes([(plain_label(p), y) for _, _, p, y in answered if y is not None]),
        )
    return arms


def _array(values: list[Any]) -> np.ndarray[Any, Any]:
    if values and all(_is_number(v) for v in values):
        return np.array(values, dtype=np.float64)
    return np.array([str(v) for v in values])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _outcomes(pairs: list[tuple[Any, Any]]) -> dict[str, np.ndarray[Any, Any]]:
    """Per labelled request: ``accuracy`` (1 when the prediction equals the label), and for
    numbers ``squared_error`` and ``absolute_error``."""
    if not pairs:
        return {}
    outcomes = {"accuracy": np.array([1.0 if p == y else 0.0 for p, y in pairs])}
    numeric = [(float(p), float(y)) for p, y in pairs if _is_number(p) and _is_number(y)]
    if len(numeric) == len(pairs):
        errors = np.array([p - y for p, y in numeric if math.isfinite(p - y)])
        outcomes["squared_error"] = errors**2
        outcomes["absolute_error"] = np.abs(errors)
    return outcomes
