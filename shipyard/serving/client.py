"""A client for Shipyard model servers: ``Client(url).predict(dataframe)``.

Errors come back as Shipyard's own: a 422 is an InputValidationError with one FieldProblem
per bad field, a model that raised on valid input a ModelPredictionError (500), a 404 a
NotFoundError, and so on.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import orjson
import pandas as pd

from shipyard.core.errors import (
    ConflictError,
    FieldProblem,
    InputValidationError,
    NotFoundError,
    ShipyardError,
    UsageError,
)
from shipyard.core.http import http_client
from shipyard.serving.row_scorer import ModelPredictionError


class ServerError(ShipyardError):
    """The server failed, was unreachable, or answered something that is not Shipyard's."""

    http_status = 502


@dataclass(frozen=True)
class PredictionResult:
    """What the server answered: one prediction per row, and who made them."""

    predictions: list[Any]
    model: str
    version: int
    request_id: str


class Client:
    """Talks to one server. Thread-safe; keeps connections alive; use as a context manager."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.url = url.rstrip("/")
        self._http = http_client(self.url, headers=headers, timeout=timeout)

    def predict(self, data: Any, *, key: str | None = None) -> list[Any]:
        """Predictions for ``data`` (a DataFrame, a list of records or one record)."""
        return self.infer(data, key=key).predictions

    def infer(
        self, data: Any, *, key: str | None = None, request_id: str | None = None
    ) -> PredictionResult:
        """Like :meth:`predict`, with the answering version and request id. ``key`` keeps a
        caller on the same version during a canary; ``request_id`` names the request for
        feedback (the server makes one up otherwise)."""
        headers = {}
        if key is not None:
            headers["x-shipyard-key"] = key
        if request_id is not None:
            headers["x-request-id"] = request_id
        body = self._post("/predict", encode(data), headers)
        return PredictionResult(body["predictions"], body["model"], int(body["version"]),
                                body["request_id"])  # fmt: skip

    def feedback(self, request_id: str, label: Any, *, row: int = 0) -> None:
        """Send the ground-truth label of a prediction, for monitoring."""
        payload = {"request_id": request_id, "label": label, "row": row}
        self._post("/feedback", orjson.dumps(payload, default=_default), {})

    def ready(self) -> bool:
        try:
            return self._http.get("/health/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def metadata(self) -> dict[str, Any]:
        response = self._send("GET", "/health/ready", None, {})
        return dict(response)

    def _post(self, path: str, content: bytes, headers: dict[str, str]) -> Any:
        return self._send("POST", path, content, headers)

    def _send(self, method: str, path: str, content: bytes | None, headers: dict[str, str]) -> Any:
        try:
            response = self._http.request(method, path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise ServerError(
                f"Cannot reach the model server at {self.url}: {exc}",
                hint="Check the URL and that `shipyard serve` runs.",
            ) from exc
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        if response.status_code < 300 and body is not None:
            return body
        raise _error(response.status_code, body)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def encode(data: Any) -> bytes:
    """``data`` as a request body: a DataFrame as ``dataframe_split``, records as instances."""
    if isinstance(data, pd.DataFrame):
        payload: dict[str, Any] = {"dataframe_split": {
            "columns": [str(c) for c in data.columns],
            "data": data.astype(object).where(data.notna(), None).to_numpy().tolist(),
        }}  # fmt: skip
    elif isinstance(data, dict):
        payload = {"instances": [data]}
    elif isinstance(data, list | tuple):
        payload = {"instances": list(data)}
    else:
        raise UsageError(f"Cannot send a {type(data).__name__}.",
                         hint="Pass a DataFrame, a list of records or one record.")  # fmt: skip
    return orjson.dumps(payload, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)


def _default(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        item = value.item()
        return None if isinstance(item, float) and math.isnan(item) else item
    raise TypeError(f"cannot send a {type(value).__name__}")


def _error(status: int, body: Any) -> ShipyardError:
    detail = body.get("error") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        return ServerError(f"The model server answered HTTP {status} without a Shipyard error.")
    message, hint = str(detail.get("message", "")), detail.get("hint")
    if status == 422 and isinstance(detail.get("problems"), list):
        problems = [FieldProblem(str(p.get("field")), str(p.get("problem")))
                    for p in detail["problems"] if isinstance(p, dict)]  # fmt: skip
        return InputValidationError(problems, hint=hint)
    if status == 500 and detail.get("type") == ModelPredictionError.__name__:
        return ModelPredictionError(message, hint=hint)
    kinds: dict[int, type[ShipyardError]] = {400: UsageError, 404: NotFoundError,
                                             409: ConflictError}  # fmt: skip
    error = kinds.get(status, ServerError)(message, hint=hint)
    error.http_status = status
    return error
