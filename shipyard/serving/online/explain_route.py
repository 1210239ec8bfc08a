"""``POST /explain``: SHAP attributions per prediction (see :mod:`shipyard.models.explain`),
for the same payloads as ``/predict``, naming the version that was explained.

Off unless the deployment enables it (``explain: true`` in its config, or ``--explain``):
explaining costs far more than predicting, so it has its own rate limit (``explain_rate``
requests per second in each worker, a token bucket), answered with 429 when exceeded. The
work runs in a thread, so predictions are not held up while a model is explained.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING

from shipyard.core.errors import ShipyardError
from shipyard.models.explain import explain as explain_model
from shipyard.serving.online.http import Request, Response
from shipyard.serving.online.payloads import predict_records

if TYPE_CHECKING:
    from shipyard.serving.online.app import ServingApp


class ExplainOffError(ShipyardError):
    """``/explain`` is not enabled for this deployment."""

    http_status = 404


class ExplainRateLimitedError(ShipyardError):
    """More ``/explain`` requests than the deployment's ``explain_rate`` allows."""

    http_status = 429


class _Bucket:
    """A token bucket: ``rate`` requests a second, bursts of up to ``rate`` (at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate, self.capacity = rate, max(1.0, rate)
        self.tokens, self.stamp = self.capacity, time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


_BUCKETS: dict[int, _Bucket] = {}


async def explain(app: ServingApp, request: Request) -> Response:
    options = app.options
    if not options.explain:
        raise ExplainOffError(
            f"Explanations are off for deployment {options.deployment!r}.",
            hint="Enable them with `explain: true` in the deployment's config, or "
            "`shipyard serve --explain`.",
        )
    bucket = _BUCKETS.setdefault(id(app), _Bucket(options.explain_rate))
    if not bucket.take():
        raise ExplainRateLimitedError(
            f"More than {options.explain_rate:g} explanations a second were asked for.",
            hint="Wait and retry, or raise the deployment's explain_rate.",
        )
    body = await request.json(options.max_body_bytes)
    table = app.table
    records = predict_records(body, table.primary.signature.names)
    variant = table.pick(request.headers.get(options.sticky_header.encode()))
    found = await asyncio.to_thread(explain_model, variant.model, records)
    request_id = request.request_id()
    answer = {**found.to_dict(), "model": variant.name, "version": variant.version,
              "request_id": request_id}  # fmt: skip
    headers = [(b"x-request-id", request_id.encode()), (b"x-shipyard-version", variant.header)]
    return Response.json(answer, headers=headers, version=variant.label)
